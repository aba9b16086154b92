//! Image life cycle and IO semantics, checked against what librbd 16.2 does.

mod common;
use common::*;
use rbdshim_core::{features, manage, CreateOptions, Image};

#[test]
fn create_list_stat_remove() {
    let e = env();
    let img = e.create("disk", 10 << 20);
    let st = img.stat().unwrap();
    assert_eq!(st.size, 10 << 20);
    assert_eq!(st.order, 22);
    assert_eq!(st.obj_size, 4 << 20);
    assert_eq!(st.num_objs, 3);
    assert_eq!(st.parent_pool, -1);
    assert!(st.block_name_prefix.starts_with("rbd_data."));
    assert_eq!(img.features().unwrap(), features::DEFAULT);
    assert_eq!(img.id().len(), 12);
    assert_eq!(manage::list(&e.io).unwrap(), vec!["disk"]);
    assert_eq!(errno(manage::create(&e.io, "disk", 1, &CreateOptions::default())), libc::EEXIST);
    assert_eq!(errno(manage::remove(&e.io, "disk")), libc::EBUSY, "open for writing here");
    img.close().unwrap();
    manage::remove(&e.io, "disk").unwrap();
    assert!(manage::list(&e.io).unwrap().is_empty());
    assert_eq!(errno(manage::remove(&e.io, "disk")), libc::ENOENT);
    assert_eq!(errno(Image::open(&e.io, "disk", None, false)), libc::ENOENT);
}

#[test]
fn bad_names_and_orders() {
    let e = env();
    let o = CreateOptions::default();
    assert_eq!(errno(manage::create(&e.io, "", 1, &o)), libc::EINVAL);
    assert_eq!(errno(manage::create(&e.io, &"n".repeat(8192), 1, &o)), libc::ENAMETOOLONG);
    for order in [64u8, 11, 26] {
        let o = CreateOptions { order: Some(order), ..Default::default() };
        assert_eq!(errno(manage::create(&e.io, "x", 1, &o)), libc::EDOM, "order {order}");
    }
    let o = CreateOptions { features: Some(features::OBJECT_MAP), ..Default::default() };
    assert_eq!(errno(manage::create(&e.io, "x", 1, &o)), libc::EINVAL);
    let o = CreateOptions { features: Some(1 << 40), ..Default::default() };
    assert_eq!(errno(manage::create(&e.io, "x", 1, &o)), libc::ENOSYS);
    // Sizes an object map cannot track (more than 256 million objects): -EINVAL, as in Ceph.
    assert_eq!(errno(manage::create(&e.io, "huge", u64::MAX, &CreateOptions::default())), libc::EINVAL);
    let img = e.create_order("small", 4096, 12);
    assert_eq!(errno(img.resize(256_000_001 << 12)), libc::EINVAL);
    img.resize(256_000_000 << 12).unwrap();
    img.close().unwrap();
    manage::remove(&e.io, "small").unwrap();
    // Names Ceph accepts, and that must never become paths.
    for name in ["a/b", "x@y", "../../escape", "sp ace", "\u{7}bell"] {
        manage::create(&e.io, name, 4096, &CreateOptions::default()).unwrap();
        Image::open(&e.io, name, None, true).unwrap();
    }
    assert!(!e.dir.path().parent().unwrap().join("escape").exists());
    assert_eq!(manage::list(&e.io).unwrap().len(), 5);
}

