//! Asynchronous IO: a small worker pool and completions.
//!
//! Callbacks run on a pool thread, never on the submitter's, exactly once, after the return
//! value is set (so the callback may read it and release the completion). A flush completes
//! only after every request submitted before it on the same image completed.
//!
//! The worker pool (`aio/pool.rs`) starts on first use and again in a forked child.

use crate::image::Image;
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

mod pool;
pub(crate) use pool::Lane;

/// Runs `job` on the pool. Returns false only if no thread could be started.
fn spawn(job: pool::Job) -> bool {
    pool::submit(job)
}

pub type Callback = Box<dyn FnOnce(i64) + Send>;

/// Runs `job` on the pool and completes `comp` with its value (for requests that are not
/// image IO, such as object operations). Fails only if no worker thread can be started.
pub fn run(comp: Arc<Completion>, job: Box<dyn FnOnce() -> i64 + Send>) -> crate::Result<()> {
    let ok = spawn(Box::new(move || {
        let ret = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
            Ok(r) => r,
            Err(_) => {
                tracing::error!("asynchronous request panicked");
                -(libc::EIO as i64)
            }
        };
        comp.finish(ret);
    }));
    if ok {
        Ok(())
    } else {
        Err(crate::Error::Backend(rbdshim_backend::Error::Io(std::io::Error::from_raw_os_error(libc::EAGAIN))))
    }
}

/// Like [`run`], for a request counted in `pending` until it is complete (and before its
/// callback runs, so that a callback may wait for `pending` without waiting for itself):
/// rados_aio_flush waits for an I/O context's requests this way.
pub(crate) fn run_tracked(
    pending: &Arc<Tracker>,
    comp: Arc<Completion>,
    job: Box<dyn FnOnce() -> i64 + Send>,
) -> crate::Result<()> {
    let seq = pending.begin();
    let p2 = pending.clone();
    let ok = spawn(Box::new(move || {
        let ret = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
            Ok(r) => r,
            Err(_) => {
                tracing::error!("asynchronous request panicked");
                -(libc::EIO as i64)
            }
        };
        comp.finish_then(ret, || p2.end(seq));
    }));
    if ok {
        Ok(())
    } else {
        pending.end(seq);
        Err(crate::Error::Backend(rbdshim_backend::Error::Io(std::io::Error::from_raw_os_error(libc::EAGAIN))))
    }
}

/// An asynchronous request's completion (rbd_completion_t).
pub struct Completion {
    ret: AtomicI64,
    complete: AtomicBool,
    /// librados reports a request complete before its callback runs (fio asserts it inside
    /// the callback); librbd only after.
    complete_before_callback: bool,
    lock: Mutex<bool>,
    cv: Condvar,
    callback: Mutex<Option<Callback>>,
}

impl Completion {
    /// A completion with librbd's order: `is_complete` turns true after the callback returned.
    pub fn new(callback: Option<Callback>) -> Arc<Completion> {
        Self::build(callback, false)
    }

    /// A completion with librados's order: `is_complete` is already true inside the callback.
    pub fn new_rados(callback: Option<Callback>) -> Arc<Completion> {
        Self::build(callback, true)
    }

    fn build(callback: Option<Callback>, complete_before_callback: bool) -> Arc<Completion> {
        Arc::new(Completion {
            ret: AtomicI64::new(0),
            complete: AtomicBool::new(false),
            complete_before_callback,
            lock: Mutex::new(false),
            cv: Condvar::new(),
            callback: Mutex::new(callback),
        })
    }

    pub fn is_complete(&self) -> bool {
        self.complete.load(Ordering::Acquire)
    }

    pub fn return_value(&self) -> i64 {
        self.ret.load(Ordering::Acquire)
    }

    /// Blocks until the request (and its callback) finished; returns its value.
    pub fn wait(&self) -> i64 {
        pool::blocking(|| {
            let mut done = self.lock.lock();
            while !*done {
                self.cv.wait(&mut done);
            }
        });
        self.return_value()
    }

    pub(crate) fn finish(&self, ret: i64) {
        self.finish_then(ret, || {})
    }

    /// Completes with `ret`, running `before_callback` once the value is set and, for librados's
    /// order, the completion reads as complete.
    fn finish_then(&self, ret: i64, before_callback: impl FnOnce()) {
        self.ret.store(ret, Ordering::Release);
        if self.complete_before_callback {
            self.complete.store(true, Ordering::Release);
        }
        before_callback();
        let cb = self.callback.lock().take();
        if let Some(cb) = cb {
            // A panicking callback must not take the worker (and with it every later request)
            // down with it.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(ret))).is_err() {
                tracing::error!("AIO completion callback panicked");
            }
        }
        self.complete.store(true, Ordering::Release);
        let mut done = self.lock.lock();
        *done = true;
        self.cv.notify_all();
    }
}

/// Requests in flight on one image handle, for flush ordering.
#[derive(Default)]
pub(crate) struct Tracker {
    state: Mutex<(u64, BTreeSet<u64>)>,
    cv: Condvar,
}

impl Tracker {
    fn begin(&self) -> u64 {
        let mut s = self.state.lock();
        let seq = s.0;
        s.0 += 1;
        s.1.insert(seq);
        seq
    }

    fn end(&self, seq: u64) {
        let mut s = self.state.lock();
        s.1.remove(&seq);
        self.cv.notify_all();
    }

