//! The command line: subcommands and their flags. Each flag that configures the server has a
//! `PETREL_*` environment twin; clap gives the flag precedence over the environment. The
//! operator commands take the [`Target`] options that choose between a local data dir and a
//! running server's management API.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::Target;
use crate::commands::access_key::KeyCommand;
use crate::commands::account::{AccountCommand, OperatorTarget};
use crate::commands::bench::BenchArgs;
use crate::commands::completions::CompletionsArgs;
use crate::commands::configure::ConfigureArgs;
use crate::commands::consumer_group::GroupCommand;
use crate::commands::dlq::DlqCommand;
use crate::commands::grant::GrantArgs;
use crate::commands::instance::InstanceCommand;
use crate::commands::lag::LagArgs;
use crate::commands::message::MessageCommand;
use crate::commands::offset::OffsetCommand;
use crate::commands::output::OutputFormat;
use crate::commands::policy::PolicyCommand;
use crate::commands::resource_group::RgCommand;
use crate::commands::simulate::{SimulateArgs, WhoCanArgs};
use crate::commands::subscription::SubscriptionCommand;
use crate::commands::topic::TopicCommand;
use crate::commands::user::UserCommand;
use crate::commands::user_group::UserGroupCommand;

/// Petrel: a self-hosted, RocketMQ 5 compatible broker with RAM-style access control.
#[derive(Debug, Parser)]
#[command(
    name = "petrel",
    version,
    about,
    propagate_version = true,
    after_help = crate::exit::HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the broker, the management API and the console.
    Serve(ServeArgs),
    /// Operator: create, list, disable, enable and delete accounts (tenants).
    Account(AccountArgs),
    /// Activate the message queue service for the account (accepting its terms).
    Activate(TargetOnly),
    /// RAM users.
    User(WithTarget<UserCommand>),
    /// AccessKeys.
    Key(WithTarget<KeyCommand>),
    /// RAM user groups.
    UserGroup(WithTarget<UserGroupCommand>),
    /// Attach policies to users or user groups.
    Grant(WithArgs<GrantArgs>),
    /// Detach policies from users or user groups.
    Revoke(WithArgs<GrantArgs>),
    /// System and custom policies.
    Policy(WithTarget<PolicyCommand>),
    /// Resource groups.
    Rg(WithTarget<RgCommand>),
    /// Instances.
    Instance(WithTarget<InstanceCommand>),
    /// Topics.
    Topic(WithTarget<TopicCommand>),
    /// Consumer groups.
    Group(WithTarget<GroupCommand>),
    /// Which groups consume which topics, and their online clients (running server only).
    Subscription(WithTarget<SubscriptionCommand>),
    /// How far a consumer group is behind on a topic (running server only).
    Lag(WithArgs<LagArgs>),
    /// Stored messages of a topic: find and show them (running server only).
    Message(WithTarget<MessageCommand>),
    /// Dead letters of a consumer group: list, show, re-send (running server only).
    Dlq(WithTarget<DlqCommand>),
    /// Consumer group progress: reset it to the latest message or a time (running server only).
    Offset(WithTarget<OffsetCommand>),
    /// Would a principal be allowed an action on a resource, and which statement decides?
    Simulate(WithArgs<SimulateArgs>),
    /// Who may do an action on a resource? (local data dir only)
    WhoCan(WithArgs<WhoCanArgs>),
    /// Who the AccessKey signs as (running server only).
    Whoami(TargetOnly),
    /// Save an endpoint and AccessKey as a profile in ~/.petrel/config.toml (mode 0600).
    Configure(ConfigureArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Load-test a running server over the RocketMQ 5 gRPC protocol.
    Bench(BenchArgs),
}

impl Command {
    /// The output format a failure of this command is reported in.
    pub fn output_format(&self) -> OutputFormat {
        match self {
            Command::Account(c) => c.target.format(),
            Command::Activate(c) | Command::Whoami(c) => c.target.format(),
            Command::User(c) => c.target.format(),
            Command::Key(c) => c.target.format(),
            Command::UserGroup(c) => c.target.format(),
            Command::Grant(c) | Command::Revoke(c) => c.target.format(),
            Command::Policy(c) => c.target.format(),
            Command::Rg(c) => c.target.format(),
            Command::Instance(c) => c.target.format(),
            Command::Topic(c) => c.target.format(),
            Command::Group(c) => c.target.format(),
            Command::Lag(c) => c.target.format(),
            Command::Message(c) => c.target.format(),
            Command::Dlq(c) => c.target.format(),
            Command::Subscription(c) => c.target.format(),
            Command::Offset(c) => c.target.format(),
            Command::Simulate(c) => c.target.format(),
            Command::WhoCan(c) => c.target.format(),
            _ => OutputFormat::Table,
        }
    }
}

/// `petrel account`: the operator target and one subcommand.
#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(flatten)]
    pub target: OperatorTarget,
    #[command(subcommand)]
    pub command: AccountCommand,
}

/// A command with no arguments of its own.
#[derive(Debug, Args)]
pub struct TargetOnly {
    #[command(flatten)]
    pub target: Target,
}

/// A command family: the target options and one subcommand.
#[derive(Debug, Args)]
pub struct WithTarget<C: Subcommand> {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: C,
}

/// A command with the target options and arguments of its own.
#[derive(Debug, Args)]
pub struct WithArgs<A: Args> {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub args: A,
}

/// Flags of `petrel serve`. Unset flags fall back to the environment, then the config file,
/// then the embedded defaults.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE", env = "PETREL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (catalogue, message log, master key).
    #[arg(long, value_name = "DIR", env = "PETREL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address of the RocketMQ v2 gRPC port.
    #[arg(long, value_name = "HOST:PORT", env = "PETREL_GRPC_ADDR")]
    pub grpc_addr: Option<SocketAddr>,
    /// Address of the HTTP port (management API, console, metrics, health).
    #[arg(long, value_name = "HOST:PORT", env = "PETREL_HTTP_ADDR")]
    pub http_addr: Option<SocketAddr>,
    /// When a send is acknowledged: `sync` (after fsync) or `async` (after the write).
    #[arg(long, value_name = "MODE", env = "PETREL_FLUSH_MODE")]
    pub flush_mode: Option<crate::config::FlushModeSetting>,
    /// Size of each commit-log segment file in bytes (preallocated; at least 8 MiB).
    #[arg(long, value_name = "BYTES", env = "PETREL_SEGMENT_BYTES")]
    pub segment_bytes: Option<u64>,
    /// Log filter, e.g. `info` or `petrel=debug`.
    #[arg(long, value_name = "FILTER", env = "PETREL_LOG")]
    pub log: Option<String>,
    /// Log line format: `text` (the default) or `json` (one object per line).
    #[arg(long, value_name = "FORMAT", env = "PETREL_LOG_FORMAT")]
    pub log_format: Option<crate::config::LogFormat>,
    /// Who may read `/metrics`: `local` (loopback clients, the default), `open` or `off`.
    #[arg(long, value_name = "ACCESS", env = "PETREL_METRICS_ACCESS")]
    pub metrics_access: Option<crate::metrics::MetricsAccess>,
    /// Requests taking at least this many milliseconds are logged at `warn` (default 200).
    #[arg(long, value_name = "MS", env = "PETREL_SLOW_REQUEST_MS")]
    pub slow_request_ms: Option<u64>,
    /// Offer the console's sign-up page (`/console/signup`), where anyone who can reach the
    /// console creates an account of their own [default: false].
    #[arg(long, value_name = "BOOL", env = "PETREL_CONSOLE_SIGNUP")]
    pub console_signup: Option<bool>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
