//! Export, import and diff streams against real images on the file store: round trips, diff
//! chains, merges, refusals that leave the image untouched, and streams built by hand from the
//! documented format as Ceph would write them.

mod common;
use common::*;
use rbdshim_core::stream::{
    export_diff, export_image, import_diff, import_image, merge_diff, Format, ImportOptions, DEFAULT_SPARSE_SIZE,
};
use rbdshim_core::{clone::clone, manage, CreateOptions, Image, IoCtx};

fn no_progress() -> impl FnMut(u64, u64) {
    |_, _| {}
}

fn contents(img: &Image) -> Vec<u8> {
    let size = img.size().unwrap();
    img.read_vec(0, size as usize).unwrap()
}

fn at(io: &IoCtx, name: &str, snap: Option<&str>) -> Image {
    Image::open(io, name, snap, true).unwrap()
}

fn snap_names(img: &Image) -> Vec<String> {
    img.snap_list().unwrap().into_iter().map(|s| s.name).collect()
}

fn diff_of(img: &Image, from: Option<&str>, whole_object: bool, version: Format) -> Vec<u8> {
    let mut out = Vec::new();
    export_diff(img, from, whole_object, version, &mut out, &mut no_progress()).unwrap();
    out
}

fn apply(img: &Image, stream: &[u8]) {
    import_diff(img, stream, DEFAULT_SPARSE_SIZE, &mut no_progress()).unwrap();
}

#[test]
fn raw_export_import_round_trip_keeps_holes() {
    let e = env();
    let size = 5 * 65536 + 1234;
    let src = e.create_order("src", size, 16);
    src.write(0, &pattern(1, 10000)).unwrap();
    src.write(200_000, &pattern(2, 70000)).unwrap();
    src.write(size - 10, &pattern(3, 10)).unwrap();
    let mut out = Vec::new();
    let mut calls = 0;
    export_image(&src, Format::V1, &mut out, &mut |_, _| calls += 1).unwrap();
    assert!(calls > 0);
    assert_eq!(out, contents(&src));

    let opts = ImportOptions { create: CreateOptions { order: Some(16), ..Default::default() }, ..Default::default() };
    import_image(&e.io, "piped", &out[..], &opts, &mut no_progress()).unwrap();
    let hinted = ImportOptions { size_hint: Some(out.len() as u64), ..opts.clone() };
    import_image(&e.io, "file", &out[..], &hinted, &mut no_progress()).unwrap();
    for name in ["piped", "file"] {
        let dst = at(&e.io, name, None);
        assert_eq!(dst.size().unwrap(), size, "{name}");
        assert_eq!(contents(&dst), contents(&src), "{name}");
        // Objects that held only zeros were not written.
        assert_eq!(dst.du(None).unwrap(), src.du(None).unwrap(), "{name}");
    }
    assert_eq!(errno(import_image(&e.io, "file", &out[..], &hinted, &mut no_progress())), libc::EEXIST);
}

#[test]
fn raw_import_of_an_empty_stream() {
    let e = env();
    import_image(&e.io, "empty", &[][..], &ImportOptions::default(), &mut no_progress()).unwrap();
    assert_eq!(at(&e.io, "empty", None).size().unwrap(), 0);
}

/// An image with metadata and a history: s1 (protected), s2 after a discard and a grow, then
/// a shrunk head.
fn image_with_history(e: &Env) -> Image {
    let img = e.create_order("hist", 1 << 20, 16);
    img.metadata_set("conf_rbd_cache", "false").unwrap();
    img.metadata_set("k", "v").unwrap();
    img.write(0, &pattern(1, 300_000)).unwrap();
    img.write(700_000, &pattern(2, 5000)).unwrap();
    img.snap_create("s1").unwrap();
    img.snap_protect("s1").unwrap();
    img.write(100_000, &pattern(3, 150_000)).unwrap();
    img.discard(65536, 65536).unwrap();
    img.write_zeroes(290_000, 1000, false).unwrap();
    img.resize(1_500_000).unwrap();
    img.write(1_400_000, &pattern(4, 99_999)).unwrap();
    img.snap_create("s2").unwrap();
    img.resize(800_001).unwrap();
    img.write(0, b"head").unwrap();
    img
}

