//! Randomized model test of the data path: seeded, reproducible random operations on several
//! images at once, every read compared with a plain in-memory model.
//!
//! CI runs a short version. Longer: `RBDSHIM_MODEL_OPS=200000 cargo test --release -p
//! rbdshim-core --test model`. Reproduce a failure with the printed `RBDSHIM_MODEL_SEED`.

mod common;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rbdshim_core::{clone::clone, manage, CreateOptions, Image};
use std::collections::BTreeMap;

struct Snap {
    data: Vec<u8>,
    protected: bool,
    children: usize,
}

struct ModelImage {
    name: String,
    data: Vec<u8>,
    snaps: BTreeMap<String, Snap>,
    parent: Option<(usize, String)>,
    handle: Image,
}

const MAX_SIZE: usize = 192 * 1024;

/// Compares without dumping megabytes: reports the first differing byte.
fn same(got: &[u8], want: &[u8], ctx: &str) {
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!(
            "{ctx}: lengths {} vs {}, first difference at byte {at}: got {:?} want {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
    }
}

fn check_read(img: &ModelImage, rng: &mut StdRng, ctx: &str) {
    if img.data.is_empty() {
        return;
    }
    let off = rng.gen_range(0..img.data.len());
    let len = rng.gen_range(1..=(img.data.len() - off).min(40000));
    let got = img.handle.read_vec(off as u64, len).unwrap();
    same(&got, &img.data[off..off + len], &format!("{ctx}: read {off}+{len} of {}", img.name));
}

fn run(store: Store, seed: u64, ops: usize) {
    eprintln!("model test on {store:?}: RBDSHIM_MODEL_SEED={seed} RBDSHIM_MODEL_OPS={ops}");
    let e = env_on(store);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut imgs: Vec<ModelImage> = Vec::new();
    let mut next = 0;
    let mut snapn = 0;
    for _ in 0..3 {
        let size = rng.gen_range(1..MAX_SIZE);
        let name = format!("img{next}");
        next += 1;
        let order = rng.gen_range(12..=14);
        let handle = e.create_order(&name, size as u64, order);
        imgs.push(ModelImage { name, data: vec![0; size], snaps: BTreeMap::new(), parent: None, handle });
    }
    for step in 0..ops {
        let i = rng.gen_range(0..imgs.len());
        let ctx = format!("seed {seed} step {step}");
        let size = imgs[i].data.len();
        let op = rng.gen_range(0..100);
        if std::env::var("RBDSHIM_MODEL_TRACE").is_ok() {
            eprintln!(
                "step {step}: op {op} on {} (size {size}, order {})",
                imgs[i].name,
                imgs[i].handle.stat().unwrap().order
            );
        }
        match op {
            0..=29 => {
                if size == 0 {
                    continue;
                }
                let off = rng.gen_range(0..size);
                let len = rng.gen_range(1..=(size - off).min(20000));
                let byte: u8 = rng.gen();
                let buf: Vec<u8> = (0..len).map(|k| byte.wrapping_add(k as u8)).collect();
                assert_eq!(imgs[i].handle.write(off as u64, &buf).unwrap(), len, "{ctx}");
                imgs[i].data[off..off + len].copy_from_slice(&buf);
            }
            30..=49 => check_read(&imgs[i], &mut rng, &ctx),
            50..=56 => {
                if size == 0 {
                    continue;
                }
                let off = rng.gen_range(0..size);
                let len = rng.gen_range(1..=(size - off).min(40000));
                if rng.gen_bool(0.5) {
                    imgs[i].handle.discard(off as u64, len as u64).unwrap();
                } else {
                    imgs[i].handle.write_zeroes(off as u64, len as u64, rng.gen_bool(0.2)).unwrap();
                }
                imgs[i].data[off..off + len].fill(0);
            }
            57..=61 => {
                let new = rng.gen_range(0..MAX_SIZE);
                imgs[i].handle.resize(new as u64).unwrap();
                imgs[i].data.resize(new, 0);
            }
            62..=67 => {
                snapn += 1;
                let s = format!("s{snapn}");
                imgs[i].handle.snap_create(&s).unwrap();
                let data = imgs[i].data.clone();
                imgs[i].snaps.insert(s, Snap { data, protected: false, children: 0 });
            }
            68..=71 => {
                let Some(s) = pick(&imgs[i].snaps, &mut rng) else { continue };
                imgs[i].handle.snap_rollback(&s).unwrap();
                imgs[i].data = imgs[i].snaps[&s].data.clone();
            }
            72..=75 => {
                let Some(s) = pick(&imgs[i].snaps, &mut rng) else { continue };
                let snap = &imgs[i].snaps[&s];
                if snap.children > 0 {
                    assert_eq!(errno(imgs[i].handle.snap_remove(&s)), libc::EBUSY, "{ctx}");
                    continue;
                }
                if snap.protected {
                    imgs[i].handle.snap_unprotect(&s).unwrap();
                }
                imgs[i].handle.snap_remove(&s).unwrap();
                imgs[i].snaps.remove(&s);
            }
            76..=80 => {
                let Some(s) = pick(&imgs[i].snaps, &mut rng) else { continue };
                let at = Image::open(&e.io, &imgs[i].name, Some(&s), true).unwrap();
                let want = &imgs[i].snaps[&s].data;
                same(&at.read_vec(0, want.len()).unwrap(), want, &format!("{ctx}: snapshot {s} of {}", imgs[i].name));
            }
            81..=84 => {
                if imgs.len() >= 10 {
                    continue;
                }
                let Some(s) = pick(&imgs[i].snaps, &mut rng) else { continue };
                if !imgs[i].snaps[&s].protected {
                    imgs[i].handle.snap_protect(&s).unwrap();
                    imgs[i].snaps.get_mut(&s).unwrap().protected = true;
                }
                let name = format!("img{next}");
                next += 1;
                clone(&e.io, &imgs[i].name, &s, &e.io, &name, &CreateOptions::default()).unwrap();
                imgs[i].snaps.get_mut(&s).unwrap().children += 1;
                let data = imgs[i].snaps[&s].data.clone();
                let handle = Image::open(&e.io, &name, None, false).unwrap();
                imgs.push(ModelImage { name, data, snaps: BTreeMap::new(), parent: Some((i, s)), handle });
            }
            85..=87 => {
                if let Some((p, s)) = imgs[i].parent.clone() {
                    imgs[i].handle.flatten().unwrap();
                    imgs[i].parent = None;
                    imgs[p].snaps.get_mut(&s).unwrap().children -= 1;
                }
            }
            88..=92 => {
                imgs[i].handle.close().unwrap();
                imgs[i].handle = Image::open(&e.io, &imgs[i].name, None, false).unwrap();
            }
            _ => check_diff(&imgs[i], &mut rng, &ctx),
        }
    }
    for img in &imgs {
        same(
            &img.handle.read_vec(0, img.data.len()).unwrap(),
            &img.data,
            &format!("seed {seed}: final state of {}", img.name),
        );
        for (s, snap) in &img.snaps {
            let at = Image::open(&e.io, &img.name, Some(s), true).unwrap();
            same(
                &at.read_vec(0, snap.data.len()).unwrap(),
                &snap.data,
                &format!("seed {seed}: final {s} of {}", img.name),
            );
        }
    }
    drop(imgs);
    let report = rbdshim_core::fsck::fsck(&e.cluster, false).unwrap();
    assert!(report.is_clean(), "{:?}", report.errors);
    let _ = manage::list(&e.io).unwrap();
}

