//! `petrel completions SHELL`: the shell completion script, printed for the user to install
//! (e.g. `petrel completions bash > /etc/bash_completion.d/petrel`).

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "petrel", &mut std::io::stdout());
    Ok(())
}
