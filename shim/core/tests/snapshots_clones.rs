//! Snapshots, clones, flatten and diff, with Ceph's error codes.

mod common;
use common::*;
use rbdshim_core::{clone::clone, manage, CreateOptions, Image};

#[test]
fn snapshot_life_cycle() {
    let e = env();
    let img = e.create_order("s", 1 << 20, 12);
    img.write(0, &pattern(1, 8192)).unwrap();
    let id1 = img.snap_create("one").unwrap();
    assert_eq!(errno(img.snap_create("one")), libc::EEXIST);
    img.write(100, b"changed").unwrap();
    let id2 = img.snap_create("two").unwrap();
    assert!(id2 > id1);
    img.write(0, &vec![0xEE; 8192]).unwrap();
    let snaps = img.snap_list().unwrap();
    assert_eq!(snaps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["one", "two"]);
    assert_eq!(snaps[0].size, 1 << 20);
    // views
    let at1 = Image::open(&e.io, "s", Some("one"), false).unwrap();
    assert!(at1.is_read_only());
    assert_eq!(at1.read_vec(0, 8192).unwrap(), pattern(1, 8192));
    assert_eq!(errno(at1.write(0, b"x")), libc::EROFS);
    img.snap_set(Some("two")).unwrap();
    assert_eq!(img.read_vec(100, 7).unwrap(), b"changed");
    img.snap_set(None).unwrap();
    assert_eq!(img.read_vec(0, 4).unwrap(), vec![0xEE; 4]);
    // removal of the image is refused while snapshots exist
    img.close().unwrap();
    drop(at1);
    assert_eq!(errno(manage::remove(&e.io, "s")), libc::ENOTEMPTY);
    let img = Image::open(&e.io, "s", None, false).unwrap();
    // protect / unprotect / remove
    img.snap_protect("one").unwrap();
    assert_eq!(errno(img.snap_protect("one")), libc::EBUSY);
    assert_eq!(errno(img.snap_remove("one")), libc::EBUSY);
    img.snap_unprotect("one").unwrap();
    assert_eq!(errno(img.snap_unprotect("one")), libc::EINVAL);
    img.snap_rename("two", "deux").unwrap();
    assert_eq!(errno(img.snap_rename("missing", "x")), libc::ENOENT);
    img.snap_rollback("one").unwrap();
    assert_eq!(img.read_vec(0, 8192).unwrap(), pattern(1, 8192));
    img.snap_remove("one").unwrap();
    img.snap_remove("deux").unwrap();
    assert_eq!(errno(img.snap_remove("deux")), libc::ENOENT);
    img.close().unwrap();
    manage::remove(&e.io, "s").unwrap();
}

#[test]
fn rollback_restores_size() {
    let e = env();
    let img = e.create_order("r", 8192, 12);
    img.write(0, &[1u8; 8192]).unwrap();
    img.snap_create("s").unwrap();
    img.resize(3 * 4096).unwrap();
    img.write(8192, &[2u8; 4096]).unwrap();
    img.snap_rollback("s").unwrap();
    assert_eq!(img.size().unwrap(), 8192);
    img.resize(3 * 4096).unwrap();
    assert_eq!(img.read_vec(8192, 4).unwrap(), vec![0u8; 4]);
}

#[test]
fn snapshot_limit() {
    let e = env();
    let img = e.create("l", 4096);
    img.snap_set_limit(1).unwrap();
    img.snap_create("a").unwrap();
    assert_eq!(errno(img.snap_create("b")), libc::EDQUOT);
    assert_eq!(img.snap_get_limit().unwrap(), 1);
}

