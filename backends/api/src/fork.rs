//! Knowing whether we are in a forked child: a counter that a pthread_atfork child handler
//! bumps. Per-process state (caches, lock ownership) records the generation it belongs to and
//! is ignored when the generation moved.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();
/// This process's id once asked (0: not yet, or forked since).
static PID: AtomicU32 = AtomicU32::new(0);

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
    PID.store(0, Ordering::SeqCst);
}

/// The current fork generation of this process (0 until the first fork of a child).
pub fn generation() -> u64 {
    INSTALL.call_once(|| {
        // SAFETY: registering a function that only bumps an atomic; it cannot unwind.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    GENERATION.load(Ordering::Acquire)
}

/// This process's id, without a system call each time (lock ownership is checked on every
/// write): cached, and forgotten in a forked child.
pub fn pid() -> u32 {
    generation(); // the child handler must be in place before the id is cached
    match PID.load(Ordering::Acquire) {
        0 => {
            let me = std::process::id();
            PID.store(me, Ordering::Release);
            me
        }
        me => me,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pid_is_this_process_and_a_forked_childs_own() {
        assert_eq!(super::pid(), std::process::id());
        // SAFETY: the child only calls async-signal-safe code (getpid, _exit) besides atomics.
        let child = unsafe { libc::fork() };
        if child == 0 {
            let ok = super::pid() == unsafe { libc::getpid() } as u32;
            // SAFETY: leaving the forked child at once.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        assert!(child > 0);
        let mut status = 0;
        // SAFETY: waiting for the child forked above.
        unsafe { libc::waitpid(child, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child saw its parent's id");
        assert_eq!(super::pid(), std::process::id());
    }
}
