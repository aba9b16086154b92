//! The worker threads behind asynchronous requests.
//!
//! Most requests are page-cache copies of a few microseconds, while handing a request to a
//! parked thread costs a futex wake-up and a context switch (several microseconds on a VM, more
//! than the IO). So:
//! - a worker that runs out of work spins a short while (`RBDSHIM_AIO_SPIN_US`, default 50)
//!   for the next request before it parks, and at most one worker spins at a time: an idle pool
//!   burns nothing, a busy one at most one core for that short while;
//! - a submission wakes a parked worker only when no worker is spinning (the spinner takes it);
//! - a worker that takes a request and sees more queued wakes one more, up to one running
//!   worker per CPU (`RBDSHIM_AIO_ACTIVE`): more threads than CPUs only add context switches
//!   and contention on the file's lock when the work is copying;
//! - past that, when no request finished for `STALLED` while some wait, one more worker is
//!   woken anyway, so requests that block (reads from the disk, `fdatasync`) still run side by
//!   side on every worker (`RBDSHIM_AIO_THREADS`, default 8).
//!
//! A job that waits for other jobs (a flush waiting for the writes before it, a callback that
//! flushes or waits for a completion) does so inside [`blocking`]: its worker stops counting as
//! running, so another is woken for what is queued, and a lane it runs goes on on another
//! worker. That is what keeps a waiting job from waiting for itself.
//!
//! Threads start on first use, and again in a forked child (threads do not survive fork()).
//! The locks here are the standard library's, whose state lives in the lock itself: parking
//! lot's keeps waiting threads in a process-wide table, and workers parked there when a process
//! forks would leave the child's table pointing at threads that do not exist (seen: a child
//! spinning for ever in that table as soon as it started its own workers).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub(super) type Job = Box<dyn FnOnce() + Send>;

/// Locks `m`; a panic cannot happen while these locks are held, so poisoning is ignored.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long the running workers may go without finishing a request, while others wait, before
/// a parked one is woken.
const STALLED: Duration = Duration::from_micros(500);

struct Shared {
    queue: Mutex<VecDeque<Job>>,
    cv: Condvar,
    /// The queue's length, for spinners to watch without the lock.
    queued: AtomicUsize,
    /// Workers spinning for work (0 or 1); changed only with `queue` locked.
    spinning: AtomicUsize,
    /// Workers waiting on `cv`; changed only with `queue` locked.
    parked: AtomicUsize,
    /// Workers inside [`blocking`]: waiting for other jobs, not running.
    blocked: AtomicUsize,
    spin: Duration,
    /// Threads running `work` (parked or not).
    workers: AtomicUsize,
    /// Running (not parked) workers wanted at most, unless they stall.
    active: usize,
    /// When a worker last finished a request, in µs since `epoch`.
    progress: AtomicU64,
    epoch: Instant,
}

struct Pool {
    /// Fork generation the threads belong to.
    gen: u64,
    shared: Option<Arc<Shared>>,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { gen: 0, shared: None });

fn env_num(name: &str, max: u64) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|n| *n <= max)
}

fn start() -> Option<Arc<Shared>> {
    let workers = env_num("RBDSHIM_AIO_THREADS", 256).filter(|n| *n > 0).unwrap_or(8) as usize;
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let active = env_num("RBDSHIM_AIO_ACTIVE", 256).filter(|n| *n > 0).map(|n| n as usize).unwrap_or(cpus);
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        cv: Condvar::new(),
        queued: AtomicUsize::new(0),
        spinning: AtomicUsize::new(0),
        parked: AtomicUsize::new(0),
        blocked: AtomicUsize::new(0),
        spin: Duration::from_micros(env_num("RBDSHIM_AIO_SPIN_US", 10_000).unwrap_or(50)),
        workers: AtomicUsize::new(0),
        active: active.min(workers),
        progress: AtomicU64::new(0),
        epoch: Instant::now(),
    });
    let mut started = 0;
    for i in 0..workers {
        let sh = shared.clone();
        let ok = std::thread::Builder::new().name(format!("rbdshim-aio-{i}")).spawn(move || sh.work()).is_ok();
        started += ok as usize;
    }
    (started > 0).then_some(shared)
}

thread_local! {
    /// The pool a worker thread belongs to.
    static WORKER: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// The lane this thread is running, if any.
    static LANE: RefCell<Option<Arc<Lane>>> = const { RefCell::new(None) };
}

