//! Crash test: a child writing, flushing and snapshotting is killed with SIGKILL at random
//! moments, many times over the same image. Each time the store checks clean and every write
//! the child saw flushed is there. RBDSHIM_CRASH_ROUNDS sets the number of kills (default 40).

mod common;
use common::child::{record, run_role_if_asked, Proc, SLOTS};
use common::*;
use rand::{Rng, SeedableRng};
use rbdshim_core::Image;
use std::time::Duration;

#[test]
fn child_role() {
    run_role_if_asked();
}

#[test]
fn kill_dash_nine_loses_nothing_flushed() {
    let rounds: usize = std::env::var("RBDSHIM_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let seed: u64 = std::env::var("RBDSHIM_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    eprintln!("crash test: RBDSHIM_CRASH_SEED={seed} RBDSHIM_CRASH_ROUNDS={rounds}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let e = env();
    e.create_order("img", 1 << 20, 14).close().unwrap();
    let spec = spec(e.dir.path());
    // newest flushed record per slot
    let mut flushed: Vec<Option<u64>> = vec![None; SLOTS as usize];
    let mut next = 0u64;
    let mut total_flushed = 0;
    for round in 0..rounds {
        let mut p = Proc::spawn_with("crash-writer", &spec, &[("RBDSHIM_TEST_START", next.to_string())]);
        // Let it get going, then kill it at a random moment.
        let first = p.line().expect("the writer flushed once");
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..30_000)));
        p.kill9();
        let mut last = first.strip_prefix("flushed ").map(|i| i.parse::<u64>().unwrap());
        while let Some(l) = p.line() {
            if let Some(i) = l.strip_prefix("flushed ") {
                last = Some(i.parse::<u64>().unwrap());
            }
        }
        if let Some(f) = last {
            for i in next..=f {
                flushed[(i % SLOTS) as usize] = Some(i);
            }
            next = f + 1;
        }
        let report = rbdshim_core::fsck::fsck(&e.cluster, false).unwrap();
        assert!(report.is_clean(), "round {round}: {:?}", report.errors);
        rbdshim_core::fsck::fsck(&e.cluster, true).unwrap();
        let img = Image::open(&e.io, "img", None, true).unwrap();
        for slot in 0..SLOTS {
            let got = img.read_vec(slot * 4096 + 7, 512).unwrap();
            let idx = u64::from_le_bytes(got[..8].try_into().unwrap());
            match flushed[slot as usize] {
                None => assert!(got.iter().all(|b| *b == 0) || got == record(idx), "round {round} slot {slot}"),
                Some(want) => {
                    assert!(idx >= want && idx % SLOTS == slot, "round {round} slot {slot}: {idx} < flushed {want}");
                    assert_eq!(got, record(idx), "round {round} slot {slot}: torn record");
                }
            }
        }
        // every surviving snapshot is readable and holds whole records
        for s in img.snap_list().unwrap() {
            let at = Image::open(&e.io, "img", Some(&s.name), true).unwrap();
            for slot in 0..SLOTS {
                let got = at.read_vec(slot * 4096 + 7, 512).unwrap();
                let idx = u64::from_le_bytes(got[..8].try_into().unwrap());
                assert!(got.iter().all(|b| *b == 0) || got == record(idx), "round {round} {} slot {slot}", s.name);
            }
        }
        // the next writer starts past anything this one may have written unflushed
        for slot in 0..SLOTS {
            let got = img.read_vec(slot * 4096 + 7, 8).unwrap();
            let idx = u64::from_le_bytes(got[..8].try_into().unwrap());
            next = next.max(idx + 1);
        }
        total_flushed = next;
    }
    eprintln!("crash test: {rounds} kills, {total_flushed} records written and checked");
    // Snapshots cost metadata round trips: many fewer records fit before the kill with etcd.
    let per_round = if session_end_limit() > Duration::from_secs(1) { 3 } else { 10 };
    assert!(total_flushed > rounds as u64 * per_round, "the writers made progress");
}
