//! Kill -9 test of the broker's own durable moves: a child process (this test binary re-run in
//! the child role) sends delay messages, transactional messages it commits, rolls back or
//! leaves open, and normal messages it lets fail into the dead-letter queue; the parent
//! SIGKILLs it at random moments, then checks after reopening that every acknowledged delay
//! message is delivered exactly once and never early, every committed transaction exactly once
//! and nothing else, and every dead letter exists exactly once.
//!
//! `PETREL_BROKER_KILL_CYCLES` (default 3) sets the number of kill/restart cycles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{delay_msg, group, msg, now_ms, open, req, typed_topic};
use petrel_broker::{
    Broker, BrokerConfig, MessageType, ReceiveRequest, RetryPolicy, TopicRef, TransactionResolution,
};

const ENV_DIR: &str = "PETREL_BROKER_KILL_SEM_DIR";
const ENV_CYCLE: &str = "PETREL_BROKER_KILL_SEM_CYCLE";

fn config() -> BrokerConfig {
    BrokerConfig {
        snapshot_every_records: 40,
        snapshot_interval: Duration::from_millis(100),
        // Open transactions stay open: the test checks what the child decided.
        transaction_check_delay: Duration::from_secs(3600),
        ..BrokerConfig::for_tests()
    }
}

fn topics() -> (TopicRef, TopicRef, TopicRef) {
    (
        typed_topic("kdelay", MessageType::Delay, 2),
        typed_topic("ktxn", MessageType::Transaction, 2),
        typed_topic("kdlq", MessageType::Normal, 2),
    )
}

/// One attempt, 50 ms to settle: every delivery fails into the dead-letter queue.
fn failing() -> ReceiveRequest {
    ReceiveRequest {
        retry: RetryPolicy::immediate(1),
        ..req(8, 50, 0)
    }
}

fn emit(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for l in lines {
        out.write_all(format!("{l} END\n").as_bytes()).unwrap();
    }
    out.flush().unwrap();
}

/// The child role: until killed (bounded to 20 s).
#[test]
fn kill_semantics_child() {
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
        let (delay, txn, dlq) = topics();
        emit(&["READY -".to_string()]);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut n = 0u64;
        while Instant::now() < deadline {
            let id = format!("c{cycle}-d{n}");
            let due = now_ms() + 100 + (n % 5) as i64 * 100;
            broker
                .send(&delay, vec![delay_msg(&id, due)])
                .await
                .unwrap();
            emit(&[format!("DSENT {id}:{due}")]);

            let id = format!("c{cycle}-t{n}");
            let mut m = msg(&id, "t");
            m.message_type = MessageType::Transaction;
            let r = broker.send(&txn, vec![m]).await.unwrap();
            let tid = r[0].transaction_id.clone().unwrap();
            emit(&[format!("TSENT {id}")]);
            let decision = match n % 3 {
                0 => Some((TransactionResolution::Rollback, "TROLLBACK")),
                1 => Some((TransactionResolution::Commit, "TCOMMIT")),
                _ => None,
            };
            if let Some((resolution, word)) = decision {
                broker
                    .end_transaction(&txn, &id, &tid, resolution)
                    .await
                    .unwrap();
                emit(&[format!("{word} {id}")]);
            }

            let id = format!("c{cycle}-n{n}");
            broker.send(&dlq, vec![msg(&id, "n")]).await.unwrap();
            emit(&[format!("NSENT {id}")]);
            broker.receive(&group("g"), &dlq, &failing()).await.unwrap();
            n += 1;
        }
    });
}

/// Receives everything `g` can get from `t` (acking it), waiting `poll_ms` for more.
async fn drain_all(broker: &Broker, t: &TopicRef, poll_ms: u64) -> Vec<(String, i64)> {
    let g = group("check");
    let mut out = Vec::new();
    loop {
        let got = broker
            .receive(&g, t, &req(32, 60_000, poll_ms))
            .await
            .unwrap();
        if got.is_empty() {
            return out;
        }
        for d in got {
            broker.ack(&g, t, &d.receipt_handle).await.unwrap();
            out.push((d.message.message_id, d.message.store_timestamp_ms));
        }
    }
}

fn duplicates(ids: &[String]) -> Vec<&String> {
    let mut seen = HashSet::new();
    ids.iter().filter(|id| !seen.insert(*id)).collect()
}

