//! The exclusive lock's life cycle, and advisory locks.
//!
//! A process takes an image's exclusive lock on its first write (not at open: QEMU opens the
//! same image in two processes during live migration) and keeps it until someone else asks.
//! A holder notices a request at its next IO or, when idle, through the keeper thread, which
//! wakes every few milliseconds while this process holds any lock. Before letting go it waits
//! for its in-flight requests and stops caching (the next holder may change anything); the new
//! holder re-reads the header, so a snapshot taken in between applies to its very next write.

use crate::header::Locker;
use crate::image::{Image, ImageShared};
use crate::{Error, Result};
use once_cell::sync::Lazy;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How long a writer waits for another process to hand the lock over.
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);
const KEEPER_TICK: Duration = Duration::from_millis(2);

struct Keeper {
    pid: u32,
    held: Vec<Weak<ImageShared>>,
}

// std's futex mutex, not parking_lot's: unlocking it in a forked child that inherited waiters
// only issues a harmless wake, where parking_lot would look for parked threads that do not
// exist there any more.
static KEEPER: Lazy<std::sync::Mutex<Keeper>> =
    Lazy::new(|| std::sync::Mutex::new(Keeper { pid: 0, held: Vec::new() }));
static ATFORK: std::sync::Once = std::sync::Once::new();

fn keeper() -> std::sync::MutexGuard<'static, Keeper> {
    KEEPER.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeper ticks in progress, and bit 31 while a fork() is under way: fork() waits for a tick
/// to end, so no child is born while the keeper is half-way through handing a lock over
/// (holding an image's IO gate or a store's lock), which would stay locked in the child.
/// Plain atomics: nothing here can be left locked by a thread that does not survive fork().
static TICKS: AtomicU32 = AtomicU32::new(0);
const FORKING: u32 = 1 << 31;

thread_local! {
    /// KEEPER, held by the forking thread from before fork() until after it, in both processes.
    static HELD_ACROSS_FORK: std::cell::RefCell<Option<std::sync::MutexGuard<'static, Keeper>>> =
        const { std::cell::RefCell::new(None) };
}

extern "C" fn before_fork() {
    TICKS.fetch_or(FORKING, Ordering::SeqCst);
    while TICKS.load(Ordering::SeqCst) & !FORKING != 0 {
        std::thread::yield_now();
    }
    // The keeper takes KEEPER every tick; holding it across fork() keeps it consistent.
    let g = keeper();
    HELD_ACROSS_FORK.with(|h| *h.borrow_mut() = Some(g));
}

extern "C" fn after_fork() {
    HELD_ACROSS_FORK.with(|h| drop(h.borrow_mut().take()));
    TICKS.fetch_and(!FORKING, Ordering::SeqCst);
}

/// Starts a keeper tick unless a fork() is under way.
fn tick_begin() -> bool {
    if TICKS.fetch_add(1, Ordering::SeqCst) & FORKING != 0 {
        TICKS.fetch_sub(1, Ordering::SeqCst);
        return false;
    }
    true
}

struct Tick;

impl Drop for Tick {
    fn drop(&mut self) {
        TICKS.fetch_sub(1, Ordering::SeqCst);
    }
}

fn keeper_register(sh: &Arc<ImageShared>) {
    ATFORK.call_once(|| {
        // SAFETY: registering plain extern "C" functions that neither panic nor unwind.
        unsafe { libc::pthread_atfork(Some(before_fork), Some(after_fork), Some(after_fork)) };
    });
    let mut k = keeper();
    k.held.retain(|w| w.strong_count() > 0);
    k.held.push(Arc::downgrade(sh));
    let me = std::process::id();
    if k.pid != me {
        // First lock in this process (or first since fork(): threads do not survive it).
        k.pid = me;
        let spawned = std::thread::Builder::new().name("rbdshim-lock".into()).spawn(keeper_loop);
        if spawned.is_err() {
            k.pid = 0;
        }
    }
}

fn keeper_loop() {
    let me = std::process::id();
    loop {
        std::thread::sleep(KEEPER_TICK);
        if !tick_begin() {
            continue;
        }
        let _tick = Tick;
        let held: Vec<Arc<ImageShared>> = {
            let mut k = keeper();
            if k.pid != me {
                return;
            }
            k.held.retain(|w| w.upgrade().map(|s| s.coord.is_locked_here()).unwrap_or(false));
            k.held.iter().filter_map(Weak::upgrade).collect()
        };
        for sh in held {
            if sh.coord.release_requested() && !sh.lock_pinned.load(Ordering::Acquire) {
                release(&sh);
            }
        }
    }
}

