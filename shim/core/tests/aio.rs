//! Asynchronous IO: callbacks on a pool thread, exactly once, flush ordering.

mod common;
use common::*;
use rbdshim_core::Completion;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[test]
fn callbacks_run_once_off_the_submitting_thread() {
    let e = env();
    let img = Arc::new(e.create_order("a", 1 << 22, 12));
    let me = std::thread::current().id();
    let calls = Arc::new(AtomicUsize::new(0));
    let mut comps = Vec::new();
    for i in 0..64u64 {
        let calls = calls.clone();
        let comp = Completion::new(Some(Box::new(move |ret| {
            // librbd completes writes with 0, reads with the byte count.
            assert_eq!(ret, 0);
            assert_ne!(std::thread::current().id(), me);
            calls.fetch_add(1, Ordering::SeqCst);
        })));
        img.aio_write(i * 4096 + 1, pattern(i as u8, 4096), comp.clone()).unwrap();
        comps.push(comp);
    }
    let flush = Completion::new(None);
    img.aio_flush(flush.clone()).unwrap();
    assert_eq!(flush.wait(), 0);
    assert!(comps.iter().all(|c| c.is_complete()), "flush completes after earlier writes");
    assert_eq!(calls.load(Ordering::SeqCst), 64);
    let got = Arc::new(Mutex::new(Vec::new()));
    let g2 = got.clone();
    let rc = Completion::new(None);
    img.aio_read(5 * 4096 + 1, 4096, rc.clone(), Box::new(move |d| g2.lock().unwrap().extend_from_slice(d))).unwrap();
    assert_eq!(rc.wait(), 4096);
    assert_eq!(*got.lock().unwrap(), pattern(5, 4096));
    let bad = Completion::new(None);
    img.aio_write(1 << 40, vec![1], bad.clone()).unwrap();
    assert_eq!(bad.wait(), -(libc::EINVAL as i64));
    let d = Completion::new(None);
    img.aio_discard(0, 8192, d.clone()).unwrap();
    assert_eq!(d.wait(), 0);
    let z = Completion::new(None);
    img.aio_write_zeroes(8192, 10, false, z.clone()).unwrap();
    assert_eq!(z.wait(), 0);
    assert_eq!(img.read_vec(0, 8202).unwrap(), vec![0u8; 8202]);
}

#[test]
fn completion_can_be_waited_after_its_callback_dropped_it() {
    let e = env();
    let img = Arc::new(e.create("b", 1 << 20));
    for _ in 0..100 {
        let c = Completion::new(Some(Box::new(|_| {})));
        img.aio_write(0, vec![1u8; 512], c.clone()).unwrap();
        drop(c);
    }
    let f = Completion::new(None);
    img.aio_flush(f.clone()).unwrap();
    assert_eq!(f.wait(), 0);
}

/// A write's callback that flushes the image (waiting for the writes queued after it) or
/// waits for a later write's completion must not wait for itself: the image's writes run one
/// at a time on one worker, which hands the rest over when a callback waits.
#[test]
fn callbacks_may_flush_and_wait_for_later_writes() {
    let e = env();
    let img = Arc::new(e.create_order("w", 1 << 22, 12));
    let later: Arc<Mutex<Vec<Arc<Completion>>>> = Arc::default();
    let flushed = Arc::new(AtomicUsize::new(0));
    let first = {
        let (img, later, flushed) = (img.clone(), later.clone(), flushed.clone());
        Completion::new(Some(Box::new(move |_| {
            img.flush().unwrap();
            for c in later.lock().unwrap().iter() {
                c.wait();
            }
            flushed.fetch_add(1, Ordering::SeqCst);
        })))
    };
    // The first write queues the others behind it in the image's lane before its callback runs.
    let gate = Arc::new(std::sync::Barrier::new(2));
    let g2 = gate.clone();
    let blocker = Completion::new(Some(Box::new(move |_| {
        g2.wait();
    })));
    img.aio_write(0, vec![9u8; 4096], blocker.clone()).unwrap();
    img.aio_write(4096, vec![1u8; 4096], first.clone()).unwrap();
    for i in 2..40u64 {
        let c = Completion::new(None);
        later.lock().unwrap().push(c.clone());
        img.aio_write(i * 4096, pattern(i as u8, 4096), c).unwrap();
    }
    gate.wait();
    assert_eq!(first.wait(), 0);
    assert_eq!(flushed.load(Ordering::SeqCst), 1);
    for i in 2..40u64 {
        assert_eq!(img.read_vec(i * 4096, 4096).unwrap(), pattern(i as u8, 4096));
    }
    assert_eq!(blocker.wait(), 0);
}
