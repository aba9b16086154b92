//! Cross-process coordination of one volume: the exclusive lock, watchers and a shared counter.
//!
//! Everything here must vanish the instant a process dies (kill -9 included), so it is built on
//! POSIX record locks, which the kernel drops with the process, and on a shared memory page:
//! - `lock`: the exclusive lock is a write lock on byte 0 of this file.
//! - `coord`: one page mapped shared by every process; word 1 is the generation counter (bumped
//!   after a header change so that others reload), word 2 counts lock requests (a holder that sees
//!   it move hands the lock over at its next IO boundary or within a few milliseconds when idle).
//! - `watchers/<pid>-<cookie>`: one file per open handle, write-locked by its process; a file whose
//!   lock is gone belongs to a dead process and is ignored and removed.
//!
//! POSIX locks belong to a process, not a thread or a handle, and closing any descriptor of the
//! file drops them: each file is therefore opened once per process (this struct is shared through
//! the backend's registry) and never opened elsewhere. After fork() the child holds no lock; the
//! owner pid recorded at locking time tells the child so.

use crate::fsutil::{self, mkdir_all, open_rw};
use parking_lot::Mutex;
use rbdshim_backend::{Coordinator, Error, Result, WatchGuard, WatcherInfo};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;
const MAGIC: u64 = 0x7262_6473_6869_6d31; // "rbdshim1"

struct Page {
    ptr: *mut u8,
}

// SAFETY: the mapping is only accessed through atomics; it lives until Drop.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    fn map(file: &File) -> Result<Page> {
        if file.metadata()?.len() < PAGE as u64 {
            file.set_len(PAGE as u64)?;
        }
        // SAFETY: mapping PAGE bytes of a file at least PAGE long, shared, read/write.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                std::os::fd::AsRawFd::as_raw_fd(file),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error().into());
        }
        let page = Page { ptr: ptr as *mut u8 };
        let _ = page.word(0).compare_exchange(0, MAGIC, Ordering::SeqCst, Ordering::SeqCst);
        Ok(page)
    }

    fn word(&self, i: usize) -> &AtomicU64 {
        assert!(i < PAGE / 8);
        // SAFETY: the page is mapped, 8-byte aligned (page aligned base) and in bounds; other
        // processes only touch it atomically too.
        unsafe { &*(self.ptr.add(i * 8) as *const AtomicU64) }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what map() mapped.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, PAGE) };
    }
}

pub struct FileCoordinator {
    dir: PathBuf,
    lock_file: File,
    page: Page,
    /// pid that took the lock (0 = not held). A forked child sees a different pid. Atomics, not
    /// a mutex: a background thread checks them every few milliseconds, and a mutex it held at
    /// fork() would stay locked forever in the child. Changes of the lock are serialised by
    /// the caller (the core's IO gate).
    owner_pid: AtomicU32,
    requests_seen: AtomicU64,
    watches: Arc<Mutex<HashMap<String, (u32, File, WatcherInfo)>>>,
}