#[test]
fn delay_transaction_and_dead_letter_moves_survive_kill_9() {
    let cycles: u32 = std::env::var("PETREL_BROKER_KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut events: Vec<(String, String)> = Vec::new();
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args([
                "kill_semantics_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
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
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("child never got ready");
            if line.contains("READY") {
                break;
            }
        }
        let run_ms = 300 + (u64::from(cycle) * 211 + 57) % 500;
        std::thread::sleep(Duration::from_millis(run_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            // A line cut by the kill has no END and is ignored.
            let Some(event) = line.strip_suffix(" END") else {
                continue;
            };
            if let Some((kind, rest)) = event.split_once(' ') {
                events.push((kind.to_string(), rest.to_string()));
            }
        }
    }
    let of = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let delayed: HashMap<String, i64> = of("DSENT")
        .into_iter()
        .map(|v| {
            let (id, due) = v.split_once(':').unwrap();
            (id.to_string(), due.parse().unwrap())
        })
        .collect();
    let committed: HashSet<String> = of("TCOMMIT").into_iter().collect();
    let rolled_back: HashSet<String> = of("TROLLBACK").into_iter().collect();
    let normal: HashSet<String> = of("NSENT").into_iter().collect();
    eprintln!(
        "kill semantics: {} delayed, {} committed, {} rolled back, {} to dead-letter",
        delayed.len(),
        committed.len(),
        rolled_back.len(),
        normal.len()
    );
    assert!(!delayed.is_empty() && !committed.is_empty() && !normal.is_empty());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_store, broker) = open(dir.path(), &config());
        let (delay, txn, dlq) = topics();
        let last_due = delayed.values().copied().max().unwrap_or(0);
        let wait = u64::try_from(last_due + 300 - now_ms()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(wait)).await;

        // Delay: every acknowledged one exactly once, none stored before its time.
        let got = drain_all(&broker, &delay, 300).await;
        let ids: Vec<String> = got.iter().map(|(id, _)| id.clone()).collect();
        assert!(
            duplicates(&ids).is_empty(),
            "released twice: {:?}",
            duplicates(&ids)
        );
        let got_set: HashSet<&String> = ids.iter().collect();
        let lost: Vec<_> = delayed.keys().filter(|id| !got_set.contains(id)).collect();
        assert!(lost.is_empty(), "delay messages lost: {lost:?}");
        for (id, stored) in &got {
            if let Some(due) = delayed.get(id) {
                assert!(stored >= due, "{id} released {} ms early", due - stored);
            }
        }
        assert_eq!(broker.pending_delayed(), 0);

        // Transactions: exactly the commits, once each.
        let ids: Vec<String> = drain_all(&broker, &txn, 300)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert!(
            duplicates(&ids).is_empty(),
            "committed twice: {:?}",
            duplicates(&ids)
        );
        let got_set: HashSet<&String> = ids.iter().collect();
        let lost: Vec<_> = committed
            .iter()
            .filter(|id| !got_set.contains(id))
            .collect();
        assert!(lost.is_empty(), "commits lost: {lost:?}");
        let wrong: Vec<_> = ids
            .iter()
            .filter(|id| rolled_back.contains(*id) || id.contains("-t") && !id_mod(id, 1))
            .collect();
        assert!(
            wrong.is_empty(),
            "rolled back or open, yet delivered: {wrong:?}"
        );

        // Dead letters: each failed message exactly once.
        let g = group("g");
        let mut quiet = 0;
        while quiet < 3 {
            tokio::time::sleep(Duration::from_millis(80)).await;
            let got = broker.receive(&g, &dlq, &failing()).await.unwrap();
            quiet = if got.is_empty() { quiet + 1 } else { 0 };
        }
        let mut letters = Vec::new();
        let mut from = None;
        loop {
            let page = broker.dead_letters(&g, from, 1000).unwrap();
            letters.extend(page.items.into_iter().map(|d| d.message.message_id));
            match page.next {
                Some(n) => from = Some(n),
                None => break,
            }
        }
        assert!(
            duplicates(&letters).is_empty(),
            "dead-lettered twice: {:?}",
            duplicates(&letters)
        );
        let letter_set: HashSet<&String> = letters.iter().collect();
        let missing: Vec<_> = normal
            .iter()
            .filter(|id| !letter_set.contains(id))
            .collect();
        assert!(missing.is_empty(), "never dead-lettered: {missing:?}");
        broker.close().await.unwrap();
    });
}

/// Whether transaction message `id` (`c{cycle}-t{n}`) has `n % 3 == r`.
fn id_mod(id: &str, r: u64) -> bool {
    id.rsplit("-t")
        .next()
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n % 3 == r)
}
