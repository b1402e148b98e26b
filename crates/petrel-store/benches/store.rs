//! Store benchmark (custom harness; `cargo bench -p petrel-store`).
//!
//! Measures, in one run and in the same directory:
//! * the disk's own limit: 1 MiB (and 64 KiB) `pwrite` + `fdatasync` into a preallocated,
//!   zero-filled file, the same kind of file the commit log uses;
//! * append throughput of 1 KiB records with sync flush at 1, 16 and 64 writer threads, each
//!   appending single-record batches, as a fraction of that limit;
//! * read throughput (queue reads, 256 messages per call, page cache warm);
//! * recovery time after a crash with no checkpoint since the data was written, per GiB.
//!
//! Environment: `PETREL_BENCH_DIR` (default: `<target dir>/petrel-store-bench`; must not be
//! tmpfs), `PETREL_BENCH_SECS` (seconds per throughput case, default 3),
//! `PETREL_BENCH_RECOVERY_MIB` (log size for the recovery case, default 256).

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use petrel_store::{FlushMode, NewMessage, Store, StoreConfig};

const GIB: f64 = (1u64 << 30) as f64;
const MB: f64 = 1e6;

fn bench_root() -> PathBuf {
    if let Ok(d) = std::env::var("PETREL_BENCH_DIR") {
        return PathBuf::from(d);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("petrel-store-bench")
}

fn secs() -> Duration {
    let s: f64 = std::env::var("PETREL_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(s)
}

/// 1 MiB / 64 KiB writes + fdatasync into a preallocated, zero-filled 1 GiB file.
fn disk_limit(dir: &Path, block: usize) -> Result<f64> {
    let path = dir.join(format!("disk-limit-{block}"));
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let size: u64 = 1 << 30;
    let zeros = vec![0u8; 1 << 20];
    let mut off = 0;
    while off < size {
        f.write_all_at(&zeros, off)?;
        off += zeros.len() as u64;
    }
    f.sync_all()?;
    let buf = vec![0xA5u8; block];
    let start = Instant::now();
    let mut written = 0u64;
    let mut pos = 0u64;
    while start.elapsed() < secs() {
        f.write_all_at(&buf, pos)?;
        f.sync_data()?;
        written += block as u64;
        pos = (pos + block as u64) % size;
    }
    let rate = written as f64 / start.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

fn message(t: u64, n: u64, body: &Bytes) -> NewMessage {
    NewMessage {
        topic: "bench".into(),
        queue_id: (t % 8) as u32,
        msg_id: format!("{t:04}-{n:012}"),
        keys: Vec::new(),
        tag: Some("T".into()),
        born_ms: 0,
        properties: Vec::new(),
        body: body.clone(),
    }
}

struct AppendResult {
    msgs_per_s: f64,
    bytes_per_s: f64,
    avg_batch: f64,
    p99_us: f64,
}

fn append_case(dir: &Path, writers: u64) -> Result<AppendResult> {
    let store = Arc::new(Store::open(dir, StoreConfig::default())?);
    // Measure steady state: let the background preallocation of the next segment finish first
    // (in production it happens once per segment, here it would overlap the whole window).
    let ready_by = Instant::now() + Duration::from_secs(60);
    while !store.stats().next_segment_ready && Instant::now() < ready_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = Bytes::from(vec![7u8; 1024]);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let before = store.stats();
    let start = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|t| {
            let (store, stop, count, body) =
                (store.clone(), stop.clone(), count.clone(), body.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    if let Err(e) = store.append(vec![message(t, n, &body)]) {
                        eprintln!("append failed: {e}");
                        break;
                    }
                    lat.push(t0.elapsed().as_micros() as u32);
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
                lat
            })
        })
        .collect();
    std::thread::sleep(secs());
    stop.store(true, Ordering::Relaxed);
    let mut lat: Vec<u32> = Vec::new();
    for h in handles {
        lat.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("writer thread panicked"))?,
        );
    }
    let elapsed = start.elapsed().as_secs_f64();
    let after = store.stats();
    lat.sort_unstable();
    let p99 = lat.get(lat.len() * 99 / 100).copied().unwrap_or(0) as f64;
    let n = count.load(Ordering::Relaxed) as f64;
    let batches = (after.commit_batches - before.commit_batches).max(1) as f64;
    let bytes = (after.appended_bytes - before.appended_bytes) as f64;
    drop(store);
    Ok(AppendResult {
        msgs_per_s: n / elapsed,
        bytes_per_s: bytes / elapsed,
        avg_batch: n / batches,
        p99_us: p99,
    })
}