    /// Waits until every request begun before `barrier` ended.
    fn wait_before(&self, barrier: u64) {
        let pending = |s: &(u64, BTreeSet<u64>)| s.1.first().map(|f| *f < barrier).unwrap_or(false);
        if !pending(&self.state.lock()) {
            return;
        }
        pool::blocking(|| {
            let mut s = self.state.lock();
            while pending(&s) {
                self.cv.wait(&mut s);
            }
        })
    }

    fn barrier(&self) -> u64 {
        self.state.lock().0
    }

    /// Waits for every request submitted so far.
    pub(crate) fn drain(&self) {
        let b = self.barrier();
        self.wait_before(b);
    }
}

/// What kind of request a job is (flushes wait for what came before them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AioKind {
    Read,
    Write,
    Flush,
}

/// Errors become negative errno values, as the C API reports them.
pub fn to_ret<T: Into<i64>>(r: crate::Result<T>) -> i64 {
    match r {
        Ok(v) => v.into(),
        Err(e) => -(e.errno() as i64),
    }
}

impl Image {
    /// Queues `job` (which returns the request's value or -errno) for `comp`.
    pub fn aio_submit(
        self: &Arc<Self>,
        kind: AioKind,
        comp: Arc<Completion>,
        job: Box<dyn FnOnce(&Image) -> i64 + Send>,
    ) -> crate::Result<()> {
        self.check_open()?;
        let img = self.clone();
        let tracker = self.tracker.clone();
        let (seq, barrier) = match kind {
            AioKind::Flush => (None, Some(tracker.barrier())),
            _ => (Some(tracker.begin()), None),
        };
        let t2 = tracker.clone();
        let lane = (kind == AioKind::Write).then(|| self.sh.write_lane.clone());
        let job: pool::Job = Box::new(move || {
            if let Some(b) = barrier {
                t2.wait_before(b);
            }
            let ret = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&img))) {
                Ok(r) => r,
                Err(_) => {
                    tracing::error!("AIO request panicked");
                    -(libc::EIO as i64)
                }
            };
            if let Some(s) = seq {
                t2.end(s);
            }
            comp.finish(ret);
        });
        let ok = match lane {
            Some(lane) => lane.push(job),
            None => spawn(job),
        };
        if !ok {
            if let Some(s) = seq {
                tracker.end(s);
            }
            return Err(crate::Error::Backend(rbdshim_backend::Error::Io(std::io::Error::from_raw_os_error(
                libc::EAGAIN,
            ))));
        }
        Ok(())
    }

    /// Writes `data`, which may be the caller's own memory (the C ABI passes it without a copy:
    /// librbd's callers keep the buffer until the completion fires).
    pub fn aio_write<B: AsRef<[u8]> + Send + 'static>(
        self: &Arc<Self>,
        off: u64,
        data: B,
        comp: Arc<Completion>,
    ) -> crate::Result<()> {
        self.aio_submit(AioKind::Write, comp, Box::new(move |img| to_ret(img.write(off, data.as_ref()).map(|_| 0))))
    }

    /// Reads into `buf` (clipped at the end of the image; bytes past it are left alone) and
    /// completes with the count: straight into the caller's memory, without a bounce buffer.
    pub fn aio_read_into<B: AsMut<[u8]> + Send + 'static>(
        self: &Arc<Self>,
        off: u64,
        mut buf: B,
        comp: Arc<Completion>,
    ) -> crate::Result<()> {
        self.aio_submit(AioKind::Read, comp, Box::new(move |img| to_ret(img.read(off, buf.as_mut()).map(|n| n as i64))))
    }

    /// Reads `len` bytes; `deliver` gets the data (clipped) before the completion fires.
    pub fn aio_read(
        self: &Arc<Self>,
        off: u64,
        len: usize,
        comp: Arc<Completion>,
        deliver: Box<dyn FnOnce(&[u8]) + Send>,
    ) -> crate::Result<()> {
        self.aio_submit(
            AioKind::Read,
            comp,
            Box::new(move |img| {
                // Clip before allocating: a huge length must not reach the allocator.
                let n = match img.size().and_then(|size| crate::io::clip(off, len as u64, size)) {
                    Ok(n) => n as usize,
                    Err(e) => return -(e.errno() as i64),
                };
                let mut buf = vec![0u8; n];
                match img.read(off, &mut buf) {
                    Ok(n) => {
                        deliver(&buf[..n]);
                        n as i64
                    }
                    Err(e) => -(e.errno() as i64),
                }
            }),
        )
    }

    pub fn aio_discard(self: &Arc<Self>, off: u64, len: u64, comp: Arc<Completion>) -> crate::Result<()> {
        self.aio_submit(AioKind::Write, comp, Box::new(move |img| to_ret(img.discard(off, len).map(|_| 0))))
    }

    pub fn aio_write_zeroes(
        self: &Arc<Self>,
        off: u64,
        len: u64,
        thick: bool,
        comp: Arc<Completion>,
    ) -> crate::Result<()> {
        self.aio_submit(AioKind::Write, comp, Box::new(move |img| to_ret(img.write_zeroes(off, len, thick).map(|_| 0))))
    }

    pub fn aio_flush(self: &Arc<Self>, comp: Arc<Completion>) -> crate::Result<()> {
        self.aio_submit(
            AioKind::Flush,
            comp,
            Box::new(|img| to_ret(img.sh.volume.flush().map(|_| 0i64).map_err(Into::into))),
        )
    }
}
