//! The peers' start lines (performance-and-reliability.md §3, §9): NATS with JetStream from
//! a config file (`sync_interval: always` for fsync before the PubAck), Redis with
//! `appendfsync always` or its own defaults, RabbitMQ through Debian's wrapper (it drops to the
//! `rabbitmq` user) with every listener, the distribution port and `epmd` on loopback.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{Endpoint, Installs, Rabbit, command, free_port, loopback, wait_ready};
use crate::PeerError;
use crate::system::{Durability, Kind, Target};

/// Runs a program as another user, keeping the caller's limits (util-linux).
const SETPRIV: &str = "/usr/bin/setpriv";
/// The `rabbitmq` user's home: its Erlang cookie, shared with `rabbitmqctl`.
const RABBITMQ_HOME: &str = "/var/lib/rabbitmq";

fn write(path: &Path, text: &str) -> Result<(), PeerError> {
    std::fs::write(path, text).map_err(|e| PeerError::io(path, e))
}

fn spawn(mut cmd: Command, target: Target, program: &Path) -> Result<Child, PeerError> {
    cmd.spawn().map_err(|e| PeerError::Start {
        system: target.label().to_owned(),
        program: program.to_owned(),
        reason: e.to_string(),
    })
}

pub(super) fn start_nats(
    target: Target,
    installs: &Installs,
    cpus: Option<&str>,
    dir: &Path,
) -> Result<(Child, Endpoint, Option<Rabbit>), PeerError> {
    let addr = loopback(free_port()?);
    let store = dir.join("jetstream");
    let sync = match target.durability {
        Durability::Fsync => "\n  sync_interval: always",
        Durability::Defaults => "",
    };
    let conf = dir.join("nats.conf");
    write(
        &conf,
        &format!(
            "listen: \"{addr}\"\njetstream {{\n  store_dir: \"{}\"{sync}\n}}\n",
            store.display()
        ),
    )?;
    let log = dir.join("server.log");
    let mut cmd = command(&installs.nats_server, cpus, &log)?;
    cmd.arg("-c").arg(&conf);
    let mut child = spawn(cmd, target, &installs.nats_server)?;
    wait_ready("nats", &mut child, &[addr], || true, &log)?;
    Ok((child, Endpoint::Nats { addr }, None))
}

pub(super) fn start_redis(
    target: Target,
    installs: &Installs,
    cpus: Option<&str>,
    dir: &Path,
) -> Result<(Child, Endpoint, Option<Rabbit>), PeerError> {
    let addr = loopback(free_port()?);
    let log = dir.join("server.log");
    let mut cmd = command(&installs.redis_server, cpus, &log)?;
    cmd.arg("--port")
        .arg(addr.port().to_string())
        .arg("--bind")
        .arg("127.0.0.1")
        .arg("--dir")
        .arg(dir)
        .arg("--daemonize")
        .arg("no");
    if target.durability == Durability::Fsync {
        cmd.args([
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ]);
    }
    let mut child = spawn(cmd, target, &installs.redis_server)?;
    wait_ready("redis", &mut child, &[addr], || true, &log)?;
    Ok((child, Endpoint::Redis { addr }, None))
}

pub(super) fn start_rabbitmq(
    target: Target,
    installs: &Installs,
    cpus: Option<&str>,
    dir: &Path,
) -> Result<(Child, Endpoint, Option<Rabbit>), PeerError> {
    let amqp = loopback(free_port()?);
    let stream = loopback(free_port()?);
    let dist = free_port()?;
    let epmd_port = free_port()?;
    let node = format!("bench{}@localhost", amqp.port());
    let streams = target.kind == Kind::RabbitmqStream;
    write(
        &dir.join("rabbitmq.conf"),
        &format!(
            "listeners.tcp.default = 127.0.0.1:{}\n\
             stream.listeners.tcp.default = 127.0.0.1:{}\n\
             stream.advertised_host = 127.0.0.1\n\
             stream.advertised_port = {}\n\
             log.file.level = warning\n",
            amqp.port(),
            stream.port(),
            stream.port()
        ),
    )?;
    write(
        &dir.join("enabled_plugins"),
        if streams {
            "[rabbitmq_stream].\n"
        } else {
            "[].\n"
        },
    )?;
    let path = |p: &str| dir.join(p).display().to_string();
    let env: Vec<(String, String)> = [
        ("RABBITMQ_NODENAME", node.clone()),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".to_owned()),
        ("RABBITMQ_NODE_PORT", amqp.port().to_string()),
        ("RABBITMQ_DIST_PORT", dist.to_string()),
        ("RABBITMQ_MNESIA_BASE", path("mnesia")),
        ("RABBITMQ_LOG_BASE", path("log")),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins")),
        ("RABBITMQ_CONFIG_FILE", path("rabbitmq.conf")),
        ("RABBITMQ_PID_FILE", path("rabbitmq.pid")),
        (
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
            "-kernel inet_dist_use_interface {127,0,0,1}".to_owned(),
        ),
        ("ERL_EPMD_ADDRESS", "127.0.0.1".to_owned()),
        ("ERL_EPMD_PORT", epmd_port.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // The wrapper runs the broker as the `rabbitmq` user, which must own its dirs.
    let _ = Command::new("chown")
        .args(["-R", "rabbitmq:rabbitmq"])
        .arg(dir)
        .status();
    let log = dir.join("server.log");
    // As Debian's systemd unit runs it: the broker script itself as the `rabbitmq` user, with
    // the limits of whoever started the suite (Debian's `su` wrapper would apply PAM's
    // 1,024 open files, which a few hundred streams exhaust; the unit sets 65,536).
    let mut cmd = command(Path::new(SETPRIV), cpus, &log)?;
    cmd.args(["--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups"])
        .arg(&installs.rabbitmq_server)
        .current_dir(RABBITMQ_HOME)
        .env("HOME", RABBITMQ_HOME)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = spawn(cmd, target, &installs.rabbitmq_server)?;
    let addrs = if streams {
        vec![amqp, stream]
    } else {
        vec![amqp]
    };
    let rabbit = Rabbit {
        node,
        env,
        epmd_port,
    };
    if let Err(e) = wait_ready("rabbitmq", &mut child, &addrs, || true, &log) {
        stop_rabbitmq(installs, &rabbit);
        let _ = child.kill();
        let _ = child.wait();
        kill_epmd(epmd_port);
        return Err(e);
    }
    let endpoint = if streams {
        Endpoint::RabbitmqStream { stream }
    } else {
        Endpoint::RabbitmqQuorum { amqp }
    };
    Ok((child, endpoint, Some(rabbit)))
}

/// `rabbitmqctl stop`, bounded in time (the tree is killed by PID afterwards either way).
pub(super) fn stop_rabbitmq(installs: &Installs, rabbit: &Rabbit) {
    let child = Command::new(&installs.rabbitmqctl)
        .arg("-n")
        .arg(&rabbit.node)
        .arg("stop")
        .envs(rabbit.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut c) = child {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if matches!(c.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Stops the `epmd` started for the run: the one whose environment holds its private port.
pub(super) fn kill_epmd(port: u16) {
    let want = format!("ERL_EPMD_PORT={port}");
    for pid in crate::procfs::pids() {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains("epmd") {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|kv| kv == want.as_bytes()) {
            super::signal(&[pid], "KILL");
        }
    }
}