#[test]
fn clone_reads_through_and_copies_up() {
    let e = env();
    let parent = e.create_order("base", 4 * 4096, 12);
    let data = pattern(7, 4 * 4096);
    parent.write(0, &data).unwrap();
    parent.snap_create("snap").unwrap();
    let o = CreateOptions::default();
    assert_eq!(errno(clone(&e.io, "base", "snap", &e.io, "child", &o)), libc::EINVAL, "unprotected");
    parent.snap_protect("snap").unwrap();
    clone(&e.io, "base", "snap", &e.io, "child", &o).unwrap();
    assert_eq!(errno(clone(&e.io, "base", "snap", &e.io, "child", &o)), libc::EEXIST);
    let child = Image::open(&e.io, "child", None, false).unwrap();
    assert_eq!(child.read_vec(0, data.len()).unwrap(), data);
    let p = child.parent_info().unwrap();
    assert_eq!((p.image_name.as_str(), p.snap_name.as_str(), p.overlap), ("base", "snap", 4 * 4096));
    assert_eq!(child.stat().unwrap().parent_name, "base");
    // parent changes after the snapshot never show in the child
    parent.write(0, &[0u8; 4096]).unwrap();
    assert_eq!(child.read_vec(0, 16).unwrap(), data[..16].to_vec());
    // a small write copies the rest of the object up
    child.write(10, b"xyz").unwrap();
    let mut want = data.clone();
    want[10..13].copy_from_slice(b"xyz");
    assert_eq!(child.read_vec(0, data.len()).unwrap(), want);
    // discard inside the overlap hides the parent for good
    child.discard(4096, 4096).unwrap();
    child.discard(2 * 4096 + 100, 100).unwrap();
    want[4096..8192].fill(0);
    want[2 * 4096 + 100..2 * 4096 + 200].fill(0);
    assert_eq!(child.read_vec(0, data.len()).unwrap(), want);
    // children, busy parent
    assert_eq!(parent.children_of(parent.snap_id("snap").unwrap()).unwrap()[0].image_name, "child");
    assert_eq!(errno(parent.snap_unprotect("snap")), libc::EBUSY);
    assert_eq!(errno(parent.snap_remove("snap")), libc::EBUSY);
    assert_eq!(errno(Image::open(&e.io, "base", None, true).unwrap().parent_info()), libc::ENOENT);
    // growing the clone shows zeros beyond the overlap; shrinking cuts the overlap
    child.resize(8 * 4096).unwrap();
    assert_eq!(child.read_vec(5 * 4096, 4).unwrap(), vec![0u8; 4]);
    child.resize(4096 + 10).unwrap();
    assert_eq!(child.overlap().unwrap(), 4096 + 10);
    child.resize(4 * 4096).unwrap();
    assert_eq!(child.read_vec(3 * 4096, 4).unwrap(), vec![0u8; 4]);
    // flatten detaches
    child.flatten().unwrap();
    assert_eq!(errno(child.parent_info()), libc::ENOENT);
    assert_eq!(child.read_vec(0, 13).unwrap(), want[..13].to_vec());
    assert!(parent.children_of(parent.snap_id("snap").unwrap()).unwrap().is_empty());
    parent.snap_unprotect("snap").unwrap();
    assert_eq!(errno(child.flatten()), libc::EINVAL);
}

#[test]
fn clone_chain_and_cross_pool() {
    let e = env();
    e.cluster.pool_create("vms").unwrap();
    let vms = e.cluster.ioctx("vms").unwrap();
    let mut prev = "l0".to_string();
    let img = e.create_order(&prev, 64 * 1024, 12);
    img.write(0, &pattern(1, 64 * 1024)).unwrap();
    drop(img);
    for depth in 1..=8 {
        let p = Image::open(&e.io, &prev, None, false).unwrap();
        p.snap_create("s").unwrap();
        p.snap_protect("s").unwrap();
        let name = format!("l{depth}");
        clone(&e.io, &prev, "s", &e.io, &name, &CreateOptions::default()).unwrap();
        let c = Image::open(&e.io, &name, None, false).unwrap();
        c.write(depth * 4096, &[depth as u8; 10]).unwrap();
        prev = name;
    }
    let leaf = Image::open(&e.io, "l8", None, true).unwrap();
    let mut want = pattern(1, 64 * 1024);
    for depth in 1..=8usize {
        want[depth * 4096..depth * 4096 + 10].fill(depth as u8);
    }
    assert_eq!(leaf.read_vec(0, want.len()).unwrap(), want);
    // Nova's pattern: parent in one pool, clone in another.
    clone(&e.io, "l8", "s", &vms, "disk", &CreateOptions::default()).unwrap_err();
    let l8 = Image::open(&e.io, "l8", None, false).unwrap();
    l8.snap_create("s").unwrap();
    l8.snap_protect("s").unwrap();
    clone(&e.io, "l8", "s", &vms, "disk", &CreateOptions::default()).unwrap();
    let d = Image::open(&vms, "disk", None, false).unwrap();
    assert_eq!(d.read_vec(0, want.len()).unwrap(), want);
    let p = d.parent_info().unwrap();
    assert_eq!(p.pool_name, "rbd");
    let kids = l8.list_children().unwrap();
    assert_eq!(kids[0].pool_name, "vms");
}