#[test]
fn byte_granular_io_and_clipping() {
    let e = env();
    let img = e.create_order("d", 3 * 4096 + 10, 12);
    assert_eq!(img.write(1, b"abc").unwrap(), 3);
    let mut b = [9u8; 5];
    assert_eq!(img.read(0, &mut b).unwrap(), 5);
    assert_eq!(&b, b"\0abc\0");
    let data = pattern(3, 9000);
    img.write(4000, &data).unwrap();
    assert_eq!(img.read_vec(4000, 9000).unwrap(), data[..(3 * 4096 + 10 - 4000)].to_vec());
    assert_eq!(img.read_vec(3 * 4096, 100).unwrap().len(), 10, "reads clip at the end");
    assert_eq!(img.write(3 * 4096 + 5, b"0123456789").unwrap(), 5, "writes clip at the end");
    assert_eq!(errno(img.read_vec(3 * 4096 + 10, 1)), libc::EINVAL);
    assert_eq!(errno(img.write(1 << 40, b"x")), libc::EINVAL);
    assert_eq!(img.read_vec(1 << 40, 0).unwrap().len(), 0, "zero length is always fine");
    img.discard(4000, 100).unwrap();
    assert_eq!(img.read_vec(4000, 100).unwrap(), vec![0u8; 100]);
    img.write_zeroes(4100, 50, false).unwrap();
    img.write_zeroes(4150, 50, true).unwrap();
    assert_eq!(img.read_vec(4100, 100).unwrap(), vec![0u8; 100]);
    img.flush().unwrap();
}

#[test]
fn resize_drops_data_beyond_the_end() {
    let e = env();
    let img = e.create_order("d", 1 << 20, 12);
    img.write(0, &vec![5u8; 1 << 20]).unwrap();
    img.resize(5000).unwrap();
    assert_eq!(img.size().unwrap(), 5000);
    img.resize(1 << 20).unwrap();
    assert_eq!(img.read_vec(4990, 20).unwrap(), [vec![5u8; 10], vec![0u8; 10]].concat());
    assert_eq!(img.read_vec(1 << 19, 4).unwrap(), vec![0u8; 4]);
}

#[test]
fn data_survives_reopen_and_close_is_durable() {
    let e = env();
    let img = e.create("d", 1 << 30);
    let data = pattern(1, 1 << 20);
    img.write(12345, &data).unwrap();
    img.close().unwrap();
    assert_eq!(errno(img.read_vec(0, 1)), libc::EINVAL, "closed handle");
    let img = Image::open(&e.io, "d", None, true).unwrap();
    assert_eq!(img.read_vec(12345, data.len()).unwrap(), data);
    assert_eq!(errno(img.write(0, b"x")), libc::EROFS);
}

#[test]
fn huge_image_costs_nothing() {
    let e = env();
    // 512 TiB (an object map tracks up to 256 million 4 MiB objects, a little under 1 PiB),
    // or the largest volume the store makes (curve: 20 TiB).
    let size = (1u64 << 49).min(e.cluster.backend().unwrap().caps().max_volume_size);
    let img = e.create("huge", size);
    img.write(size - 3, b"end").unwrap();
    assert_eq!(img.read_vec(size - 3, 3).unwrap(), b"end");
    let used = e.io.pool_used().unwrap();
    assert!(used < 32 << 20, "{size}-byte image uses {used} bytes");
}

#[test]
fn rename_metadata_features() {
    let e = env();
    let img = e.create("a", 4096);
    img.metadata_set("conf_rbd_cache", "false").unwrap();
    img.metadata_set("k2", "v2").unwrap();
    assert_eq!(img.metadata_get("k2").unwrap(), "v2");
    assert_eq!(img.metadata_list("", 0).unwrap().len(), 2);
    assert_eq!(img.metadata_list("conf_rbd_cache", 0).unwrap(), vec![("k2".into(), "v2".into())]);
    img.metadata_remove("k2").unwrap();
    assert_eq!(errno(img.metadata_remove("k2")), libc::ENOENT);
    img.update_features(features::FAST_DIFF | features::OBJECT_MAP, false).unwrap();
    assert_eq!(img.features().unwrap(), features::LAYERING | features::EXCLUSIVE_LOCK | features::DEEP_FLATTEN);
    assert_eq!(errno(img.update_features(features::LAYERING, false)), libc::EINVAL);
    img.close().unwrap();
    e.create("b", 1).close().unwrap();
    assert_eq!(errno(manage::rename(&e.io, "a", "b")), libc::EEXIST);
    manage::rename(&e.io, "a", "c").unwrap();
    assert_eq!(manage::list(&e.io).unwrap(), vec!["b", "c"]);
    let img = Image::open(&e.io, "c", None, true).unwrap();
    assert_eq!(img.name().unwrap(), "c");
    assert_eq!(img.metadata_get("conf_rbd_cache").unwrap(), "false");
}

