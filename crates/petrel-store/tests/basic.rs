//! Core behaviour through the public API: append/read, ids and keys, time lookups, restart.

// Helpers outside #[test] fns are test code too; clippy.toml's test allowance does not see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{body_for, msg, small_config};
use petrel_store::{FlushMode, ReadStatus, Store, StoreConfig, StoreError};

#[test]
fn appended_messages_read_back_in_order_with_contiguous_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), small_config()).unwrap();
    let mut all = Vec::new();
    for i in 0..50 {
        let batch: Vec<_> = (0..3)
            .map(|j| {
                let id = format!("m{i}-{j}");
                msg("orders", j, &id, &body_for(&id, 2000 + i * 10))
            })
            .collect();
        let acks = store.append(batch.clone()).unwrap();
        assert_eq!(acks.len(), 3);
        for (m, a) in batch.into_iter().zip(acks) {
            assert_eq!(a.queue_offset, i as u64);
            all.push((m, a));
        }
    }
    for q in 0..3u32 {
        assert_eq!(store.queue_offsets("orders", q), (0, 50));
        let r = store.read("orders", q, 0, 1000, usize::MAX).unwrap();
        assert_eq!(r.status, ReadStatus::Found);
        assert_eq!(r.messages.len(), 50);
        assert_eq!(r.next_offset, 50);
        for (k, m) in r.messages.iter().enumerate() {
            let (orig, ack) = &all[k * 3 + q as usize];
            assert_eq!(m.queue_offset, k as u64);
            assert_eq!(m.msg_id, orig.msg_id);
            assert_eq!(m.body, orig.body);
            assert_eq!(m.keys, orig.keys);
            assert_eq!(m.tag, orig.tag);
            assert_eq!(m.properties, orig.properties);
            assert_eq!(m.log_pos, ack.log_pos);
            assert_eq!(m.store_ms, ack.store_ms);
        }
    }
    let r = store.read("orders", 0, 50, 10, usize::MAX).unwrap();
    assert_eq!(r.status, ReadStatus::NoNewMessages);
    let r = store.read("orders", 0, 51, 10, usize::MAX).unwrap();
    assert_eq!(r.status, ReadStatus::OffsetBeyondMax);
    assert_eq!(r.next_offset, 50);
    let r = store.read("nope", 0, 0, 10, usize::MAX).unwrap();
    assert_eq!(r.status, ReadStatus::NoNewMessages);
    // max_bytes bounds the batch but always returns at least one message.
    let r = store.read("orders", 1, 0, 1000, 1).unwrap();
    assert_eq!(r.messages.len(), 1);
    let r = store.read("orders", 1, 0, 1000, 10_000).unwrap();
    assert!(r.messages.len() > 1 && r.messages.len() < 50);
    assert!(
        store.stats().segments >= 2,
        "small segments should have rolled"
    );
}

#[test]
fn messages_survive_restart_and_get_by_id_works_after_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path(), small_config()).unwrap();
        for i in 0..200 {
            let id = format!("id-{i}");
            store
                .append(vec![msg("t", i % 4, &id, &body_for(&id, 700))])
                .unwrap();
        }
        store.close().unwrap();
    }
    let store = Store::open(dir.path(), small_config()).unwrap();
    assert!(store.recovery_report().clean_shutdown);
    assert_eq!(store.recovery_report().records_replayed, 0);
    for i in [0, 57, 199] {
        let id = format!("id-{i}");
        let m = store.get_by_id(&id).unwrap().expect("message by id");
        assert_eq!(m.msg_id, id);
        assert_eq!(&m.body[..], &body_for(&id, 700)[..]);
    }
    assert!(store.get_by_id("missing").unwrap().is_none());
    let acks = store.append(vec![msg("t", 0, "after", b"x")]).unwrap();
    assert_eq!(acks[0].queue_offset, 50);
}

#[test]
fn abandoned_store_is_recovered_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        checkpoint_interval: std::time::Duration::from_secs(3600),
        ..small_config()
    };
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    for i in 0..300 {
        let id = format!("a{i}");
        store
            .append(vec![msg("t", i % 3, &id, &body_for(&id, 900))])
            .unwrap();
    }
    store.abandon();
    let store = Store::open(dir.path(), cfg).unwrap();
    let rep = store.recovery_report().clone();
    assert!(!rep.clean_shutdown);
    assert_eq!(rep.records_replayed, 300);
    assert!(rep.torn_tail.is_none());
    for q in 0..3 {
        assert_eq!(store.queue_offsets("t", q), (0, 100));
        let r = store.read("t", q, 0, 500, usize::MAX).unwrap();
        assert_eq!(r.messages.len(), 100);
    }
    assert!(store.get_by_id("a299").unwrap().is_some());
    assert_eq!(
        store
            .query_by_key("t", "key-a5", 10)
            .unwrap()
            .messages
            .len(),
        1
    );
}

