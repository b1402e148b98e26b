//! Starting and stopping the systems under test. Each run gets a fresh data dir under the
//! scratch dir and fresh loopback ports; the server is pinned to the server CPU set with
//! `taskset` and stopped by PID — SIGTERM to its whole process tree, SIGKILL after a grace
//! period — so nothing it started outlives the run. RabbitMQ's `epmd`, which daemonizes out
//! of the tree, gets a port of its own and is found and stopped by that port.

mod peers;
mod petrel;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::PeerError;
use crate::procfs;
use crate::system::{Kind, Target};

/// Where each system's program is.
#[derive(Debug, Clone)]
pub struct Installs {
    pub petrel: PathBuf,
    pub nats_server: PathBuf,
    pub redis_server: PathBuf,
    pub rabbitmq_server: PathBuf,
    pub rabbitmqctl: PathBuf,
}

/// How the client reaches a started system.
#[derive(Debug, Clone)]
pub enum Endpoint {
    Petrel {
        grpc: SocketAddr,
        http: SocketAddr,
        access_key_id: String,
        access_key_secret: String,
    },
    Nats {
        addr: SocketAddr,
    },
    Redis {
        addr: SocketAddr,
    },
    RabbitmqQuorum {
        amqp: SocketAddr,
    },
    RabbitmqStream {
        stream: SocketAddr,
    },
}

/// What stopping RabbitMQ needs beyond the process tree.
#[derive(Debug, Clone)]
struct Rabbit {
    node: String,
    env: Vec<(String, String)>,
    epmd_port: u16,
}

/// A started system.
#[derive(Debug)]
pub struct Server {
    pub target: Target,
    pub endpoint: Endpoint,
    /// The root of the server's process tree.
    pub pid: u32,
    /// How long it took to answer on its ports.
    pub startup: Duration,
    child: Child,
    dir: PathBuf,
    rabbit: Option<Rabbit>,
}

/// How long a server may take to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a server may take to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// A free loopback port (the listener is closed again; the server binds it next).
pub fn free_port() -> Result<u16, PeerError> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| PeerError::io("127.0.0.1:0", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| PeerError::io("127.0.0.1:0", e))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// `program args…`, under `taskset -c cpus` when a CPU set is given, with its output in
/// `log`.
fn command(program: &Path, cpus: Option<&str>, log: &Path) -> Result<Command, PeerError> {
    let mut cmd = match cpus {
        Some(set) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(set).arg(program);
            c
        }
        None => Command::new(program),
    };
    let out = std::fs::File::create(log).map_err(|e| PeerError::io(log, e))?;
    let err = out.try_clone().map_err(|e| PeerError::io(log, e))?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    Ok(cmd)
}

/// Waits until every address accepts a connection, or the server died, or time ran out.
fn wait_ready(
    system: &str,
    child: &mut Child,
    addrs: &[SocketAddr],
    extra: impl Fn() -> bool,
    log: &Path,
) -> Result<(), PeerError> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            let tail: String = tail.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            return Err(PeerError::NotReady {
                system: system.to_owned(),
                secs: start.elapsed().as_secs(),
                reason: format!("it exited with {status}: {tail}"),
            });
        }
        let up = addrs
            .iter()
            .all(|a| TcpStream::connect_timeout(a, Duration::from_millis(200)).is_ok());
        if up && extra() {
            return Ok(());
        }
        if start.elapsed() > READY_TIMEOUT {
            return Err(PeerError::NotReady {
                system: system.to_owned(),
                secs: READY_TIMEOUT.as_secs(),
                reason: format!("nothing answered on {addrs:?}"),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(pids: &[u32], sig: &str) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Starts `target` in a fresh dir under `scratch`.
pub fn start(
    target: Target,
    installs: &Installs,
    cpus: Option<&str>,
    scratch: &Path,
) -> Result<Server, PeerError> {
    let dir = scratch.join(format!("{}-{}", target.id(), free_port()?));
    std::fs::create_dir_all(&dir).map_err(|e| PeerError::io(&dir, e))?;
    let started = Instant::now();
    let (child, endpoint, rabbit) = match target.kind {
        Kind::Petrel => petrel::start(target, installs, cpus, &dir)?,
        Kind::Nats => peers::start_nats(target, installs, cpus, &dir)?,
        Kind::Redis => peers::start_redis(target, installs, cpus, &dir)?,
        Kind::RabbitmqQuorum | Kind::RabbitmqStream => {
            peers::start_rabbitmq(target, installs, cpus, &dir)?
        }
    };
    let pid = child.id();
    Ok(Server {
        target,
        endpoint,
        pid,
        startup: started.elapsed(),
        child,
        dir,
        rabbit,
    })
}

impl Server {
    /// Stops the server and everything it started, then removes its data dir.
    pub fn stop(mut self, installs: &Installs) {
        if let Some(r) = &self.rabbit {
            peers::stop_rabbitmq(installs, r);
        }
        let tree = procfs::tree(self.pid);
        signal(&tree, "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let left: Vec<u32> = tree
            .into_iter()
            .filter(|p| Path::new(&format!("/proc/{p}")).exists())
            .collect();
        signal(&left, "KILL");
        let _ = self.child.wait();
        if let Some(r) = &self.rabbit {
            peers::kill_epmd(r.epmd_port);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// The server's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }
}