/// Runs a job; a panic that escaped the job's own handling must not kill the worker (and
/// with it a lane's runner).
fn run_contained(job: Job) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
        tracing::error!("AIO job panicked");
    }
}

/// Runs `f`, which waits for other asynchronous requests (or for a caller's callback that
/// may), on a pool worker or anywhere else. On a worker: the lane it runs continues on another
/// worker, and it stops counting as running, so queued requests get a worker.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    if let Some(lane) = LANE.with(|l| l.borrow_mut().take()) {
        lane.hand_off();
    }
    let Some(sh) = WORKER.with(|w| w.borrow().clone()) else { return f() };
    {
        let q = lock(&sh.queue);
        sh.blocked.fetch_add(1, SeqCst);
        if sh.should_wake(&q) {
            sh.cv.notify_one();
        }
    }
    let out = f();
    sh.blocked.fetch_sub(1, SeqCst);
    out
}

/// Queues `job` for a worker. Returns false only if no thread could be started.
pub(super) fn submit(job: Job) -> bool {
    let shared = {
        let mut p = lock(&POOL);
        let gen = rbdshim_backend::fork::generation();
        if p.gen != gen || p.shared.is_none() {
            let Some(new) = start() else { return false };
            // After fork() the old queue's lock may have been held by a thread that no longer
            // exists; dropping it could touch that state, so it is leaked instead.
            if let Some(old) = p.shared.replace(new) {
                std::mem::forget(old);
            }
            p.gen = gen;
        }
        match &p.shared {
            Some(s) => s.clone(),
            None => return false,
        }
    };
    shared.push(job);
    true
}

impl Shared {
    fn push(&self, job: Job) {
        let mut q = lock(&self.queue);
        q.push_back(job);
        self.queued.store(q.len(), SeqCst);
        let wake = self.should_wake(&q);
        drop(q);
        if wake {
            self.cv.notify_one();
        }
    }

    /// Whether one more worker should run for what `q` holds (called with it locked).
    fn should_wake(&self, q: &VecDeque<Job>) -> bool {
        let parked = self.parked.load(SeqCst);
        if q.is_empty() || parked == 0 || self.spinning.load(SeqCst) > 0 {
            return false;
        }
        let running = self.workers.load(SeqCst).saturating_sub(parked + self.blocked.load(SeqCst));
        running < self.active || self.now_us().saturating_sub(self.progress.load(SeqCst)) >= STALLED.as_micros() as u64
    }

    fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn work(self: Arc<Self>) {
        self.workers.fetch_add(1, SeqCst);
        WORKER.with(|w| *w.borrow_mut() = Some(self.clone()));
        loop {
            let job = self.next();
            run_contained(job);
            self.progress.store(self.now_us(), SeqCst);
        }
    }

    /// The next job: taken at once, found while spinning, or after parking.
    fn next(&self) -> Job {
        let mut spun = false;
        let mut q = lock(&self.queue);
        loop {
            if let Some(job) = q.pop_front() {
                self.queued.store(q.len(), SeqCst);
                if spun {
                    self.spinning.fetch_sub(1, SeqCst);
                }
                if self.should_wake(&q) {
                    self.cv.notify_one();
                }
                return job;
            }
            if !spun && !self.spin.is_zero() && self.spinning.load(SeqCst) == 0 {
                self.spinning.store(1, SeqCst);
                spun = true;
                drop(q);
                self.spin_wait();
                q = lock(&self.queue);
                continue;
            }
            if spun {
                self.spinning.fetch_sub(1, SeqCst);
                spun = false;
            }
            self.parked.fetch_add(1, SeqCst);
            q = self.cv.wait(q).unwrap_or_else(|e| e.into_inner());
            self.parked.fetch_sub(1, SeqCst);
        }
    }