#[test]
fn key_queries_are_bounded_and_say_when_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), small_config()).unwrap();
    for i in 0..30 {
        let mut m = msg("t", 0, &format!("k{i}"), b"b");
        m.keys = vec!["shared".into(), format!("own{i}")];
        store.append(vec![m]).unwrap();
    }
    let r = store.query_by_key("t", "shared", 10).unwrap();
    assert_eq!(r.messages.len(), 10);
    assert!(r.truncated);
    assert_eq!(r.messages[0].msg_id, "k29", "newest first");
    let r = store.query_by_key("t", "shared", 100).unwrap();
    assert_eq!(r.messages.len(), 30);
    assert!(!r.truncated);
    let r = store.query_by_key("other-topic", "shared", 100).unwrap();
    assert!(r.messages.is_empty());
    let r = store.query_by_key("t", "own7", 5).unwrap();
    assert_eq!(r.messages.len(), 1);
    assert!(!r.truncated);
}

#[test]
fn time_queries_page_through_all_queues_in_store_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), small_config()).unwrap();
    let mut acks = Vec::new();
    for i in 0..40 {
        let a = store
            .append(vec![msg("t", i % 4, &format!("x{i}"), b"b")])
            .unwrap();
        acks.push(a[0]);
        if i % 10 == 9 {
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
    }
    let start = acks[0].store_ms;
    let end = acks[39].store_ms;
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let r = store.query_by_time("t", start, end, 7, cursor).unwrap();
        seen.extend(r.messages.iter().map(|m| m.msg_id.clone()));
        if !r.truncated {
            assert!(r.next_cursor.is_none());
            break;
        }
        assert_eq!(r.messages.len(), 7);
        cursor = r.next_cursor;
    }
    let want: Vec<_> = (0..40).map(|i| format!("x{i}")).collect();
    assert_eq!(seen, want);
    let mid = acks[20].store_ms;
    let off = store.lookup_offset_by_time("t", 0, mid).unwrap();
    let first_at_mid = (0..40)
        .find(|&i| i % 4 == 0 && acks[i].store_ms >= mid)
        .unwrap();
    assert_eq!(off, (first_at_mid / 4) as u64);
    assert_eq!(store.lookup_offset_by_time("t", 0, i64::MAX).unwrap(), 10);
    assert_eq!(store.lookup_offset_by_time("t", 0, 0).unwrap(), 0);
}

#[test]
fn invalid_batches_are_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), small_config()).unwrap();
    let big = vec![0u8; 100 << 10];
    let err = store
        .append(vec![msg("t", 0, "ok", b"x"), msg("t", 0, "big", &big)])
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidMessage(_)), "{err}");
    assert_eq!(store.queue_offsets("t", 0), (0, 0));
    assert!(store.append(Vec::new()).unwrap().is_empty());
}

#[test]
fn a_second_store_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _a = Store::open(dir.path(), small_config()).unwrap();
    let err = Store::open(dir.path(), small_config()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
}

#[test]
fn submit_resolves_as_a_future_without_a_runtime() {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for mode in [FlushMode::Sync, FlushMode::Async] {
        let sub = dir.path().join(format!("{mode:?}"));
        let store = Store::open(
            &sub,
            StoreConfig {
                flush_mode: mode,
                ..small_config()
            },
        )
        .unwrap();
        let mut fut = std::pin::pin!(store.submit(vec![msg("t", 0, "f1", b"hello")]));
        let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let acks = loop {
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(r) => break r.unwrap(),
                Poll::Pending => std::thread::park(),
            }
        };
        assert_eq!(acks[0].queue_offset, 0);
        let r = store.read("t", 0, 0, 1, usize::MAX).unwrap();
        assert_eq!(&r.messages[0].body[..], b"hello");
    }
}

#[test]
fn concurrent_appenders_share_fsyncs_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path(), small_config()).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    let id = format!("c{t}-{i}");
                    store
                        .append(vec![msg("t", t % 2, &id, &body_for(&id, 300))])
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.appended_records, 800);
    assert!(stats.commit_batches <= 800);
    for q in 0..2 {
        let r = store.read("t", q, 0, 1000, usize::MAX).unwrap();
        assert_eq!(r.messages.len(), 400);
        for m in &r.messages {
            assert_eq!(&m.body[..], &body_for(&m.msg_id, 300)[..]);
        }
    }
}