#[test]
fn diff_iterate_reports_changes_in_order() {
    let e = env();
    let img = e.create_order("d", 64 * 4096, 12);
    let collect = |img: &Image, from: Option<&str>, whole: bool| {
        let mut v = Vec::new();
        img.diff_iterate(from, 0, 64 * 4096, true, whole, |o, l, x| {
            v.push((o, l, x));
            0
        })
        .unwrap();
        v
    };
    assert!(collect(&img, None, false).is_empty(), "a new image has no data");
    img.write(4096 + 10, b"abc").unwrap();
    img.write(10 * 4096, &[1u8; 8192]).unwrap();
    let all = collect(&img, None, false);
    assert!(all.iter().all(|e| e.2));
    assert!(all.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0), "ordered, disjoint: {all:?}");
    let covered: u64 = all.iter().map(|e| e.1).sum();
    assert!((8195..=3 * 4096).contains(&covered), "{all:?}");
    assert_eq!(collect(&img, None, true), vec![(4096, 4096, true), (10 * 4096, 8192, true)]);
    img.snap_create("s1").unwrap();
    img.write(30 * 4096, b"new").unwrap();
    img.discard(10 * 4096, 4096).unwrap();
    let since = collect(&img, Some("s1"), true);
    assert_eq!(since, vec![(10 * 4096, 4096, false), (30 * 4096, 4096, true)]);
    // a callback's non-zero return stops the walk and is returned
    let r = img.diff_iterate(None, 0, 64 * 4096, false, true, |_, _, _| -42).unwrap();
    assert_eq!(r, -42);
    assert_eq!(img.du(None).unwrap(), 3 * 4096);
    // clones: include_parent decides whether the parent's data shows
    img.snap_protect("s1").unwrap();
    clone(&e.io, "d", "s1", &e.io, "c", &CreateOptions::default()).unwrap();
    let c = Image::open(&e.io, "c", None, false).unwrap();
    let mut with = Vec::new();
    c.diff_iterate(None, 0, 64 * 4096, true, true, |o, l, x| {
        with.push((o, l, x));
        0
    })
    .unwrap();
    assert_eq!(with, vec![(4096, 4096, true), (10 * 4096, 8192, true)]);
    let mut without = 0;
    c.diff_iterate(None, 0, 64 * 4096, false, true, |_, _, _| {
        without += 1;
        0
    })
    .unwrap();
    assert_eq!(without, 0);
}

