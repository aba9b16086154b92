//! Knowing whether we are in a forked child: a counter that a pthread_atfork child handler
//! bumps. Per-process state (caches, lock ownership) records the generation it belongs to and
//! is ignored when the generation moved.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static INSTALL: Once = Once::new();

extern "C" fn in_child() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The current fork generation of this process (0 until the first fork of a child).
pub fn generation() -> u64 {
    INSTALL.call_once(|| {
        // SAFETY: registering a function that only bumps an atomic; it cannot unwind.
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    GENERATION.load(Ordering::Acquire)
}