#[test]
fn namespaces_hold_their_own_images() {
    let e = env();
    manage::namespace_create(&e.io, "ns1").unwrap();
    assert_eq!(errno(manage::namespace_create(&e.io, "ns1")), libc::EEXIST);
    assert_eq!(manage::namespace_list(&e.io).unwrap(), vec!["ns1"]);
    let ns = e.io.duplicate();
    ns.set_namespace(Some("ns1"));
    manage::create(&ns, "img", 4096, &CreateOptions::default()).unwrap();
    assert_eq!(manage::list(&ns).unwrap(), vec!["img"]);
    assert!(manage::list(&e.io).unwrap().is_empty());
    assert_eq!(errno(manage::namespace_remove(&e.io, "ns1")), libc::EBUSY);
    manage::remove(&ns, "img").unwrap();
    manage::namespace_remove(&e.io, "ns1").unwrap();
    ns.set_namespace(Some("missing"));
    assert_eq!(errno(manage::list(&ns)), libc::ENOENT);
}

#[test]
fn trash_move_restore_remove() {
    let e = env();
    e.create("t", 4096).close().unwrap();
    let id = manage::trash_move(&e.io, "t", 0).unwrap();
    assert!(manage::list(&e.io).unwrap().is_empty());
    assert_eq!(manage::trash_list(&e.io).unwrap()[0].name, "t");
    manage::trash_restore(&e.io, &id, "t2").unwrap();
    assert_eq!(manage::list(&e.io).unwrap(), vec!["t2"]);
    let id = manage::trash_move(&e.io, "t2", 3600).unwrap();
    assert_eq!(errno(manage::trash_remove(&e.io, &id, false)), libc::EPERM);
    manage::trash_remove(&e.io, &id, true).unwrap();
    assert!(manage::trash_list(&e.io).unwrap().is_empty());
}

#[test]
fn watchers_and_handles() {
    let e = env();
    let a = e.create("w", 4096);
    let b = Image::open(&e.io, "w", None, false).unwrap();
    let ro = Image::open(&e.io, "w", None, true).unwrap();
    let ws = a.watchers().unwrap();
    assert_eq!(ws.len(), 2);
    assert!(ws.iter().any(|w| w.cookie == a.watch_cookie()));
    b.close().unwrap();
    assert_eq!(a.watchers().unwrap().len(), 1);
    drop(a);
    assert!(ro.watchers().unwrap().is_empty());
    drop(ro);
    manage::remove(&e.io, "w").unwrap();
}

#[test]
fn advisory_locks_follow_cls_lock() {
    use rbdshim_core::lock::LockMode;
    let e = env();
    let a = e.create("l", 4096);
    a.advisory_lock(LockMode::Exclusive, "c1", "").unwrap();
    assert_eq!(errno(a.advisory_lock(LockMode::Exclusive, "c1", "")), libc::EEXIST);
    assert_eq!(errno(a.advisory_lock(LockMode::Shared, "c2", "t")), libc::EBUSY);
    let (excl, _, lockers) = a.list_lockers().unwrap();
    assert!(excl);
    assert_eq!(lockers.len(), 1);
    let client = lockers[0].client.clone();
    a.break_lock(&client, "c1").unwrap();
    assert_eq!(errno(a.advisory_unlock("c1")), libc::ENOENT);
    a.advisory_lock(LockMode::Shared, "s1", "tag").unwrap();
    a.advisory_lock(LockMode::Shared, "s2", "tag").unwrap();
    assert_eq!(errno(a.advisory_lock(LockMode::Shared, "s3", "other")), libc::EBUSY);
    assert!(!a.is_exclusive_lock_owner().unwrap());
    a.write(0, b"x").unwrap();
    assert!(a.is_exclusive_lock_owner().unwrap(), "first write takes the exclusive lock");
}