impl FileCoordinator {
    pub fn open(dir: &Path) -> Result<FileCoordinator> {
        mkdir_all(&dir.join("watchers"))?;
        let lock_file = open_rw(&dir.join("lock"), true)?;
        let page_file = open_rw(&dir.join("coord"), true)?;
        let page = Page::map(&page_file)?;
        Ok(FileCoordinator {
            dir: dir.to_path_buf(),
            lock_file,
            page,
            owner_pid: AtomicU32::new(0),
            requests_seen: AtomicU64::new(0),
            watches: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    fn requests(&self) -> &AtomicU64 {
        self.page.word(2)
    }
}

impl Coordinator for FileCoordinator {
    fn try_lock(&self) -> Result<bool> {
        let me = std::process::id();
        if self.owner_pid.load(Ordering::SeqCst) == me {
            return Ok(true);
        }
        if fsutil::posix_lock(&self.lock_file, false)? {
            self.requests_seen.store(self.requests().load(Ordering::SeqCst), Ordering::SeqCst);
            self.owner_pid.store(me, Ordering::SeqCst);
            return Ok(true);
        }
        Ok(false)
    }

    fn lock(&self, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        let mut asked = false;
        let mut pause = Duration::from_micros(200);
        loop {
            if self.try_lock()? {
                return Ok(());
            }
            if !asked {
                self.requests().fetch_add(1, Ordering::SeqCst);
                asked = true;
            }
            if start.elapsed() >= timeout {
                return Err(Error::TimedOut);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
            // Ask again now and then: a holder may have re-taken it after serving an older request.
            if start.elapsed().as_millis() % 50 < 5 {
                asked = false;
            }
        }
    }

    fn unlock(&self) -> Result<()> {
        if self.owner_pid.load(Ordering::SeqCst) == rbdshim_backend::fork::pid() {
            fsutil::posix_unlock(&self.lock_file)?;
        }
        self.owner_pid.store(0, Ordering::SeqCst);
        Ok(())
    }

    fn is_locked_here(&self) -> bool {
        self.owner_pid.load(Ordering::SeqCst) == rbdshim_backend::fork::pid()
    }

    fn release_requested(&self) -> bool {
        self.is_locked_here() && self.requests().load(Ordering::SeqCst) != self.requests_seen.load(Ordering::SeqCst)
    }

    fn is_locked_anywhere(&self) -> Result<bool> {
        if self.is_locked_here() {
            return Ok(true);
        }
        fsutil::posix_locked_by_other(&self.lock_file)
    }

    fn generation(&self) -> u64 {
        self.page.word(1).load(Ordering::SeqCst)
    }

    fn bump_generation(&self) -> u64 {
        self.page.word(1).fetch_add(1, Ordering::SeqCst) + 1
    }

    fn watch(&self, info: WatcherInfo) -> Result<Box<dyn WatchGuard>> {
        let pid = std::process::id();
        let name = format!("{pid}-{}", info.cookie);
        let path = self.dir.join("watchers").join(&name);
        let body = format!("{}\n{}\n{}\n", info.addr, info.id, info.cookie);
        // Written and locked under a hidden name first: a lister in another process must never
        // see the file unlocked (it would take it for a dead process's and delete it).
        let tmp = self.dir.join("watchers").join(format!(".new-{name}"));
        let file = open_rw(&tmp, true)?;
        file.set_len(0)?;
        std::os::unix::fs::FileExt::write_all_at(&file, body.as_bytes(), 0)?;
        fsutil::posix_lock(&file, true)?;
        std::fs::rename(&tmp, &path)?;
        self.watches.lock().insert(name.clone(), (pid, file, info));
        Ok(Box::new(FileWatch { path, name, watches: self.watches.clone() }))
    }

    fn watchers(&self) -> Result<Vec<WatcherInfo>> {
        let me = std::process::id();
        let ours = self.watches.lock();
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(self.dir.join("watchers")) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Some((pid, _)) = name.split_once('-') else { continue };
            let Ok(pid) = pid.parse::<u32>() else { continue };
            let path = entry.path();
            if pid == me {
                // Never open our own watcher files here: closing them would drop our locks.
                if let Some((_, _, info)) = ours.get(&name) {
                    out.push(info.clone());
                }
                continue;
            }
            let alive = {
                match File::open(&path) {
                    Ok(f) => fsutil::posix_locked_by_other(&f)?,
                    Err(_) => false,
                }
            };
            if !alive {
                let _ = fsutil::remove_quiet(&path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut lines = text.lines();
            let addr = lines.next().unwrap_or("").to_string();
            let id = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let cookie = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            out.push(WatcherInfo { addr, id, cookie });
        }
        out.sort_by_key(|w| (w.id, w.cookie));
        Ok(out)
    }
}

struct FileWatch {
    path: PathBuf,
    name: String,
    watches: Arc<Mutex<HashMap<String, (u32, File, WatcherInfo)>>>,
}

impl WatchGuard for FileWatch {}

impl Drop for FileWatch {
    fn drop(&mut self) {
        let mut w = self.watches.lock();
        if let Some((pid, _file, _)) = w.remove(&self.name) {
            if pid == std::process::id() {
                let _ = fsutil::remove_quiet(&self.path);
            }
        }
    }
}