/// Bytes outside the reported extents must be equal between the snapshot and the head, and
/// extents reported as not existing must read as zeros.
fn check_diff(img: &ModelImage, rng: &mut StdRng, ctx: &str) {
    let Some(s) = pick(&img.snaps, rng) else { return };
    let old = &img.snaps[&s].data;
    let size = img.data.len();
    let mut covered = vec![false; size];
    img.handle
        .diff_iterate(Some(&s), 0, size as u64, false, rng.gen_bool(0.5), |off, len, exists| {
            for b in off as usize..(off + len) as usize {
                covered[b] = true;
                if !exists {
                    assert_eq!(img.data[b], 0, "{ctx}: extent at {off} reported as zero");
                }
            }
            0
        })
        .unwrap();
    for b in 0..size {
        if !covered[b] {
            let was = old.get(b).copied().unwrap_or(0);
            assert_eq!(img.data[b], was, "{ctx}: byte {b} changed since {s} but not reported");
        }
    }
}

fn pick(snaps: &BTreeMap<String, Snap>, rng: &mut StdRng) -> Option<String> {
    if snaps.is_empty() {
        return None;
    }
    snaps.keys().nth(rng.gen_range(0..snaps.len())).cloned()
}

fn run_seeds(store: Store) {
    let ops: usize = std::env::var("RBDSHIM_MODEL_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    match std::env::var("RBDSHIM_MODEL_SEED").ok().and_then(|v| v.parse().ok()) {
        Some(seed) => run(store, seed, ops),
        None => {
            for seed in [1u64, 2, 3, 0xdecade] {
                run(store, seed, ops / 4);
            }
        }
    }
}

#[test]
fn random_operations_match_the_model() {
    run_seeds(Store::File);
}

/// The same on a store with CurveBS's rules (aligned IO, minimum size, no shrink), which the
/// core must hide completely.
#[test]
fn random_operations_match_the_model_on_a_strict_store() {
    run_seeds(Store::Strict);
}
