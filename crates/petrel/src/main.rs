//! `petrel`: the one binary. Parses the command line and hands over to the library crates;
//! it holds no business logic of its own.

mod cli;
mod commands;
mod config;
mod serve;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Activate(c) => commands::instance::activate(&c.local),
        cli::Command::User(c) => commands::user::run(&c.local, c.command),
        cli::Command::Key(c) => commands::access_key::run(&c.local, c.command),
        cli::Command::Grant(c) => commands::grant::grant(&c.local, &c.args),
        cli::Command::Revoke(c) => commands::grant::revoke(&c.local, &c.args),
        cli::Command::Policy(c) => commands::policy::run(&c.local, c.command),
        cli::Command::Rg(c) => commands::resource_group::run(&c.local, c.command),
        cli::Command::Instance(c) => commands::instance::instance(&c.local, c.command),
        cli::Command::Topic(c) => commands::instance::topic(&c.local, c.command),
        cli::Command::Group(c) => commands::instance::group(&c.local, c.command),
        cli::Command::Simulate(c) => commands::simulate::simulate(&c.local, &c.args),
        cli::Command::WhoCan(c) => commands::simulate::who_can(&c.local, &c.args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