    /// Waits up to `spin` for a queued job without sleeping. It yields the CPU between looks:
    /// the submitter (or the thread a completion wakes) may be waiting for this very CPU.
    fn spin_wait(&self) {
        let start = Instant::now();
        loop {
            for _ in 0..16 {
                if self.queued.load(SeqCst) > 0 {
                    return;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= self.spin {
                return;
            }
            std::thread::yield_now();
        }
    }
}

/// Requests that must run one at a time, in order: the writes of one image. Buffered writes
/// to one file run one at a time in the kernel anyway (the inode lock), and a second worker
/// writing the same file only spins on that lock; so the first request starts a runner on the
/// pool that takes the lane's requests until none is left, and the other workers stay free
/// for reads and other images.
#[derive(Default)]
pub(crate) struct Lane {
    state: Mutex<LaneState>,
}

#[derive(Default)]
struct LaneState {
    /// Fork generation + 1 of the process whose runner is at work; 0: none. A forked child
    /// has no runner whatever its parent had.
    runner: u64,
    /// Jobs with the number `push` gave them.
    jobs: VecDeque<(u64, Job)>,
    next_id: u64,
}

impl Lane {
    /// Queues `job` behind the lane's earlier ones. False only if no worker could be started
    /// (the job is then dropped, not run).
    pub(super) fn push(self: &Arc<Self>, job: Job) -> bool {
        let gen = rbdshim_backend::fork::generation() + 1;
        let mut s = lock(&self.state);
        if s.runner != gen && s.runner != 0 {
            s.jobs.clear(); // requests of a parent process, whose runner is not in this one
            s.runner = 0;
        }
        let id = s.next_id;
        s.next_id += 1;
        s.jobs.push_back((id, job));
        if s.runner == gen {
            return true;
        }
        s.runner = gen;
        drop(s);
        if self.start_runner() {
            return true;
        }
        // No thread could be started (the pool's first start failed): take this job back.
        // Jobs others queued meanwhile stay and start with the next push.
        let mut s = lock(&self.state);
        s.runner = 0;
        s.jobs.retain(|(j, _)| *j != id);
        false
    }

    fn start_runner(self: &Arc<Self>) -> bool {
        let me = self.clone();
        submit(Box::new(move || me.run()))
    }

    /// Called by a runner about to wait: the lane's next jobs go on on another worker.
    fn hand_off(self: &Arc<Self>) {
        let mut s = lock(&self.state);
        if s.jobs.is_empty() {
            s.runner = 0;
            return;
        }
        drop(s);
        if !self.start_runner() {
            lock(&self.state).runner = 0;
        }
    }

    fn run(self: Arc<Self>) {
        LANE.with(|l| *l.borrow_mut() = Some(self.clone()));
        loop {
            let job = {
                let mut s = lock(&self.state);
                match s.jobs.pop_front() {
                    Some((_, j)) => j,
                    None => {
                        s.runner = 0;
                        LANE.with(|l| l.borrow_mut().take());
                        return;
                    }
                }
            };
            run_contained(job);
            if LANE.with(|l| l.borrow().is_none()) {
                return; // handed off while it waited: another worker runs the lane now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn every_job_runs_once_even_when_jobs_block() {
        let (tx, rx) = mpsc::channel();
        // Blocking jobs must not hold back the others: the pool wakes more workers.
        for i in 0..64u32 {
            let tx = tx.clone();
            assert!(submit(Box::new(move || {
                if i % 8 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
                tx.send(i).unwrap();
            })));
        }
        let mut got: Vec<u32> = (0..64).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..64).collect::<Vec<_>>());
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    }

    #[test]
    fn a_lane_runs_its_jobs_one_at_a_time_in_order() {
        use std::sync::atomic::AtomicBool;
        let lane = Arc::new(Lane::default());
        let busy = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        for i in 0..200u32 {
            let (tx, busy) = (tx.clone(), busy.clone());
            assert!(lane.push(Box::new(move || {
                assert!(!busy.swap(true, SeqCst), "two jobs of one lane ran at once");
                if i % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
                busy.store(false, SeqCst);
                tx.send(i).unwrap();
            })));
        }
        let got: Vec<u32> = (0..200).map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap()).collect();
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        // The runner has gone; a later job starts a new one.
        std::thread::sleep(Duration::from_millis(5));
        assert!(lane.push(Box::new(move || tx.send(1000).unwrap())));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 1000);
    }

    #[test]
    fn a_job_submitted_after_the_pool_went_idle_runs() {
        let (tx, rx) = mpsc::channel();
        assert!(submit(Box::new({
            let tx = tx.clone();
            move || tx.send(1).unwrap()
        })));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 1);
        // Past the spin: every worker is parked now, and the next job must wake one.
        std::thread::sleep(Duration::from_millis(20));
        assert!(submit(Box::new(move || tx.send(2).unwrap())));
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 2);
    }
}
