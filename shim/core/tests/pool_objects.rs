//! Pool-level state (metadata, config overrides, statistics), sparsify, and advisory locks on
//! rados objects, checked against librbd/cls_lock 16.2 behaviour.

mod common;
use common::*;
use rbdshim_core::lock::LockMode;
use rbdshim_core::objlock::{LockRequest, LOCK_FLAG_MAY_RENEW, LOCK_FLAG_MUST_RENEW};
use rbdshim_core::{manage, pool};

#[test]
fn pool_metadata_and_config_overrides() {
    let e = env();
    assert_eq!(errno(pool::metadata_get(&e.io, "k")), libc::ENOENT);
    pool::metadata_set(&e.io, "k", "v").unwrap();
    pool::metadata_set(&e.io, "a", "1").unwrap();
    pool::metadata_set(&e.io, "conf_rbd_cache", "false").unwrap();
    assert_eq!(pool::metadata_get(&e.io, "k").unwrap(), "v");
    let all: Vec<String> = pool::metadata_list(&e.io, "", 0).unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(all, ["a", "conf_rbd_cache", "k"]);
    assert_eq!(pool::metadata_list(&e.io, "a", 1).unwrap(), [("conf_rbd_cache".to_string(), "false".to_string())]);
    assert_eq!(errno(pool::metadata_set(&e.io, "conf_not_rbd", "1")), libc::EINVAL);
    assert_eq!(errno(pool::metadata_set(&e.io, "", "1")), libc::EINVAL);
    pool::metadata_remove(&e.io, "k").unwrap();
    assert_eq!(errno(pool::metadata_remove(&e.io, "k")), libc::ENOENT);
    // Per namespace, as each namespace has its own rbd_info.
    manage::namespace_create(&e.io, "ns").unwrap();
    let ns = e.io.duplicate();
    ns.set_namespace(Some("ns"));
    assert!(pool::metadata_list(&ns, "", 0).unwrap().is_empty());
}

#[test]
fn pool_stats_count_images_snapshots_and_trash() {
    let e = env();
    let a = e.create("a", 8 << 20);
    a.write(0, &pattern(1, 4096)).unwrap();
    a.snap_create("s1").unwrap();
    a.close().unwrap();
    e.create("b", 4 << 20).close().unwrap();
    manage::trash_move(&e.io, "b", 0).unwrap();
    let st = pool::stats(&e.io).unwrap();
    assert_eq!(st.image_count, 1);
    assert_eq!(st.image_snap_count, 1);
    assert_eq!(st.image_provisioned_bytes, 8 << 20, "the head's size");
    assert_eq!(st.image_max_provisioned_bytes, 16 << 20, "head and snapshot, 8 MiB each");
    assert_eq!((st.trash_count, st.trash_max_provisioned_bytes, st.trash_snap_count), (1, 4 << 20, 0));
}

#[test]
fn sparsify_deallocates_zero_blocks_only() {
    let e = env();
    let img = e.create("s", 16 << 20);
    let mut data = pattern(7, 3 << 20);
    data[4096..3 * 4096].fill(0);
    img.write(0, &data).unwrap();
    img.write(8 << 20, &vec![0u8; 4 << 20]).unwrap();
    let before = img.du(None).unwrap();
    assert_eq!(before, 8 << 20);
    assert_eq!(errno(img.sparsify(1000)), libc::EINVAL);
    assert_eq!(errno(img.sparsify(8 << 20)), libc::EINVAL, "larger than an object");
    img.sparsify(4096).unwrap();
    assert_eq!(img.read_vec(0, 3 << 20).unwrap(), data);
    assert_eq!(img.read_vec(8 << 20, 4 << 20).unwrap(), vec![0u8; 4 << 20]);
    assert_eq!(img.du(None).unwrap(), 4 << 20, "the all-zero object is gone");
    let mut data_extents = Vec::new();
    img.diff_iterate(None, 0, 4 << 20, false, false, |off, len, exists| {
        if exists {
            data_extents.push((off, len));
        }
        0
    })
    .unwrap();
    assert!(
        data_extents.iter().all(|&(off, len)| off + len <= 4096 || off >= 3 * 4096),
        "zero blocks inside the data became holes: {data_extents:?}"
    );
    img.close().unwrap();
}