#[test]
fn snapshot_is_exact_for_concurrent_writers_in_process() {
    let e = env();
    let img = std::sync::Arc::new(e.create_order("pt", 1 << 20, 12));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writer = {
        let img = img.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut n = 1u64;
            while stop.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                img.write(0, &n.to_le_bytes()).unwrap();
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(20));
    let other = Image::open(&e.io, "pt", None, false).unwrap();
    other.snap_create("now").unwrap();
    let at_snap = u64::from_le_bytes(other.read_vec(0, 8).unwrap().try_into().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(1, std::sync::atomic::Ordering::SeqCst);
    let last = writer.join().unwrap();
    let snap = Image::open(&e.io, "pt", Some("now"), true).unwrap();
    let frozen = u64::from_le_bytes(snap.read_vec(0, 8).unwrap().try_into().unwrap());
    assert!(frozen <= at_snap && frozen < last, "frozen {frozen}, head at snap {at_snap}, last {last}");
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(u64::from_le_bytes(snap.read_vec(0, 8).unwrap().try_into().unwrap()), frozen);
}

#[test]
fn copy_and_deep_copy() {
    let e = env();
    let img = e.create_order("src", 64 * 4096, 12);
    img.write(100, b"one").unwrap();
    img.metadata_set("k", "v").unwrap();
    img.snap_create("s1").unwrap();
    img.write(100, b"two").unwrap();
    img.write(40 * 4096, b"far").unwrap();
    img.snap_create("s2").unwrap();
    img.discard(40 * 4096, 4096).unwrap();
    img.write(5, b"head").unwrap();
    img.copy_to(&e.io, "flat", &CreateOptions::default()).unwrap();
    let flat = Image::open(&e.io, "flat", None, true).unwrap();
    assert_eq!(flat.read_vec(0, 64 * 4096).unwrap(), img.read_vec(0, 64 * 4096).unwrap());
    assert!(flat.snap_list().unwrap().is_empty());
    assert_eq!(flat.metadata_get("k").unwrap(), "v");
    assert_eq!(flat.du(None).unwrap(), 4096, "holes stay holes");
    img.deep_copy_to(&e.io, "deep", &CreateOptions::default()).unwrap();
    for s in ["s1", "s2"] {
        let a = Image::open(&e.io, "src", Some(s), true).unwrap();
        let b = Image::open(&e.io, "deep", Some(s), true).unwrap();
        assert_eq!(a.read_vec(0, 64 * 4096).unwrap(), b.read_vec(0, 64 * 4096).unwrap(), "snapshot {s}");
    }
    let deep = Image::open(&e.io, "deep", None, true).unwrap();
    assert_eq!(deep.read_vec(0, 64 * 4096).unwrap(), img.read_vec(0, 64 * 4096).unwrap());
    assert_eq!(errno(img.copy_to(&e.io, "flat", &CreateOptions::default())), libc::EEXIST);
    let small = e.create_order("small", 4096, 12);
    assert_eq!(errno(img.copy_into(&small)), libc::EINVAL);
}

/// Reads through a chain remember which objects a parent's snapshot lacks; a deep flatten of
/// the middle image fills its snapshot and drops the link, and the reads after it (with the
/// base's snapshot gone and its head rewritten) still see the chain's data.
#[test]
fn chain_reads_stay_right_across_a_deep_flatten_of_the_middle() {
    let e = env();
    let base = e.create_order("cb", 4 * 4096, 12);
    let data = pattern(7, 4 * 4096);
    base.write(0, &data).unwrap();
    base.snap_create("s").unwrap();
    base.snap_protect("s").unwrap();
    let opts = CreateOptions { order: Some(12), ..Default::default() };
    clone(&e.io, "cb", "s", &e.io, "cm", &opts).unwrap();
    let mid = Image::open(&e.io, "cm", None, false).unwrap();
    mid.write(4096, &[0x11; 100]).unwrap(); // object 1 is the middle's own
    mid.snap_create("t").unwrap();
    mid.snap_protect("t").unwrap();
    clone(&e.io, "cm", "t", &e.io, "ct", &opts).unwrap();
    let top = Image::open(&e.io, "ct", None, true).unwrap();
    let mut want = data.clone();
    want[4096..4196].fill(0x11);
    for _ in 0..2 {
        // twice: the second pass answers from what the first learned
        for k in 0..4 {
            assert_eq!(top.read_vec(k * 4096, 4096).unwrap(), want[k as usize * 4096..(k as usize + 1) * 4096]);
        }
    }
    mid.flatten().unwrap();
    base.snap_unprotect("s").unwrap();
    base.snap_remove("s").unwrap();
    base.write(0, &vec![0xEE; 4 * 4096]).unwrap();
    assert_eq!(top.read_vec(0, 4 * 4096).unwrap(), want);
    let mid_at_t = Image::open(&e.io, "cm", Some("t"), true).unwrap();
    assert_eq!(mid_at_t.read_vec(0, 4 * 4096).unwrap(), want);
}
