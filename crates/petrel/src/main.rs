//! `petrel`: the one binary. Parses the command line and hands over to the library crates;
//! it holds no business logic of its own.

mod cli;
mod commands;
mod config;
mod exit;
mod metrics;
mod profile;
mod serve;

use clap::Parser;

// A request allocates and frees many small buffers across threads (HTTP/2 frames, protobuf
// messages, catalogue records); glibc's malloc spent ~20% of a 1-core send profile on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let format = cli.command.output_format();
    let result = match cli.command {
        cli::Command::Serve(args) => serve::run(args),
        cli::Command::Account(c) => commands::account::run(&c.target, c.command),
        cli::Command::Activate(c) => commands::activate::run(&c.target),
        cli::Command::User(c) => commands::user::run(&c.target, c.command),
        cli::Command::Key(c) => commands::access_key::run(&c.target, c.command),
        cli::Command::UserGroup(c) => commands::user_group::run(&c.target, c.command),
        cli::Command::Grant(c) => commands::grant::grant(&c.target, &c.args),
        cli::Command::Revoke(c) => commands::grant::revoke(&c.target, &c.args),
        cli::Command::Policy(c) => commands::policy::run(&c.target, c.command),
        cli::Command::Rg(c) => commands::resource_group::run(&c.target, c.command),
        cli::Command::Instance(c) => commands::instance::run(&c.target, c.command),
        cli::Command::Topic(c) => commands::topic::run(&c.target, c.command),
        cli::Command::Group(c) => commands::consumer_group::run(&c.target, c.command),
        cli::Command::Lag(c) => commands::lag::run(&c.target, &c.args),
        cli::Command::Message(c) => commands::message::run(&c.target, c.command),
        cli::Command::Dlq(c) => commands::dlq::run(&c.target, c.command),
        cli::Command::Subscription(c) => commands::subscription::run(&c.target, c.command),
        cli::Command::Offset(c) => commands::offset::run(&c.target, c.command),
        cli::Command::Simulate(c) => commands::simulate::simulate(&c.target, &c.args),
        cli::Command::WhoCan(c) => commands::simulate::who_can(&c.target, &c.args),
        cli::Command::Whoami(c) => commands::whoami::run(&c.target),
        cli::Command::Configure(args) => commands::configure::run(&args),
        cli::Command::Completions(args) => commands::completions::run(&args),
        cli::Command::Bench(args) => commands::bench::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            exit::report(&err, format);
            std::process::ExitCode::from(exit::code_of(&err))
        }
    }
}
