//! Cross-process behaviour: watchers, removal while open, the exclusive lock after kill -9,
//! hand-over between two writers, and snapshots taken while another process writes.

mod common;
use common::child::{run_role_if_asked, Proc};
use common::*;
use rbdshim_core::{manage, Image};
use std::time::{Duration, Instant};

#[test]
fn child_role() {
    run_role_if_asked();
}

fn setup(size: u64) -> Env {
    let e = env();
    e.create("img", size).close().unwrap();
    e
}

#[test]
fn watchers_seen_and_removal_refused_until_killed() {
    let e = setup(1 << 20);
    let mut p = Proc::spawn("hold-open", &spec(e.dir.path()));
    p.expect("ready");
    let ro = Image::open(&e.io, "img", None, true).unwrap();
    assert_eq!(ro.watchers().unwrap().len(), 1, "the other process watches");
    drop(ro);
    assert_eq!(errno(manage::remove(&e.io, "img")), libc::EBUSY);
    p.kill9();
    let start = Instant::now();
    let ro = Image::open(&e.io, "img", None, true).unwrap();
    let gone = eventually(session_end_limit(), || ro.watchers().unwrap().is_empty());
    assert!(gone, "a dead process watches nothing (once its session ended)");
    drop(ro);
    manage::remove(&e.io, "img").unwrap();
    assert!(start.elapsed() < session_end_limit() + Duration::from_secs(1));
}

#[test]
fn exclusive_lock_vanishes_with_its_process() {
    let e = setup(1 << 20);
    let mut p = Proc::spawn("hold-lock", &spec(e.dir.path()));
    p.expect("ready");
    let img = Image::open(&e.io, "img", None, false).unwrap();
    assert_eq!(img.lock_owners().unwrap().len(), 1);
    assert!(!img.is_exclusive_lock_owner().unwrap());
    p.kill9();
    let start = Instant::now();
    img.write(100, b"mine").unwrap();
    assert!(img.is_exclusive_lock_owner().unwrap());
    assert!(start.elapsed() < session_end_limit(), "no longer than the session's end");
    assert_eq!(img.read_vec(0, 6).unwrap(), b"locked");
}

#[test]
fn two_writers_hand_the_lock_over_and_see_each_other() {
    let e = setup(1 << 20);
    let mut p = Proc::spawn("read-on-request", &spec(e.dir.path()));
    p.expect("ready");
    let img = Image::open(&e.io, "img", None, false).unwrap();
    for round in 0..20u64 {
        let off = (round + 1) * 4096 * 3 + 1;
        img.write(off, &round.to_le_bytes()).unwrap();
        img.flush().unwrap();
        p.send(&off.to_string());
        assert_eq!(p.line().unwrap(), format!("{:?}", round.to_le_bytes().to_vec()));
    }
    assert_eq!(img.read_vec(0, 5).unwrap(), b"child");
}

#[test]
fn snapshot_while_another_process_writes_is_point_in_time() {
    let e = setup(4 << 20);
    let mut p = Proc::spawn("counter", &spec(e.dir.path()));
    p.expect("ready");
    let img = Image::open(&e.io, "img", None, false).unwrap();
    for k in 0..5 {
        let name = format!("s{k}");
        img.snap_create(&name).unwrap();
        let snap = Image::open(&e.io, "img", Some(&name), true).unwrap();
        let a = u64::from_le_bytes(snap.read_vec(0, 8).unwrap().try_into().unwrap());
        let b = u64::from_le_bytes(snap.read_vec(1 << 20, 8).unwrap().try_into().unwrap());
        assert!(a >= 100 && (a == b || a == b + 1), "snapshot {name} holds {a} and {b}");
        std::thread::sleep(Duration::from_millis(30));
        let a2 = u64::from_le_bytes(snap.read_vec(0, 8).unwrap().try_into().unwrap());
        let b2 = u64::from_le_bytes(snap.read_vec(1 << 20, 8).unwrap().try_into().unwrap());
        assert_eq!((a, b), (a2, b2), "later writes never enter a snapshot");
        // The writer takes the lock back and goes on (how soon depends on the machine's load).
        let mut head = 0;
        for _ in 0..200 {
            head = u64::from_le_bytes(img.read_vec(0, 8).unwrap().try_into().unwrap());
            if head > a {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(head > a, "the writer went on after the snapshot ({head} vs {a})");
    }
    p.kill9();
}

#[test]
fn reads_through_a_clone_see_what_another_process_copies_up() {
    // A reader that found an object absent from the clone (and read the parent) must see the
    // object once another process has written it: the clone's object map is read afresh on
    // every read, whatever this process remembers of its parents.
    let e = env();
    let base = e.create_order("base", 1 << 20, 16);
    base.write(0, &[0xaa; 1 << 20]).unwrap();
    base.snap_create("s").unwrap();
    base.snap_protect("s").unwrap();
    base.close().unwrap();
    rbdshim_core::clone::clone(&e.io, "base", "s", &e.io, "img", &Default::default()).unwrap();
    let reader = Image::open(&e.io, "img", None, true).unwrap();
    let mut p = Proc::spawn("write-on-request", &spec(e.dir.path()));
    p.expect("ready");
    // What the first 16 KiB of each object should hold.
    let mut model = std::collections::HashMap::new();
    for (round, objno) in [3u64, 0, 15, 3].into_iter().enumerate() {
        let off = objno << 16;
        let want = model.entry(objno).or_insert_with(|| vec![0xaau8; 16384]);
        assert_eq!(reader.read_vec(off, 16384).unwrap(), *want, "object {objno} before round {round}");
        let (at, byte) = (4096 * (round % 3 + 1), round as u8 + 1);
        p.send(&format!("{} {byte}", off + at as u64));
        p.expect("written");
        want[at..at + 4096].fill(byte);
        assert_eq!(reader.read_vec(off, 16384).unwrap(), *want, "object {objno} after round {round}");
    }
    p.kill9();
}

/// Reads of a snapshot from a process without the exclusive lock race the owner's first writes
/// after the snapshot (each of which preserves the old version before changing the head): they
/// must always see the snapshot's bytes, never the new ones.
#[test]
fn snapshot_reads_race_the_copy_on_write_of_another_process() {
    let e = env();
    e.create_order("img", 256 << 10, 12).close().unwrap();
    let mut p = Proc::spawn("overwrite-all", &spec(e.dir.path()));
    p.expect("ready");
    for k in 0..4 {
        let name = format!("s{k}");
        let want = {
            let img = Image::open(&e.io, "img", None, false).unwrap();
            img.snap_create(&name).unwrap();
            let at = Image::open(&e.io, "img", Some(&name), true).unwrap();
            let want = at.read_vec(0, 256 << 10).unwrap();
            img.close().unwrap();
            want
        };
        // The writer takes the lock back and overwrites every block, preserving each first.
        let at = Image::open(&e.io, "img", Some(&name), true).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(150) {
            for blk in 0..64u64 {
                let got = at.read_vec(blk * 4096, 4096).unwrap();
                assert!(
                    got == want[blk as usize * 4096..(blk as usize + 1) * 4096],
                    "snapshot {name}, block {blk}: read {} instead of {}",
                    got[0],
                    want[blk as usize * 4096]
                );
            }
        }
    }
    p.kill9();
}
