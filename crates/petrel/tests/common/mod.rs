//! Test harness: runs the real `petrel` binary on free ports with a temporary data dir and
//! learns its addresses from its log.

#![allow(dead_code, reason = "each test binary uses part of the harness")]
#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test harness: a failure here is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `petrel serve`; killed on drop.
pub struct Server {
    pub child: Child,
    pub http_addr: String,
    /// Where the RocketMQ gRPC front end listens.
    pub grpc_addr: String,
    pub data_dir: PathBuf,
    /// Output lines, each prefixed with `[out] ` or `[err] ` for its stream.
    pub log: mpsc::Receiver<String>,
    /// The lines printed before the server said where it listens.
    pub startup: Vec<String>,
    _tmp: Option<tempfile::TempDir>,
}

pub fn petrel_bin() -> &'static str {
    env!("CARGO_BIN_EXE_petrel")
}

impl Server {
    /// Starts a server with a fresh temporary data dir.
    pub fn start() -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let mut server = Server::start_in(&dir, &[]);
        server._tmp = Some(tmp);
        server
    }

    /// Starts a server on `data_dir` with extra flags.
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Server {
        let mut cmd = Command::new(petrel_bin());
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"])
            // Small segments: a test has no use for 1 GiB of preallocated log.
            .args(["--segment-bytes", "8388608"])
            .args(extra)
            .env_remove("PETREL_CONFIG")
            .env("PETREL_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Server::spawn(cmd, data_dir)
    }

    /// Spawns a prepared command and waits for its HTTP address.
    pub fn spawn(mut cmd: Command, data_dir: &Path) -> Server {
        let mut child = cmd.spawn().expect("spawn petrel");
        let (tx, rx) = mpsc::channel();
        for (tag, stream) in [
            (
                "[err] ",
                Box::new(child.stderr.take().expect("stderr")) as Box<dyn std::io::Read + Send>,
            ),
            ("[out] ", Box::new(child.stdout.take().expect("stdout"))),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(format!("{tag}{line}")).is_err() {
                        break;
                    }
                }
            });
        }
        let (found, mut startup) = wait_for_line(&rx, "http listening on ", &mut child);
        let (grpc, more) = wait_for_line(&rx, "grpc listening on ", &mut child);
        startup.extend(more);
        Server {
            child,
            http_addr: found.trim().to_owned(),
            grpc_addr: grpc.trim().to_owned(),
            data_dir: data_dir.to_owned(),
            log: rx,
            startup,
            _tmp: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http_addr, path)
    }

    /// Kills the process with SIGKILL: no shutdown work at all, as in a crash.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        wait_timeout(&mut self.child, Duration::from_secs(20))
            .expect("petrel did not exit on sigterm")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until a line contains `marker`; returns what follows it and the lines before it.
pub fn wait_for_line(
    rx: &mpsc::Receiver<String>,
    marker: &str,
    child: &mut Child,
) -> (String, Vec<String>) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while std::time::Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(pos) = line.find(marker) {
                    return (line[pos + marker.len()..].to_owned(), seen);
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "petrel exited with {status} before logging `{marker}`:\n{}",
                        seen.join("\n")
                    );
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!(
                    "petrel closed its output before logging `{marker}`:\n{}",
                    seen.join("\n")
                )
            }
        }
    }
    panic!("timed out waiting for `{marker}`:\n{}", seen.join("\n"))
}

pub fn wait_timeout(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
