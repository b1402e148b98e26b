//! Kill -9 test: a child process (this test binary re-executed in the child role) appends
//! concurrently with sync flush and prints every acknowledged record; the parent SIGKILLs it at
//! random moments, reopens the store, and checks that every acknowledged record is present and
//! intact, that offsets per queue are contiguous, and that every served record is well-formed.
//!
//! `PETREL_CRASH_CYCLES` (default 20) sets the number of kill/restart cycles.

// Helpers outside #[test] fns are test code too; clippy.toml's test allowance does not see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{body_for, msg};
use petrel_store::{Store, StoreConfig};

const QUEUES: u32 = 4;
const ENV_DIR: &str = "PETREL_CRASH_CHILD_DIR";
const ENV_CYCLE: &str = "PETREL_CRASH_CHILD_CYCLE";

fn config() -> StoreConfig {
    StoreConfig {
        segment_size: 1 << 20,
        max_message_bytes: 64 << 10,
        checkpoint_interval: Duration::from_millis(150),
        ..StoreConfig::for_tests()
    }
}

fn body_len(id: &str) -> usize {
    id.bytes().map(|b| b as usize).sum::<usize>() * 7 % 3000
}

/// The child role: append forever (bounded to 30 s), printing acknowledgements.
#[test]
fn crash_child() {
    let (Ok(dir), Ok(cycle)) = (std::env::var(ENV_DIR), std::env::var(ENV_CYCLE)) else {
        return; // not the child: nothing to do
    };
    let store = Arc::new(Store::open(Path::new(&dir), config()).unwrap());
    println!("READY");
    let deadline = Instant::now() + Duration::from_secs(30);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            let cycle = cycle.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let batch: Vec<_> = (0..1 + n % 3)
                        .map(|k| {
                            let id = format!("c{cycle}-t{t}-{n}-{k}");
                            let q = ((n + k + t) % QUEUES as u64) as u32;
                            msg("crash", q, &id, &body_for(&id, body_len(&id)))
                        })
                        .collect();
                    let ids: Vec<_> = batch
                        .iter()
                        .map(|m| (m.queue_id, m.msg_id.clone()))
                        .collect();
                    let acks = store.append(batch).unwrap();
                    let mut out = String::new();
                    for ((q, id), a) in ids.iter().zip(acks) {
                        out.push_str(&format!("ACK {q} {} {id} END\n", a.queue_offset));
                    }
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(out.as_bytes()).unwrap();
                    stdout.flush().unwrap();
                    n += 1;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn next_rand(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    if std::env::var(ENV_DIR).is_ok() {
        return;
    }
    let cycles: u32 = std::env::var("PETREL_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ std::process::id() as u64;
    // (queue, offset) -> msg id of every acknowledged record so far.
    let mut acked: HashMap<(u32, u64), String> = HashMap::new();
    let mut torn_tails = 0;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
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
        // Wait until the child has recovered and started, then let it run a random while.
        let ready_by = Instant::now() + Duration::from_secs(30);
        let mut lines = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("child never got ready");
            if line.ends_with("READY") {
                break;
            }
            lines.push(line);
            assert!(Instant::now() < ready_by);
        }
        std::thread::sleep(Duration::from_millis(20 + next_rand(&mut rng) % 200));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());

        let mut this_cycle = 0;
        for line in &lines {
            // A line cut by the kill has no END: that append's ack was never fully observed.
            let parts: Vec<_> = line.split(' ').collect();
            if parts.len() == 5 && parts[0] == "ACK" && parts[4] == "END" {
                let q: u32 = parts[1].parse().unwrap();
                let off: u64 = parts[2].parse().unwrap();
                let prev = acked.insert((q, off), parts[3].to_string());
                assert!(prev.is_none(), "offset {q}/{off} acknowledged twice");
                this_cycle += 1;
            }
        }
        assert!(this_cycle > 0 || cycle > 0, "child acknowledged nothing");

        let store = Store::open(dir.path(), config()).unwrap();
        if store.recovery_report().torn_tail.is_some() {
            torn_tails += 1;
        }
        let mut by_queue: HashMap<u32, Vec<(u64, &String)>> = HashMap::new();
        for ((q, off), id) in &acked {
            by_queue.entry(*q).or_default().push((*off, id));
        }
        for q in 0..QUEUES {
            let (min, max) = store.queue_offsets("crash", q);
            assert_eq!(min, 0);
            let mut next = min;
            let mut served = HashMap::new();
            while next < max {
                let r = store.read("crash", q, next, 500, 1 << 20).unwrap();
                assert!(!r.messages.is_empty());
                for m in r.messages {
                    assert_eq!(m.queue_offset, next, "offsets must be contiguous");
                    assert_eq!(
                        &m.body[..],
                        &body_for(&m.msg_id, body_len(&m.msg_id))[..],
                        "record {} served with wrong bytes",
                        m.msg_id
                    );
                    served.insert(next, m.msg_id);
                    next += 1;
                }
            }
            for (off, id) in by_queue.get(&q).map(Vec::as_slice).unwrap_or(&[]) {
                assert_eq!(
                    served.get(off),
                    Some(*id),
                    "cycle {cycle}: acknowledged {id} at {q}/{off} lost (max {max})"
                );
            }
        }
        // Unacknowledged records that survived are legitimate; remember them so later cycles
        // hold them to the same standard.
        for q in 0..QUEUES {
            let (_, max) = store.queue_offsets("crash", q);
            let r = store.read("crash", q, 0, max as usize, usize::MAX).unwrap();
            for m in r.messages {
                acked.entry((q, m.queue_offset)).or_insert(m.msg_id);
            }
        }
        store.close().unwrap();
    }
    println!(
        "{cycles} kill cycles, {} records checked, {torn_tails} torn tails cut",
        acked.len()
    );
}
