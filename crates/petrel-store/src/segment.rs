//! Commit-log segment files: naming, opening, positional I/O, preallocation (fallocate + zero
//! fill + fsync, then an atomic rename) and the background allocator thread that keeps the next
//! segment ready so the writer only ever overwrites preallocated blocks.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::FreeSpaceProbe;
use crate::error::{Result, StoreError};

const ZERO_CHUNK: usize = 1 << 20;
/// Zero-fill is fsynced in slices so preparing a 1 GiB segment does not dump a gigabyte of dirty
/// pages on the device at once (that would stall the commit log's own fsyncs).
const ZERO_SYNC_EVERY: u64 = 64 << 20;

/// One commit-log segment file covering log positions `base .. base + size`.
#[derive(Debug)]
pub(crate) struct Segment {
    pub base: u64,
    pub size: u64,
    pub path: PathBuf,
    file: File,
}

impl Segment {
    pub fn file_name(base: u64) -> String {
        format!("{base:020}")
    }

    pub fn open(path: PathBuf, base: u64) -> Result<Segment> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let size = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
        Ok(Segment {
            base,
            size,
            path,
            file,
        })
    }

    pub fn end(&self) -> u64 {
        self.base + self.size
    }

    pub fn contains(&self, pos: u64) -> bool {
        pos >= self.base && pos < self.end()
    }

    /// Reads exactly `buf.len()` bytes at log position `pos` (must lie inside this segment).
    pub fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> Result<()> {
        if pos < self.base || pos + buf.len() as u64 > self.end() {
            return Err(StoreError::Corrupt {
                segment: self.path.clone(),
                offset: pos.saturating_sub(self.base),
                reason: format!("read of {} bytes runs past the segment end", buf.len()),
            });
        }
        self.file
            .read_exact_at(buf, pos - self.base)
            .map_err(|e| StoreError::io(&self.path, e))
    }

    pub fn write_all_at(&self, buf: &[u8], file_offset: u64) -> Result<()> {
        self.file
            .write_all_at(buf, file_offset)
            .map_err(|e| StoreError::io(&self.path, e))
    }

    pub fn sync_data(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| StoreError::io(&self.path, e))
    }

    pub fn modified_ms(&self) -> Option<i64> {
        let m = self.file.metadata().ok()?.modified().ok()?;
        let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(d.as_millis() as i64)
    }
}

/// Opens every segment in `dir`, removes unfinished preallocations, and checks contiguity.
pub(crate) fn open_all(dir: &Path) -> Result<BTreeMap<u64, Arc<Segment>>> {
    let mut out = BTreeMap::new();
    let entries = fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            // A preallocation interrupted by a crash: never part of the log.
            fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            continue;
        }
        let Ok(base) = name.parse::<u64>() else {
            tracing::warn!(file = %path.display(), "ignoring unexpected file in the log directory");
            continue;
        };
        out.insert(base, Arc::new(Segment::open(path, base)?));
    }
    let mut expected: Option<u64> = None;
    for seg in out.values() {
        if let Some(exp) = expected
            && seg.base != exp
        {
            return Err(StoreError::LogGap {
                dir: dir.to_path_buf(),
                reason: format!(
                    "segment {} starts at {} but the previous one ends at {exp}",
                    seg.path.display(),
                    seg.base
                ),
            });
        }
        if seg.size == 0 {
            return Err(StoreError::LogGap {
                dir: dir.to_path_buf(),
                reason: format!("segment {} is empty", seg.path.display()),
            });
        }
        expected = Some(seg.end());
    }
    Ok(out)
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Free bytes on the filesystem of `dir` (statvfs, or the configured probe).
pub(crate) fn free_space(dir: &Path, probe: Option<&FreeSpaceProbe>) -> Result<u64> {
    match probe {
        Some(p) => p(dir).map_err(|e| StoreError::io(dir, e)),
        None => {
            let st = rustix::fs::statvfs(dir).map_err(|e| StoreError::io(dir, e.into()))?;
            Ok(st.f_bavail.saturating_mul(st.f_frsize))
        }
    }
}

/// Parameters for preparing segments.
#[derive(Clone)]
pub(crate) struct PrepareSpec {
    pub dir: PathBuf,
    pub size: u64,
    pub min_free: u64,
    pub probe: Option<FreeSpaceProbe>,
}

