//! Damaged bytes on disk: a torn tail is cut and the store keeps working; corruption where valid
//! data must be is reported as a typed error naming the segment file and offset, and bad bytes
//! are never served.

// Helpers outside #[test] fns are test code too; clippy.toml's test allowance does not see them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{body_for, msg, small_config};
use petrel_store::{Appended, ReadStatus, Store, StoreConfig, StoreError, VerifyOnOpen};

fn config() -> StoreConfig {
    StoreConfig {
        // Keep the checkpoint at the start so recovery has to verify everything we wrote.
        checkpoint_interval: Duration::from_secs(3600),
        ..small_config()
    }
}

fn seg_file(dir: &Path, cfg: &StoreConfig, pos: u64) -> (PathBuf, u64) {
    let base = pos - pos % cfg.segment_size;
    (
        dir.join("log").join(format!("{base:020}")),
        pos % cfg.segment_size,
    )
}

fn flip(dir: &Path, cfg: &StoreConfig, pos: u64) -> (PathBuf, u64) {
    let (path, off) = seg_file(dir, cfg, pos);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, off).unwrap();
    b[0] ^= 0x5a;
    f.write_all_at(&b, off).unwrap();
    (path, off)
}

fn fill(store: &Store, n: usize) -> Vec<Appended> {
    (0..n)
        .map(|i| {
            let id = format!("m{i}");
            store
                .append(vec![msg("t", 0, &id, &body_for(&id, 500))])
                .unwrap()[0]
        })
        .collect()
}

#[test]
fn torn_tail_after_a_crash_is_cut_and_the_store_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let acks = fill(&store, 20);
    store.abandon();
    let last = acks[19];
    let (path, off) = flip(dir.path(), &cfg, last.log_pos + last.size as u64 - 3);

    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let torn = store
        .recovery_report()
        .torn_tail
        .clone()
        .expect("torn tail reported");
    assert_eq!(torn.segment, path);
    assert_eq!(torn.offset, off + 3 - last.size as u64);
    assert_eq!(store.queue_offsets("t", 0), (0, 19));
    assert!(
        store.get_by_id("m19").unwrap().is_none(),
        "bad record must not be served"
    );
    let a = store.append(vec![msg("t", 0, "new", b"fresh")]).unwrap();
    assert_eq!(a[0].queue_offset, 19);
    assert_eq!(
        a[0].log_pos, last.log_pos,
        "the log continues where the torn record was"
    );
    store.abandon();

    let store = Store::open(dir.path(), cfg).unwrap();
    assert!(store.recovery_report().torn_tail.is_none());
    let r = store.read("t", 0, 0, 100, usize::MAX).unwrap();
    assert_eq!(r.messages.len(), 20);
    assert_eq!(r.messages[19].msg_id, "new");
    for m in &r.messages[..19] {
        assert_eq!(&m.body[..], &body_for(&m.msg_id, 500)[..]);
    }
}

#[test]
fn partial_write_beyond_the_end_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let acks = fill(&store, 5);
    store.abandon();
    let end = acks[4].log_pos + acks[4].size as u64;
    let (path, off) = seg_file(dir.path(), &cfg, end);
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    // Half a record header: what a write cut short by a crash leaves behind.
    f.write_all_at(&[0xC1u8; 13], off).unwrap();
    drop(f);
    let store = Store::open(dir.path(), cfg).unwrap();
    assert!(store.recovery_report().torn_tail.is_some());
    assert_eq!(store.queue_offsets("t", 0), (0, 5));
    store.append(vec![msg("t", 0, "x", b"y")]).unwrap();
    assert_eq!(
        store
            .read("t", 0, 0, 10, usize::MAX)
            .unwrap()
            .messages
            .len(),
        6
    );
}

#[test]
fn a_bad_record_followed_by_valid_ones_fails_open_with_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let acks = fill(&store, 20);
    store.abandon();
    let (path, off) = flip(dir.path(), &cfg, acks[5].log_pos + 100);
    let err = Store::open(dir.path(), cfg).unwrap_err();
    match &err {
        StoreError::Corrupt {
            segment, offset, ..
        } => {
            assert_eq!(segment, &path);
            assert_eq!(*offset, off - 100);
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()) && text.starts_with("corrupt record"));
}