fn req<'a>(mode: LockMode, cookie: &'a str, tag: &'a str) -> LockRequest<'a> {
    LockRequest { mode, cookie, tag, desc: "", duration: None, flags: 0 }
}

#[test]
fn object_locks_follow_cls_lock() {
    let e = env();
    let other = connect(&spec(e.dir.path())).ioctx("rbd").unwrap();
    let x = LockMode::Exclusive;
    let s = LockMode::Shared;
    assert_eq!(errno(e.io.object_list_lockers("o", "L")), libc::ENOENT);
    e.io.object_lock("o", "L", &req(x, "c", "")).unwrap();
    assert!(e.io.objects().stat(&e.io.loc(), "o").is_ok(), "locking creates the object");
    assert_eq!(errno(e.io.object_lock("o", "L", &req(x, "c", ""))), libc::EEXIST);
    assert_eq!(errno(e.io.object_lock("o", "L", &req(x, "c2", ""))), libc::EBUSY);
    assert_eq!(errno(other.object_lock("o", "L", &req(x, "c", ""))), libc::EBUSY);
    let renew = LockRequest { flags: LOCK_FLAG_MAY_RENEW, ..req(x, "c", "") };
    e.io.object_lock("o", "L", &renew).unwrap();
    let must = LockRequest { flags: LOCK_FLAG_MUST_RENEW, ..req(x, "zz", "") };
    assert_eq!(errno(e.io.object_lock("o", "L", &must)), libc::ENOENT);
    let (excl, tag, lockers) = other.object_list_lockers("o", "L").unwrap();
    assert!(excl && tag.is_empty());
    assert_eq!(lockers.len(), 1);
    assert_eq!(lockers[0].client, e.io.client_entity());
    assert_eq!(errno(other.object_unlock("o", "L", "c")), libc::ENOENT, "not the holder");
    other.object_break_lock("o", "L", &e.io.client_entity(), "c").unwrap();
    // Shared: one tag for all holders.
    e.io.object_lock("o", "L", &req(s, "c", "t")).unwrap();
    other.object_lock("o", "L", &req(s, "c", "t")).unwrap();
    assert_eq!(errno(other.object_lock("o", "L", &req(s, "d", "u"))), libc::EBUSY);
    assert_eq!(errno(other.object_lock("o", "L", &req(x, "d", "t"))), libc::EBUSY);
    assert_eq!(other.object_list_lockers("o", "L").unwrap().2.len(), 2);
    e.io.object_unlock("o", "L", "c").unwrap();
    other.object_unlock("o", "L", "c").unwrap();
    assert!(other.object_list_lockers("o", "L").unwrap().2.is_empty());
    // A lock with a duration lapses.
    let short = LockRequest { duration: Some(std::time::Duration::from_millis(300)), ..req(x, "c", "") };
    e.io.object_lock("o", "L", &short).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    other.object_lock("o", "L", &req(x, "c", "")).unwrap();
    assert_eq!(errno(e.io.object_unlock("missing", "L", "c")), libc::ENOENT);
    assert_eq!(errno(e.io.object_lock("o", "", &req(x, "c", ""))), libc::EINVAL);
    // Flags other than MAY_RENEW and MUST_RENEW are refused, before anything changes.
    let odd = LockRequest { flags: 4, ..req(x, "new", "") };
    assert_eq!(errno(e.io.object_lock("fresh", "L", &odd)), libc::EINVAL);
    assert!(e.io.objects().stat(&e.io.loc(), "fresh").is_err(), "not created");
    // Object namespaces need no creation: locks work in any.
    e.io.set_namespace(Some("not-an-rbd-namespace"));
    e.io.object_lock("o", "L", &req(x, "c", "")).unwrap();
    assert_eq!(e.io.object_list_lockers("o", "L").unwrap().2.len(), 1);
    e.io.object_unlock("o", "L", "c").unwrap();
}