/// Creates the fully allocated, zero-filled segment `base` and returns it. `cancel` aborts the
/// zero fill early (shutdown).
pub(crate) fn prepare(spec: &PrepareSpec, base: u64, cancel: &AtomicBool) -> Result<Segment> {
    let free = free_space(&spec.dir, spec.probe.as_ref())?;
    let need = spec.size.saturating_add(spec.min_free);
    if free < need {
        return Err(StoreError::DiskFull {
            detail: format!(
                "{} bytes free in {}, a new segment needs {} plus a reserve of {}",
                free,
                spec.dir.display(),
                spec.size,
                spec.min_free
            ),
        });
    }
    let final_path = spec.dir.join(Segment::file_name(base));
    if final_path.exists() {
        // Never replace a segment that may hold data (or be open for writing).
        return Err(StoreError::io(
            &final_path,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "segment already exists"),
        ));
    }
    let tmp = spec.dir.join(format!("{}.tmp", Segment::file_name(base)));
    let result = (|| {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| StoreError::io(&tmp, e))?;
        rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, spec.size)
            .map_err(|e| StoreError::io(&tmp, e.into()))?;
        // fallocate leaves "unwritten" extents; converting them on first write costs a journal
        // commit at fsync time, which is exactly the slow path we preallocate to avoid.
        let zeros = vec![0u8; ZERO_CHUNK];
        let mut off = 0u64;
        let mut since_sync = 0u64;
        while off < spec.size {
            if cancel.load(Ordering::Relaxed) {
                return Err(StoreError::Closed);
            }
            let n = (spec.size - off).min(ZERO_CHUNK as u64) as usize;
            file.write_all_at(&zeros[..n], off)
                .map_err(|e| StoreError::io(&tmp, e))?;
            off += n as u64;
            since_sync += n as u64;
            if since_sync >= ZERO_SYNC_EVERY {
                file.sync_data().map_err(|e| StoreError::io(&tmp, e))?;
                since_sync = 0;
            }
        }
        file.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
        fs::rename(&tmp, &final_path).map_err(|e| StoreError::io(&final_path, e))?;
        sync_dir(&spec.dir)?;
        Ok(Segment {
            base,
            size: spec.size,
            path: final_path.clone(),
            file,
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

struct AllocState {
    /// Base of the segment the writer will need next.
    wanted: Option<u64>,
    ready: Option<Arc<Segment>>,
    last_error: Option<StoreError>,
    shutdown: bool,
}

/// Keeps the next segment preallocated in the background.
pub(crate) struct Allocator {
    spec: PrepareSpec,
    retry: Duration,
    state: Mutex<AllocState>,
    cv: Condvar,
    cancel: AtomicBool,
}

impl Allocator {
    pub fn new(spec: PrepareSpec, retry: Duration) -> Arc<Allocator> {
        Arc::new(Allocator {
            spec,
            retry,
            state: Mutex::new(AllocState {
                wanted: None,
                ready: None,
                last_error: None,
                shutdown: false,
            }),
            cv: Condvar::new(),
            cancel: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, AllocState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn start(self: &Arc<Self>) -> Result<JoinHandle<()>> {
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("petrel-store-alloc".into())
            .spawn(move || me.run())
            .map_err(|e| StoreError::io(&self.spec.dir, e))
    }

    /// Asks for segment `base` to be prepared ahead of need.
    pub fn request(&self, base: u64) {
        let mut st = self.lock();
        if st.wanted != Some(base) {
            st.wanted = Some(base);
            self.cv.notify_all();
        }
    }

    /// Hands out segment `base`, waiting while it is being prepared. Fails fast with the last
    /// preparation error (typically [`StoreError::DiskFull`]) while the allocator is backing off.
    pub fn acquire(&self, base: u64) -> Result<Arc<Segment>> {
        let mut st = self.lock();
        if st.wanted != Some(base) {
            st.wanted = Some(base);
            self.cv.notify_all();
        }
        loop {
            if let Some(seg) = st.ready.take() {
                if seg.base == base {
                    st.wanted = None;
                    return Ok(seg);
                }
                // Prepared for a base the writer no longer wants: discard it.
                let _ = fs::remove_file(&seg.path);
                self.cv.notify_all();
            }
            if let Some(err) = &st.last_error {
                return Err(err.clone());
            }
            if st.shutdown {
                return Err(StoreError::Closed);
            }
            st = self.cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// True when the next segment is prepared (preallocation is keeping up with the writer).
    pub fn is_ready(&self) -> bool {
        self.lock().ready.is_some()
    }

    pub fn shutdown(&self) {
        self.cancel.store(true, Ordering::Relaxed);
        let mut st = self.lock();
        st.shutdown = true;
        self.cv.notify_all();
    }

    fn run(&self) {
        let mut st = self.lock();
        loop {
            if st.shutdown {
                return;
            }
            let job = match (st.wanted, &st.ready) {
                (Some(w), None) => Some(w),
                (Some(w), Some(r)) if r.base != w => {
                    if let Some(stale) = st.ready.take() {
                        let _ = fs::remove_file(&stale.path);
                    }
                    Some(w)
                }
                _ => None,
            };
            let Some(base) = job else {
                st = self.cv.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            drop(st);
            let result = prepare(&self.spec, base, &self.cancel);
            st = self.lock();
            match result {
                Ok(seg) => {
                    if st.last_error.take().is_some() {
                        tracing::info!(segment = %seg.path.display(), "segment preparation recovered");
                    }
                    st.ready = Some(Arc::new(seg));
                    self.cv.notify_all();
                }
                Err(StoreError::Closed) => return,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot prepare the next commit-log segment");
                    st.last_error = Some(err);
                    self.cv.notify_all();
                    let deadline = Instant::now() + self.retry;
                    while !st.shutdown {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        st = self
                            .cv
                            .wait_timeout(st, deadline - now)
                            .map(|(g, _)| g)
                            .unwrap_or_else(|p| p.into_inner().0);
                    }
                    // Keep reporting the error to appenders until a retry succeeds, so an
                    // appender never waits out a whole zero fill on a disk that is still full.
                }
            }
        }
    }
}
