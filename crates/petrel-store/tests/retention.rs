//! Retention by age and size, min offsets, and the disk-full path.

// Helpers outside #[test] fns are test code too; clippy.toml's test allowance does not see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{body_for, msg, small_config};
use petrel_store::{ReadStatus, Store, StoreConfig, StoreError};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn fill(store: &Store, n: usize, queues: u32) {
    for i in 0..n {
        let id = format!("m{i}");
        store
            .append(vec![msg("t", i as u32 % queues, &id, &body_for(&id, 4000))])
            .unwrap();
    }
}

#[test]
fn expired_segments_are_deleted_and_min_offsets_advance() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    fill(&store, 300, 2); // ~1.2 MiB: several 256 KiB segments
    let before = store.stats();
    assert!(before.segments >= 4);

    // Nothing is old yet.
    let r = store.enforce_retention(now_ms()).unwrap();
    assert!(r.deleted_segments.is_empty());

    let day = 24 * 3600 * 1000;
    let r = store.enforce_retention(now_ms() + 4 * day).unwrap();
    assert!(!r.deleted_segments.is_empty());
    assert!(r.deleted_segments.iter().all(|p| !p.exists()));
    assert_eq!(store.stats().min_log_pos, r.min_log_pos);
    for q in 0..2 {
        let (min, max) = store.queue_offsets("t", q);
        assert!(min > 0 && max == 150, "queue {q}: {min}..{max}");
        let below = store.read("t", q, 0, 10, usize::MAX).unwrap();
        assert_eq!(below.status, ReadStatus::OffsetBelowMin);
        assert_eq!(below.next_offset, min);
        let at = store.read("t", q, min, 1000, usize::MAX).unwrap();
        assert_eq!(at.messages.len() as u64, max - min);
        assert_eq!(at.messages[0].queue_offset, min);
    }
    assert!(store.get_by_id("m0").unwrap().is_none());
    assert!(store.get_by_id("m299").unwrap().is_some());
    let mins: Vec<_> = (0..2).map(|q| store.queue_offsets("t", q)).collect();
    store.close().unwrap();

    let store = Store::open(dir.path(), cfg).unwrap();
    let after: Vec<_> = (0..2).map(|q| store.queue_offsets("t", q)).collect();
    assert_eq!(mins, after);
    assert_eq!(
        store.read("t", 0, 0, 1, 1).unwrap().status,
        ReadStatus::OffsetBelowMin
    );
}

#[test]
fn size_cap_deletes_the_oldest_segments() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        retention_max_bytes: Some(2 * (256 << 10)),
        ..small_config()
    };
    let store = Store::open(dir.path(), cfg).unwrap();
    fill(&store, 300, 1);
    let r = store.enforce_retention(now_ms()).unwrap();
    assert!(!r.deleted_segments.is_empty());
    let written: u64 = store.stats().write_pos - r.min_log_pos;
    assert!(written <= 2 * (256 << 10), "kept {written} bytes");
    let (min, max) = store.queue_offsets("t", 0);
    assert!(min > 0 && max == 300);
}

#[test]
fn disk_full_fails_appends_cleanly_and_they_resume_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let free = Arc::new(AtomicU64::new(u64::MAX / 2));
    let probe_free = free.clone();
    let cfg = StoreConfig {
        free_space_probe: Some(Arc::new(move |_| Ok(probe_free.load(Ordering::Relaxed)))),
        ..small_config()
    };
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    fill(&store, 10, 1);
    free.store(0, Ordering::Relaxed);

    let mut acked = 10u64;
    let err = loop {
        let id = format!("f{acked}");
        match store.append(vec![msg("t", 0, &id, &body_for(&id, 4000))]) {
            Ok(_) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 1000, "disk full never surfaced");
    };
    assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
    assert!(err.to_string().starts_with("disk full"));
    assert!(store.stats().disk_full_errors > 0);
    // Still refused while full, and nothing acknowledged is harmed.
    assert!(store.append(vec![msg("t", 0, "z", &[0u8; 4000])]).is_err());
    assert_eq!(store.queue_offsets("t", 0), (0, acked));
    assert_eq!(
        store
            .read("t", 0, 0, 2000, usize::MAX)
            .unwrap()
            .messages
            .len() as u64,
        acked
    );

    free.store(u64::MAX / 2, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match store.append(vec![msg("t", 0, "back", &[1u8; 4000])]) {
            Ok(a) => {
                assert_eq!(a[0].queue_offset, acked);
                break;
            }
            Err(e) => {
                assert!(e.is_disk_full(), "{e}");
                assert!(Instant::now() < deadline, "appends never resumed");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    store.close().unwrap();
    let store = Store::open(dir.path(), cfg).unwrap();
    assert_eq!(store.queue_offsets("t", 0), (0, acked + 1));
}
