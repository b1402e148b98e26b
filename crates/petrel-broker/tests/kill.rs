//! Kill -9 test: a child process (this test binary re-run in the child role) sends, receives and
//! acks in a loop, printing each event once its call returned Ok; the parent SIGKILLs it at a
//! random moment, several times, then checks the whole event history: a message acked before a
//! kill is never received again, and every message whose send returned Ok is eventually
//! received or was acked (at least once).
//!
//! `PETREL_BROKER_KILL_CYCLES` (default 3) sets the number of kill/restart cycles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{group, open, req, topic};
use petrel_broker::{BrokerConfig, OutgoingMessage};

const ENV_DIR: &str = "PETREL_BROKER_KILL_DIR";
const ENV_CYCLE: &str = "PETREL_BROKER_KILL_CYCLE";
const INVISIBLE_MS: u64 = 400;

fn config() -> BrokerConfig {
    BrokerConfig {
        snapshot_every_records: 50,
        snapshot_interval: Duration::from_millis(100),
        ..BrokerConfig::for_tests()
    }
}

fn emit(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for l in lines {
        out.write_all(format!("{l} END\n").as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

/// The child role: send, receive, ack (two of three) until killed (bounded to 20 s).
#[test]
fn kill_child() {
    let (Ok(dir), Ok(cycle)) = (std::env::var(ENV_DIR), std::env::var(ENV_CYCLE)) else {
        return; // not the child
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (_store, broker) = open(Path::new(&dir), &config());
        let (t, g) = (topic("kill"), group("g"));
        emit(&["READY".to_string()]);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut n = 0u64;
        while Instant::now() < deadline {
            let batch: Vec<_> = (0..3)
                .map(|k| OutgoingMessage::new(format!("c{cycle}-{n}-{k}"), vec![b'x'; 64]))
                .collect();
            let ids: Vec<String> = batch.iter().map(|m| m.message_id.clone()).collect();
            broker.send(&t, batch).await.unwrap();
            emit(
                &ids.iter()
                    .map(|id| format!("SENT {id}"))
                    .collect::<Vec<_>>(),
            );
            let got = broker
                .receive(&g, &t, &req(5, INVISIBLE_MS, 0))
                .await
                .unwrap();
            emit(
                &got.iter()
                    .map(|d| format!("RECV {}", d.message.message_id))
                    .collect::<Vec<_>>(),
            );
            let to_ack: Vec<_> = got
                .iter()
                .filter(|d| (d.message.queue_offset + u64::from(d.delivery_attempt)) % 3 != 0)
                .collect();
            let handles: Vec<&str> = to_ack.iter().map(|d| d.receipt_handle.as_str()).collect();
            let results = broker.ack_many(&g, &t, &handles).await;
            let mut acked = Vec::new();
            for (d, r) in to_ack.iter().zip(results) {
                if r.is_ok() {
                    acked.push(format!("ACKED {}", d.message.message_id));
                }
            }
            acked.push("ACKS_DONE -".to_string());
            emit(&acked);
            n += 1;
        }
    });
}

#[test]
fn acks_confirmed_before_a_kill_stay_acked_and_nothing_sent_is_lost() {
    let cycles: u32 = std::env::var("PETREL_BROKER_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut sent = HashSet::new();
    let mut acked = HashSet::new();
    // Received in the batch being acked when the child died: the ack may have been durable
    // without its line being printed, so these may or may not come back.
    let mut maybe_acked = HashSet::new();
    let mut violations = Vec::new();
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args(["kill_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(ENV_DIR, dir.path())
            .env(ENV_CYCLE, cycle.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for READY, then let it work for a pseudo-random while and kill it.
        let ready_by = Instant::now() + Duration::from_secs(30);
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("child never got ready");
            if line.contains("READY") {
                break;
            }
            assert!(Instant::now() < ready_by);
        }
        let run_ms = 250 + (u64::from(cycle) * 137 + 91) % 400;
        std::thread::sleep(Duration::from_millis(run_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        let mut unsettled = HashSet::new();
        let lines: Vec<String> = rx.try_iter().collect();
        for line in lines {
            // A line cut by the kill has no END and is ignored.
            let Some(event) = line.strip_suffix(" END") else {
                continue;
            };
            let Some((kind, id)) = event.split_once(' ') else {
                continue;
            };
            match kind {
                "SENT" => {
                    sent.insert(id.to_string());
                }
                "RECV" => {
                    if acked.contains(id) {
                        violations.push(format!("{id} received after its ack"));
                    }
                    unsettled.insert(id.to_string());
                }
                "ACKED" => {
                    acked.insert(id.to_string());
                }
                "ACKS_DONE" => unsettled.clear(),
                _ => {}
            }
        }
        maybe_acked.extend(unsettled);
    }
    eprintln!(
        "kill test: {} sent, {} acked, {} unsettled at kills",
        sent.len(),
        acked.len(),
        maybe_acked.len()
    );
    assert!(violations.is_empty(), "{violations:?}");
    assert!(
        !acked.is_empty() && sent.len() > acked.len(),
        "the child did too little"
    );

    // Reopen and take everything left once every invisible time has ended.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_store, broker) = open(dir.path(), &config());
        tokio::time::sleep(Duration::from_millis(INVISIBLE_MS + 100)).await;
        let (t, g) = (topic("kill"), group("g"));
        let left = common::drain(&broker, &g, &t, 60_000).await;
        let left: HashSet<String> = left.into_iter().map(|d| d.message.message_id).collect();
        let back: Vec<_> = left.intersection(&acked).collect();
        assert!(back.is_empty(), "acked messages delivered again: {back:?}");
        let lost: Vec<_> = sent
            .iter()
            .filter(|id| !acked.contains(*id) && !left.contains(*id) && !maybe_acked.contains(*id))
            .collect();
        assert!(lost.is_empty(), "sent messages never delivered: {lost:?}");
        broker.close().await.unwrap();
    });
}