#[test]
fn corruption_of_checkpointed_data_is_never_served_and_full_verify_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    // One batch: nothing inside it proves the earlier records durable except the clean close.
    let batch: Vec<_> = (0..10)
        .map(|i| {
            let id = format!("b{i}");
            msg("t", 0, &id, &body_for(&id, 300))
        })
        .collect();
    let acks = store.append(batch).unwrap();
    store.close().unwrap();
    let (path, off) = flip(dir.path(), &cfg, acks[4].log_pos + 50);

    // Default open trusts the checkpoint; the damage surfaces on read, as an error.
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let r = store.read("t", 0, 0, 100, usize::MAX).unwrap();
    assert_eq!(r.status, ReadStatus::Found);
    assert_eq!(r.messages.len(), 4, "stops before the bad record");
    assert!(matches!(
        store.read("t", 0, 4, 100, usize::MAX),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        store.get_by_id("b4"),
        Err(StoreError::Corrupt { .. })
    ));
    let r = store.read("t", 0, 5, 100, usize::MAX).unwrap();
    assert_eq!(r.messages.len(), 5, "records after it are still readable");
    store.close().unwrap();

    let full = StoreConfig {
        verify_on_open: VerifyOnOpen::Full,
        ..cfg
    };
    match Store::open(dir.path(), full).unwrap_err() {
        StoreError::Corrupt {
            segment, offset, ..
        } => {
            assert_eq!((segment, offset), (path, off - 50));
        }
        other => panic!("expected Corrupt, got {other}"),
    }
}

#[test]
fn indexes_are_rebuilt_from_the_log_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config();
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    for i in 0..60 {
        let id = format!("r{i}");
        store
            .append(vec![msg("t", i % 3, &id, &body_for(&id, 4000))])
            .unwrap();
    }
    store.close().unwrap();
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    let store = Store::open(dir.path(), cfg).unwrap();
    let rep = store.recovery_report();
    assert!(rep.full_rebuild);
    assert_eq!(rep.records_replayed, 60);
    for q in 0..3 {
        assert_eq!(store.queue_offsets("t", q), (0, 20));
    }
    assert_eq!(store.get_by_id("r42").unwrap().unwrap().queue_offset, 14);
    assert_eq!(
        store.query_by_key("t", "key-r7", 5).unwrap().messages.len(),
        1
    );
}

#[test]
fn a_failed_commit_is_rewound_and_its_bytes_never_come_back() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let fail = Arc::new(AtomicBool::new(false));
    let hook_flag = fail.clone();
    let cfg = StoreConfig {
        write_fault: Some(Arc::new(move || {
            hook_flag
                .load(Ordering::Relaxed)
                .then(|| std::io::Error::from(std::io::ErrorKind::StorageFull))
        })),
        ..config()
    };
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    let acks = fill(&store, 10);
    let end = acks[9].log_pos + acks[9].size as u64;

    // The batch reaches the file but its fsync "fails": it must not count.
    fail.store(true, Ordering::Relaxed);
    let doomed: Vec<_> = (0..5)
        .map(|i| {
            let id = format!("doomed{i}");
            msg("t", 0, &id, &body_for(&id, 3000))
        })
        .collect();
    let err = store.append(doomed).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    fail.store(false, Ordering::Relaxed);

    // Same encoded size as the first doomed record, so the log continues exactly where the
    // second doomed record sits: only its older generation tells it apart.
    let a = store
        .append(vec![msg("t", 0, "redone0", &body_for("redone0", 3000))])
        .unwrap();
    assert_eq!((a[0].queue_offset, a[0].log_pos), (10, end));
    assert!(store.get_by_id("doomed1").unwrap().is_none());
    store.abandon();

    // The failed batch's records are still on disk behind the new one, intact but from an
    // older generation: recovery must not take them for a continuation.
    let store = Store::open(dir.path(), cfg.clone()).unwrap();
    assert_eq!(store.queue_offsets("t", 0), (0, 11));
    for i in 0..5 {
        assert!(store.get_by_id(&format!("doomed{i}")).unwrap().is_none());
    }
    let r = store.read("t", 0, 10, 10, usize::MAX).unwrap();
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].msg_id, "redone0");
    store.append(vec![msg("t", 0, "later", b"x")]).unwrap();
    store.close().unwrap();
    let store = Store::open(dir.path(), cfg).unwrap();
    assert_eq!(store.queue_offsets("t", 0), (0, 12));
}