#[test]
fn format2_export_import_restores_snapshots_metadata_and_head() {
    let e = env();
    let src = image_with_history(&e);
    let mut out = Vec::new();
    let mut last = (0, 0);
    export_image(&src, Format::V2, &mut out, &mut |d, t| last = (d, t)).unwrap();
    assert_eq!(last, (3, 3));
    assert!(out.starts_with(b"rbd image v2\n"));
    // As Ceph: every snapshot and the head, whatever the handle reads.
    let mut from_snap = Vec::new();
    export_image(&at(&e.io, "hist", Some("s1")), Format::V2, &mut from_snap, &mut no_progress()).unwrap();
    assert_eq!(from_snap, out);

    let opts = ImportOptions { format: Format::V2, ..Default::default() };
    import_image(&e.io, "copy", &out[..], &opts, &mut no_progress()).unwrap();
    let dst = at(&e.io, "copy", None);
    assert_eq!(snap_names(&dst), vec!["s1", "s2"]);
    assert!(dst.snap_is_protected("s1").unwrap());
    assert!(!dst.snap_is_protected("s2").unwrap());
    assert_eq!(dst.metadata_list("", 0).unwrap(), src.metadata_list("", 0).unwrap());
    assert_eq!(dst.header().unwrap().order, 16);
    assert_eq!(dst.features().unwrap(), src.features().unwrap());
    for snap in [Some("s1"), Some("s2"), None] {
        let (a, b) = (at(&e.io, "hist", snap), at(&e.io, "copy", snap));
        assert_eq!(b.size().unwrap(), a.size().unwrap(), "{snap:?}");
        assert_eq!(contents(&b), contents(&a), "{snap:?}");
    }
}

#[test]
fn failed_import_leaves_no_image() {
    let e = env();
    let src = image_with_history(&e);
    let mut out = Vec::new();
    export_image(&src, Format::V2, &mut out, &mut no_progress()).unwrap();
    let opts = ImportOptions { format: Format::V2, ..Default::default() };
    // Cut inside the last diff: the snapshots were already created, and are removed again.
    let cut = &out[..out.len() - 3];
    assert_eq!(errno(import_image(&e.io, "broken", cut, &opts, &mut no_progress())), libc::EINVAL);
    assert_eq!(manage::list(&e.io).unwrap(), vec!["hist"]);
    // A raw stream is not a format-2 one.
    assert_eq!(errno(import_image(&e.io, "broken", &b"raw bytes"[..], &opts, &mut no_progress())), libc::EINVAL);
    assert_eq!(manage::list(&e.io).unwrap(), vec!["hist"]);
}

/// Builds a history step by step; after each step takes a snapshot, except the last.
fn build_chain(e: &Env) -> (Image, Vec<&'static str>) {
    let img = e.create_order("chain", 512 * 1024, 16);
    img.write(0, &pattern(1, 200_000)).unwrap();
    img.write(400_000, &pattern(2, 3000)).unwrap();
    img.snap_create("a").unwrap();
    // overwrite, partial and whole-object discards, zeroing
    img.write(50_000, &pattern(3, 20_000)).unwrap();
    img.discard(100_000, 10_000).unwrap();
    img.discard(131_072, 65536).unwrap();
    img.write_zeroes(400_500, 1000, false).unwrap();
    img.write_zeroes(10, 20, true).unwrap();
    img.snap_create("b").unwrap();
    // grow and write past the old end
    img.resize(1 << 20).unwrap();
    img.write(900_000, &pattern(4, 100_000)).unwrap();
    img.write(300_000, &[0u8; 8192]).unwrap();
    img.snap_create("c").unwrap();
    // shrink to an unaligned size
    img.resize(333_333).unwrap();
    img.write(333_000, &pattern(5, 333)).unwrap();
    img.snap_create("d").unwrap();
    // head: shrink and grow again, so the cut range must read as zeros
    img.resize(100_000).unwrap();
    img.resize(700_000).unwrap();
    img.write(650_000, &pattern(6, 1000)).unwrap();
    (img, vec!["a", "b", "c", "d"])
}

