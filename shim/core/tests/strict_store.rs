//! A store with CurveBS's rules (4 KiB-aligned IO, 10 GiB minimum in 1 GiB steps, no shrink):
//! none of them may show through the core.

mod common;
use common::*;
use rbdshim_core::{clone::clone, Completion, CreateOptions, Image};
use std::sync::Arc;

#[test]
fn sizes_are_the_ones_users_asked_for() {
    let e = env_on(Store::Strict);
    let img = e.create("vol", 1 << 30);
    assert_eq!(img.size().unwrap(), 1 << 30);
    assert_eq!(img.stat().unwrap().size, 1 << 30);
    assert_eq!(errno(img.read_vec(1 << 30, 1)), libc::EINVAL, "the rounded-up length never leaks");
    img.resize((12 << 30) + 5).unwrap();
    assert_eq!(img.size().unwrap(), (12 << 30) + 5);
    img.write((12 << 30) + 1, b"tail").unwrap();
    assert_eq!(img.read_vec((12 << 30) + 1, 10).unwrap(), b"tail");
}

#[test]
fn byte_granular_io_and_emulated_shrink() {
    let e = env_on(Store::Strict);
    let img = e.create_order("v", 1 << 20, 12);
    img.write(1, b"abc").unwrap();
    img.write(4095, b"xy").unwrap();
    assert_eq!(img.read_vec(0, 5).unwrap(), b"\0abc\0");
    assert_eq!(img.read_vec(4094, 4).unwrap(), b"\0xy\0");
    img.write(0, &vec![7u8; 1 << 20]).unwrap();
    img.discard(10, 5000).unwrap();
    assert_eq!(img.read_vec(8, 4).unwrap(), [7, 7, 0, 0]);
    assert_eq!(img.read_vec(5008, 4).unwrap(), [0, 0, 7, 7]);
    img.write(0, &[9u8; 200]).unwrap();
    img.resize(100).unwrap();
    img.resize(1 << 20).unwrap();
    assert_eq!(img.read_vec(98, 4).unwrap(), [9, 9, 0, 0]);
    assert_eq!(img.read_vec(1 << 19, 8).unwrap(), vec![0u8; 8]);
}

#[test]
fn concurrent_sub_block_writes_lose_nothing() {
    let e = env_on(Store::Strict);
    let img = Arc::new(e.create_order("c", 1 << 20, 12));
    let comps: Vec<_> = (0..512u64)
        .map(|i| {
            let c = Completion::new(None);
            img.aio_write(i * 8 + 3, vec![(i % 251) as u8 + 1; 8], c.clone()).unwrap();
            c
        })
        .collect();
    for c in comps {
        assert_eq!(c.wait(), 0);
    }
    let got = img.read_vec(3, 512 * 8).unwrap();
    for i in 0..512usize {
        assert_eq!(got[i * 8..i * 8 + 8], [(i % 251) as u8 + 1; 8], "write {i} lost");
    }
}

#[test]
fn snapshots_and_clones_on_the_strict_store() {
    let e = env_on(Store::Strict);
    let img = e.create_order("p", 64 << 10, 12);
    img.write(5, b"parent").unwrap();
    img.snap_create("s").unwrap();
    img.snap_protect("s").unwrap();
    img.write(5, b"PARENT").unwrap();
    clone(&e.io, "p", "s", &e.io, "c", &CreateOptions::default()).unwrap();
    let c = Image::open(&e.io, "c", None, false).unwrap();
    assert_eq!(c.size().unwrap(), 64 << 10);
    assert_eq!(c.read_vec(5, 6).unwrap(), b"parent");
    c.write(7, b"X").unwrap();
    assert_eq!(c.read_vec(5, 6).unwrap(), b"paXent");
    c.flatten().unwrap();
    assert_eq!(c.read_vec(5, 6).unwrap(), b"paXent");
    img.snap_rollback("s").unwrap();
    assert_eq!(img.read_vec(5, 6).unwrap(), b"parent");
}