/// Takes the exclusive lock for this process (waiting for a hand-over).
pub(crate) fn acquire(sh: &Arc<ImageShared>) -> Result<()> {
    let _g = sh.gate.write();
    if sh.coord.is_locked_here() {
        return Ok(());
    }
    sh.coord.lock(LOCK_TIMEOUT).map_err(|e| match e {
        rbdshim_backend::Error::TimedOut => Error::TimedOut,
        other => other.into(),
    })?;
    sh.volume.set_cached(true);
    keeper_register(sh);
    Ok(())
}

/// Lets the exclusive lock go after in-flight requests finish.
pub(crate) fn release(sh: &ImageShared) {
    let _g = sh.gate.write();
    if !sh.coord.is_locked_here() {
        return;
    }
    sh.volume.set_cached(false);
    sh.owner_client.store(0, Ordering::Release);
    if let Err(e) = sh.coord.unlock() {
        tracing::warn!(image = %sh.id, "releasing the exclusive lock failed: {e}");
    }
}

/// After handing the lock over on request, gives the requester the time to take it before
/// asking for it back; without this a busy writer would win every race and starve it.
fn yield_to_requester(sh: &ImageShared) {
    for _ in 0..200 {
        if sh.coord.is_locked_anywhere().unwrap_or(true) {
            return;
        }
        std::thread::sleep(Duration::from_micros(250));
    }
}

/// Within the process, the lock belongs to one client (cluster handle) at a time: a write moves
/// it to the writing client, as librbd hands the lock to whoever writes, unless its owner
/// pinned it with rbd_lock_acquire; then other clients get -EROFS, as from librbd.
fn claim(sh: &ImageShared, client: u64) -> Result<()> {
    let owner = sh.owner_client.load(Ordering::Acquire);
    if owner == client {
        return Ok(());
    }
    if owner != 0 && sh.lock_pinned.load(Ordering::Acquire) {
        return Err(Error::ReadOnly);
    }
    sh.owner_client.store(client, Ordering::Release);
    Ok(())
}

/// Runs `f` for `client` with the IO gate held shared and the exclusive lock held by this
/// process.
pub(crate) fn with_lock<T>(sh: &Arc<ImageShared>, client: u64, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let mut fresh = false;
    loop {
        {
            let _g = sh.gate.read();
            let mine = sh.coord.is_locked_here();
            let asked = !fresh && !sh.lock_pinned.load(Ordering::Acquire) && sh.coord.release_requested();
            if mine && !asked {
                claim(sh, client)?;
                return f();
            }
        }
        if sh.coord.is_locked_here() {
            release(sh);
            yield_to_requester(sh);
        }
        acquire(sh)?;
        fresh = true;
    }
}

/// Runs `f` with no request in flight in this process and the exclusive lock held: for
/// operations that change the snapshot context or rewrite data wholesale.
pub(crate) fn with_lock_quiesced<T>(sh: &Arc<ImageShared>, client: u64, f: impl FnOnce() -> Result<T>) -> Result<T> {
    acquire(sh)?;
    let _g = sh.gate.write();
    if !sh.coord.is_locked_here() {
        // Handed over between acquire() and here: take it back while holding the gate.
        sh.coord.lock(LOCK_TIMEOUT)?;
        sh.volume.set_cached(true);
        keeper_register(sh);
    }
    claim(sh, client)?;
    f()
}

/// Advisory lock kinds (rbd_lock_exclusive / rbd_lock_shared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    Exclusive,
    Shared,
}

/// Who holds the exclusive lock (rbd_lock_get_owners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner {
    pub mode: LockMode,
    pub owner: String,
}

impl Image {
    fn client_name(&self) -> String {
        format!("client.{}", self.ioctx.cluster().instance_id())
    }