#[test]
fn diff_chain_reproduces_every_snapshot() {
    for version in [Format::V1, Format::V2] {
        for whole_object in [false, true] {
            let e = env();
            let (src, snaps) = build_chain(&e);
            let dst = e.create_order("dst", 4096, 16);
            let mut prev: Option<&str> = None;
            for s in snaps.iter().copied().map(Some).chain([None]) {
                let view = at(&e.io, "chain", s);
                apply(&dst, &diff_of(&view, prev, whole_object, version));
                assert_eq!(dst.size().unwrap(), view.size().unwrap(), "{version:?} {whole_object} {s:?}");
                assert_eq!(contents(&dst), contents(&view), "{version:?} {whole_object} {s:?}");
                prev = s;
            }
            assert_eq!(snap_names(&dst), snaps);
            for s in &snaps {
                assert_eq!(contents(&at(&e.io, "dst", Some(s))), contents(&at(&e.io, "chain", Some(s))), "{s}");
            }
            drop(src);
        }
    }
}

#[test]
fn diff_headers_and_progress() {
    let e = env();
    let (_src, _) = build_chain(&e);
    let view = at(&e.io, "chain", Some("b"));
    let mut last = (0, 0);
    let mut out = Vec::new();
    export_diff(&view, Some("a"), false, Format::V1, &mut out, &mut |d, t| last = (d, t)).unwrap();
    assert_eq!(last, (512 * 1024, 512 * 1024));
    let mut want = b"rbd diff v1\nf".to_vec();
    want.extend(1u32.to_le_bytes());
    want.extend(b"at");
    want.extend(1u32.to_le_bytes());
    want.extend(b"bs");
    want.extend((512u64 * 1024).to_le_bytes());
    assert!(out.starts_with(&want));
    assert_eq!(out.last(), Some(&b'e'));
    // A missing from-snapshot writes nothing.
    let mut out = Vec::new();
    assert_eq!(errno(export_diff(&view, Some("nope"), false, Format::V1, &mut out, &mut no_progress())), libc::ENOENT);
    assert!(out.is_empty());
}

#[test]
fn merged_diffs_equal_applying_both() {
    let e = env();
    let (_src, _) = build_chain(&e);
    let full_a = diff_of(&at(&e.io, "chain", Some("a")), None, false, Format::V1);
    let a_b = diff_of(&at(&e.io, "chain", Some("b")), Some("a"), false, Format::V1);
    let b_c = diff_of(&at(&e.io, "chain", Some("c")), Some("b"), false, Format::V2);
    let c_d = diff_of(&at(&e.io, "chain", Some("d")), Some("c"), false, Format::V1);
    let d_head = diff_of(&at(&e.io, "chain", None), Some("d"), false, Format::V1);

    // full(a) + a..b = full(b)
    let mut full_b = Vec::new();
    merge_diff(&full_a[..], &a_b[..], &mut full_b).unwrap();
    assert!(full_b.starts_with(b"rbd diff v1\n"));
    let m = e.create_order("m", 4096, 16);
    apply(&m, &full_b);
    assert_eq!(snap_names(&m), vec!["b"]);
    assert_eq!(contents(&m), contents(&at(&e.io, "chain", Some("b"))));

    // b..c (a v2 input) + c..d, and d..head through a grow after a shrink
    let mut b_d = Vec::new();
    merge_diff(&b_c[..], &c_d[..], &mut b_d).unwrap();
    apply(&m, &b_d);
    assert_eq!(snap_names(&m), vec!["b", "d"]);
    assert_eq!(contents(&m), contents(&at(&e.io, "chain", Some("d"))));
    let mut c_head = Vec::new();
    merge_diff(&c_d[..], &d_head[..], &mut c_head).unwrap();
    let n = e.create_order("n", 4096, 16);
    apply(&n, &diff_of(&at(&e.io, "chain", Some("c")), None, false, Format::V1));
    apply(&n, &c_head);
    assert_eq!(contents(&n), contents(&at(&e.io, "chain", None)));

    // not consecutive
    assert_eq!(errno(merge_diff(&a_b[..], &c_d[..], Vec::new())), libc::EINVAL);
}