fn fill(store: &Store, total_bytes: u64) -> Result<u64> {
    let body = Bytes::from(vec![3u8; 1024]);
    let mut n = 0;
    while store.stats().write_pos < total_bytes {
        let batch: Vec<_> = (0..256).map(|i| message(i % 8, n + i, &body)).collect();
        store.append(batch)?;
        n += 256;
    }
    Ok(n)
}

fn read_case(dir: &Path) -> Result<(f64, f64)> {
    let store = Store::open(dir, StoreConfig::default())?;
    let start = Instant::now();
    let (mut msgs, mut bytes) = (0u64, 0u64);
    for q in 0..8 {
        let (mut off, max) = store.queue_offsets("bench", q);
        while off < max {
            let r = store.read("bench", q, off, 256, 1 << 20)?;
            msgs += r.messages.len() as u64;
            bytes += r.messages.iter().map(|m| m.size as u64).sum::<u64>();
            off = r.next_offset;
        }
    }
    let el = start.elapsed().as_secs_f64();
    Ok((msgs as f64 / el, bytes as f64 / el))
}

fn recovery_case(dir: &Path, mib: u64) -> Result<(f64, u64, u64)> {
    let cfg = StoreConfig {
        flush_mode: FlushMode::Async,
        checkpoint_interval: Duration::from_secs(24 * 3600),
        ..StoreConfig::default()
    };
    let store = Store::open(dir, cfg.clone())?;
    let n = fill(&store, mib << 20)?;
    let bytes = store.stats().write_pos;
    store.abandon();
    let t0 = Instant::now();
    let store = Store::open(dir, cfg)?;
    let el = t0.elapsed().as_secs_f64();
    let rep = store.recovery_report().clone();
    anyhow::ensure!(
        rep.records_replayed == n,
        "recovery replayed {} of {n}",
        rep.records_replayed
    );
    drop(store);
    Ok((el, bytes, rep.records_replayed))
}

fn main() -> Result<()> {
    let root = bench_root();
    std::fs::create_dir_all(&root)?;
    let tmp = tempfile::Builder::new().prefix("run-").tempdir_in(&root)?;
    let dir = tmp.path();
    println!(
        "petrel-store bench in {} ({}s per case)",
        dir.display(),
        secs().as_secs_f64()
    );
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at start: {}", l.trim());
    }

    let limit_1m = disk_limit(dir, 1 << 20)?;
    let limit_64k = disk_limit(dir, 64 << 10)?;
    println!();
    println!("disk limit, pwrite+fdatasync into a preallocated file:");
    println!("  1 MiB blocks : {:8.1} MB/s", limit_1m / MB);
    println!("  64 KiB blocks: {:8.1} MB/s", limit_64k / MB);
    println!();
    println!("append, 1 KiB bodies, sync flush, single-record batches per call:");
    println!(
        "  {:>7} {:>11} {:>10} {:>10} {:>9} {:>10} {:>10}",
        "writers", "msgs/s", "MB/s", "avg batch", "p99 us", "% 1MiB lim", "% 64K lim"
    );
    for writers in [1u64, 16, 64] {
        let d = dir.join(format!("append-{writers}"));
        let r = append_case(&d, writers)?;
        println!(
            "  {:>7} {:>11.0} {:>10.1} {:>10.1} {:>9.0} {:>9.1}% {:>9.1}%",
            writers,
            r.msgs_per_s,
            r.bytes_per_s / MB,
            r.avg_batch,
            r.p99_us,
            100.0 * r.bytes_per_s / limit_1m,
            100.0 * r.bytes_per_s / limit_64k,
        );
        if writers == 64 {
            let (m, b) = read_case(&d)?;
            println!();
            println!("read (8 queues, 256 msgs per call, warm page cache):");
            println!("  {m:11.0} msgs/s {:10.1} MB/s", b / MB);
        }
        let _ = std::fs::remove_dir_all(&d);
    }
    let mib: u64 = std::env::var("PETREL_BENCH_RECOVERY_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let d = dir.join("recovery");
    let (secs, bytes, records) = recovery_case(&d, mib)?;
    println!();
    println!("recovery (crash, no checkpoint since writing; verify CRCs + rebuild all indexes):");
    println!(
        "  {:.1} MiB, {records} records in {secs:.3} s -> {:.2} s per GiB (page cache warm)",
        bytes as f64 / (1u64 << 20) as f64,
        secs * GIB / bytes as f64
    );
    Ok(())
}
