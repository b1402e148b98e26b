//! The command line: subcommands and their flags. Each flag that configures the server has a
//! `PETREL_*` environment twin; clap gives the flag precedence over the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands::Local;
use crate::commands::access_key::KeyCommand;
use crate::commands::grant::GrantArgs;
use crate::commands::instance::{GroupCommand, InstanceCommand, TopicCommand};
use crate::commands::policy::PolicyCommand;
use crate::commands::resource_group::RgCommand;
use crate::commands::simulate::{SimulateArgs, WhoCanArgs};
use crate::commands::user::UserCommand;

/// Petrel: a self-hosted, RocketMQ 5 compatible broker with RAM-style access control.
#[derive(Debug, Parser)]
#[command(name = "petrel", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the broker, the management API and the console.
    Serve(ServeArgs),
    /// Activate the message queue service for the account (accepting its terms).
    Activate(LocalOnly),
    /// RAM users.
    User(WithLocal<UserCommand>),
    /// AccessKeys.
    Key(WithLocal<KeyCommand>),
    /// Attach policies to users or groups.
    Grant(GrantWith),
    /// Detach policies from users or groups.
    Revoke(GrantWith),
    /// System and custom policies.
    Policy(WithLocal<PolicyCommand>),
    /// Resource groups.
    Rg(WithLocal<RgCommand>),
    /// Instances.
    Instance(WithLocal<InstanceCommand>),
    /// Topics.
    Topic(WithLocal<TopicCommand>),
    /// Consumer groups.
    Group(WithLocal<GroupCommand>),
    /// Would a principal be allowed an action on a resource, and which statement decides?
    Simulate(SimulateWith),
    /// Who may do an action on a resource?
    WhoCan(WhoCanWith),
}

/// A local command with no arguments of its own.
#[derive(Debug, Args)]
pub struct LocalOnly {
    #[command(flatten)]
    pub local: Local,
}

/// A local command family: the data dir options and one subcommand.
#[derive(Debug, Args)]
pub struct WithLocal<C: Subcommand> {
    #[command(flatten)]
    pub local: Local,
    #[command(subcommand)]
    pub command: C,
}

#[derive(Debug, Args)]
pub struct GrantWith {
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub args: GrantArgs,
}

#[derive(Debug, Args)]
pub struct SimulateWith {
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub args: SimulateArgs,
}

#[derive(Debug, Args)]
pub struct WhoCanWith {
    #[command(flatten)]
    pub local: Local,
    #[command(flatten)]
    pub args: WhoCanArgs,
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
}