#[test]
fn refused_diffs_leave_the_image_unchanged() {
    let e = env();
    let (_src, _) = build_chain(&e);
    let b_c = diff_of(&at(&e.io, "chain", Some("c")), Some("b"), false, Format::V1);
    let dst = e.create_order("dst", 100_000, 16);
    dst.write(0, &pattern(9, 100_000)).unwrap();
    dst.snap_create("c").unwrap();
    let before = contents(&dst);
    let check = |dst: &Image| {
        assert_eq!(dst.size().unwrap(), 100_000);
        assert_eq!(contents(dst), before);
        assert_eq!(snap_names(dst), vec!["c"]);
    };
    // start snapshot missing: Ceph's import-diff says so and fails with EINVAL
    let r = import_diff(&dst, &b_c[..], DEFAULT_SPARSE_SIZE, &mut no_progress());
    assert_eq!(errno(r), libc::EINVAL);
    check(&dst);
    // end snapshot already there
    dst.snap_create("b").unwrap();
    let r = import_diff(&dst, &b_c[..], DEFAULT_SPARSE_SIZE, &mut no_progress());
    assert_eq!(errno(r), libc::EEXIST);
    dst.snap_remove("b").unwrap();
    check(&dst);
    // malformed before the first data record
    let cut = &b_c[..20];
    assert_eq!(errno(import_diff(&dst, cut, DEFAULT_SPARSE_SIZE, &mut no_progress())), libc::EINVAL);
    assert_eq!(errno(import_diff(&dst, &b"garbage"[..], DEFAULT_SPARSE_SIZE, &mut no_progress())), libc::EINVAL);
    check(&dst);
    // read-only handle
    let ro = at(&e.io, "dst", None);
    let full = diff_of(&at(&e.io, "chain", Some("a")), None, false, Format::V1);
    assert_eq!(errno(import_diff(&ro, &full[..], DEFAULT_SPARSE_SIZE, &mut no_progress())), libc::EROFS);
    check(&dst);
}

#[test]
fn diff_of_a_clone_includes_the_parent() {
    let e = env();
    let parent = e.create_order("base", 256 * 1024, 16);
    parent.write(0, &pattern(1, 256 * 1024)).unwrap();
    parent.snap_create("s").unwrap();
    parent.snap_protect("s").unwrap();
    let o = CreateOptions { order: Some(16), ..Default::default() };
    clone(&e.io, "base", "s", &e.io, "child", &o).unwrap();
    let child = Image::open(&e.io, "child", None, false).unwrap();
    child.write(70_000, &pattern(2, 1000)).unwrap();
    child.discard(200_000, 1000).unwrap();
    let dst = e.create_order("flat", 4096, 16);
    apply(&dst, &diff_of(&child, None, false, Format::V1));
    assert_eq!(contents(&dst), contents(&child));
}

fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}
fn le64(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

#[test]
fn hand_built_v1_diff_imports() {
    let e = env();
    let dst = e.create_order("dst", 4096, 12);
    dst.write(0, &[0xAA; 4096]).unwrap();
    dst.snap_create("zero").unwrap();
    // What `rbd export-diff --from-snap zero img@one` writes, byte by byte.
    let mut s = b"rbd diff v1\n".to_vec();
    s.push(b'f');
    s.extend(le32(4));
    s.extend(b"zero");
    s.push(b't');
    s.extend(le32(3));
    s.extend(b"one");
    s.push(b's');
    s.extend(le64(12288));
    s.push(b'w');
    s.extend(le64(0));
    s.extend(le64(4));
    s.extend(b"abcd");
    s.push(b'z');
    s.extend(le64(100));
    s.extend(le64(3996));
    s.push(b'w');
    s.extend(le64(8192));
    s.extend(le64(5));
    s.extend(b"tail!");
    s.push(b'e');
    apply(&dst, &s);
    assert_eq!(dst.size().unwrap(), 12288);
    let mut want = vec![0u8; 12288];
    want[..100].fill(0xAA);
    want[..4].copy_from_slice(b"abcd");
    want[8192..8197].copy_from_slice(b"tail!");
    assert_eq!(contents(&dst), want);
    assert_eq!(snap_names(&dst), vec!["zero", "one"]);
}

#[test]
fn hand_built_v2_diff_with_unknown_record_imports() {
    let e = env();
    let dst = e.create_order("dst", 4096, 12);
    let mut s = b"rbd diff v2\n".to_vec();
    s.push(b't');
    s.extend(le64(4 + 2));
    s.extend(le32(2));
    s.extend(b"s1");
    s.push(b'p');
    s.extend(le64(1));
    s.push(1);
    s.push(b'X'); // unknown to this reader: skipped by its length
    s.extend(le64(3));
    s.extend(b"???");
    s.push(b's');
    s.extend(le64(8));
    s.extend(le64(8192));
    s.push(b'w');
    s.extend(le64(16 + 3));
    s.extend(le64(5000));
    s.extend(le64(3));
    s.extend(b"xyz");
    s.push(b'e');
    apply(&dst, &s);
    assert_eq!(dst.size().unwrap(), 8192);
    assert_eq!(dst.read_vec(5000, 3).unwrap(), b"xyz");
    assert!(dst.snap_is_protected("s1").unwrap());
}

#[test]
fn hand_built_format2_export_imports() {
    let e = env();
    let mut s = b"rbd image v2\n".to_vec();
    for (tag, v) in [(b'O', 12u64), (b'T', 61), (b'U', 4096), (b'C', 1)] {
        s.push(tag);
        s.extend(le64(8));
        s.extend(le64(v));
    }
    s.push(b'M');
    s.extend(le64(8 + 3 + 2));
    s.extend(le32(3));
    s.extend(b"key");
    s.extend(le32(2));
    s.extend(b"vv");
    s.push(b'E');
    let props_len = s.len();
    s.extend(b"rbd image diffs v2\n");
    s.extend(le64(2));
    // nothing -> snap1
    s.extend(b"rbd diff v2\n");
    s.push(b't');
    s.extend(le64(4 + 5));
    s.extend(le32(5));
    s.extend(b"snap1");
    s.push(b'p');
    s.extend(le64(1));
    s.push(0);
    s.push(b's');
    s.extend(le64(8));
    s.extend(le64(8192));
    s.push(b'w');
    s.extend(le64(16 + 4));
    s.extend(le64(4096));
    s.extend(le64(4));
    s.extend(b"WXYZ");
    s.push(b'e');
    // snap1 -> head
    s.extend(b"rbd diff v2\n");
    s.push(b'f');
    s.extend(le64(4 + 5));
    s.extend(le32(5));
    s.extend(b"snap1");
    s.push(b's');
    s.extend(le64(8));
    s.extend(le64(16384));
    s.push(b'z');
    s.extend(le64(16));
    s.extend(le64(4096));
    s.extend(le64(4096));
    s.push(b'w');
    s.extend(le64(16 + 2));
    s.extend(le64(12288));
    s.extend(le64(2));
    s.extend(b"hi");
    s.push(b'e');

    let opts = ImportOptions { format: Format::V2, ..Default::default() };
    import_image(&e.io, "img", &s[..], &opts, &mut no_progress()).unwrap();
    let img = at(&e.io, "img", None);
    assert_eq!(img.header().unwrap().order, 12);
    assert_eq!(img.features().unwrap(), 61);
    assert_eq!(img.metadata_get("key").unwrap(), "vv");
    assert_eq!(snap_names(&img), vec!["snap1"]);
    assert!(!img.snap_is_protected("snap1").unwrap());
    let s1 = at(&e.io, "img", Some("snap1"));
    assert_eq!(s1.size().unwrap(), 8192);
    assert_eq!(s1.read_vec(4096, 4).unwrap(), b"WXYZ");
    let mut want = vec![0u8; 16384];
    want[12288..12290].copy_from_slice(b"hi");
    assert_eq!(contents(&img), want);
    // and our own export of it writes the same properties back
    let mut out = Vec::new();
    export_image(&img, Format::V2, &mut out, &mut no_progress()).unwrap();
    assert_eq!(out[..props_len], s[..props_len]);
}

#[test]
fn zero_blocks_inside_data_records_are_zeroed() {
    let e = env();
    for sparse in [DEFAULT_SPARSE_SIZE, 0] {
        let name = format!("dst{sparse}");
        let dst = e.create_order(&name, 3 * 4096, 12);
        dst.write(0, &[0xAA; 3 * 4096]).unwrap();
        let mut data = vec![0x11u8; 3 * 4096];
        data[4096..8192].fill(0);
        let mut s = b"rbd diff v1\ns".to_vec();
        s.extend(le64(3 * 4096));
        s.push(b'w');
        s.extend(le64(0));
        s.extend(le64(data.len() as u64));
        s.extend(&data);
        s.push(b'e');
        import_diff(&dst, &s[..], sparse, &mut no_progress()).unwrap();
        assert_eq!(contents(&dst), data, "sparse size {sparse}");
    }
}