    /// Takes an advisory lock, as cls_lock does: -EEXIST if this client holds it with this
    /// cookie, -EBUSY if others hold it incompatibly.
    pub fn advisory_lock(&self, mode: LockMode, cookie: &str, tag: &str) -> Result<()> {
        self.check_open()?;
        // cls_lock's methods write the header: class-write caps, even on a read-only handle.
        self.ioctx.require(crate::auth::caps::Rights::IMAGE_WRITE)?;
        let me = self.client_name();
        let addr = self.ioctx.cluster().client_addr();
        self.sh.update_header(|h| {
            if h.lockers.iter().any(|l| l.client == me && l.cookie == cookie) {
                return Err(Error::Exists);
            }
            if !h.lockers.is_empty() {
                let compatible = mode == LockMode::Shared && !h.lock_exclusive && h.lock_tag == tag;
                if !compatible {
                    return Err(Error::Busy);
                }
            }
            h.lock_exclusive = mode == LockMode::Exclusive;
            h.lock_tag = tag.to_string();
            h.lockers.push(Locker { client: me, cookie: cookie.to_string(), addr });
            Ok(())
        })
    }

    pub fn advisory_unlock(&self, cookie: &str) -> Result<()> {
        self.check_open()?;
        let me = self.client_name();
        self.break_lock(&me, cookie)
    }

    /// Removes another client's advisory lock (-ENOENT if there is no such lock).
    pub fn break_lock(&self, client: &str, cookie: &str) -> Result<()> {
        self.check_open()?;
        self.ioctx.require(crate::auth::caps::Rights::IMAGE_WRITE)?;
        self.sh.update_header(|h| {
            let before = h.lockers.len();
            h.lockers.retain(|l| !(l.client == client && l.cookie == cookie));
            if h.lockers.len() == before {
                return Err(Error::NotFound);
            }
            if h.lockers.is_empty() {
                h.lock_tag.clear();
                h.lock_exclusive = false;
            }
            Ok(())
        })
    }

    /// (exclusive, tag, lockers)
    pub fn list_lockers(&self) -> Result<(bool, String, Vec<Locker>)> {
        let h = self.header()?;
        Ok((h.lock_exclusive, h.lock_tag.clone(), h.lockers.clone()))
    }

    /// Takes the managed exclusive lock and keeps it until `lock_release` (rbd_lock_acquire).
    pub fn lock_acquire(&self, mode: LockMode) -> Result<()> {
        self.check_writable()?;
        if mode != LockMode::Exclusive {
            return Err(Error::NotSupported);
        }
        if self.header()?.features & crate::features::EXCLUSIVE_LOCK == 0 {
            return Err(Error::InvalidArgument("the image has no exclusive-lock feature"));
        }
        acquire(&self.sh)?;
        let _g = self.sh.gate.read();
        claim(&self.sh, self.client())?;
        self.sh.lock_pinned.store(true, Ordering::Release);
        Ok(())
    }

    pub fn lock_release(&self) -> Result<()> {
        self.check_open()?;
        if !self.sh.coord.is_locked_here() || self.sh.owner_client.load(Ordering::Acquire) != self.client() {
            return Err(Error::InvalidArgument("lock not held"));
        }
        self.sh.lock_pinned.store(false, Ordering::Release);
        release(&self.sh);
        Ok(())
    }

    pub fn is_exclusive_lock_owner(&self) -> Result<bool> {
        self.check_open()?;
        Ok(self.sh.coord.is_locked_here() && self.sh.owner_client.load(Ordering::Acquire) == self.client())
    }

    pub fn lock_owners(&self) -> Result<Vec<LockOwner>> {
        self.check_open()?;
        if self.sh.coord.is_locked_here() {
            let owner = format!("client.{}", self.sh.owner_client.load(Ordering::Acquire));
            return Ok(vec![LockOwner { mode: LockMode::Exclusive, owner }]);
        }
        if self.sh.coord.is_locked_anywhere()? {
            return Ok(vec![LockOwner { mode: LockMode::Exclusive, owner: "client.other".to_string() }]);
        }
        Ok(Vec::new())
    }

    /// rbd_lock_break: takes the managed lock away from `owner` (a client of this process; the
    /// lock of another process is held by a live process and cannot be taken: -EBUSY).
    pub fn lock_break(&self, mode: LockMode, owner: &str) -> Result<()> {
        self.check_writable()?;
        if mode != LockMode::Exclusive {
            return Err(Error::NotSupported);
        }
        let owners = self.lock_owners()?;
        let Some(o) = owners.first() else { return Err(Error::NotFound) };
        if o.owner != owner {
            return Err(Error::Busy);
        }
        if !self.sh.coord.is_locked_here() {
            return Err(Error::Busy);
        }
        self.sh.lock_pinned.store(false, Ordering::Release);
        release(&self.sh);
        Ok(())
    }
}
