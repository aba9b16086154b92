//! The behaviour suite every backend passes: records, namespaces, volumes with snapshots,
//! coordination and objects, checked through the trait only.
//!
//! A backend crate runs it with [`backend_suite!`], giving an expression that yields a
//! `(keep_alive, Arc<dyn Backend>)` pair for a fresh, empty store.

use crate::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Generates one `#[test]` per case for a backend factory.
#[macro_export]
macro_rules! backend_suite {
    ($make:expr) => {
        $crate::backend_suite!(@cases $make; pools namespaces records record_lock cluster_records volume_io volume_sparse
            snapshots_preserve_data snapshot_views_and_diff discard_and_keep truncate_and_rollback trim
            coordination_lock coordination_watch objects_data objects_attrs objects_nodata
            objects_namespaces objects_apply objects_apply_is_atomic fsck_clean);
    };
    (@cases $make:expr; $($case:ident)*) => {
        $(
            #[test]
            fn $case() {
                let (_keep, backend) = $make;
                $crate::testsuite::$case(&backend);
            }
        )*
    };
}

fn pool(b: &Arc<dyn Backend>) -> Loc {
    let id = b.pool_create("p").expect("pool_create");
    Loc::new(id, "")
}

fn snapc(seq: SnapId, snaps: &[SnapId]) -> SnapContext {
    let mut s = snaps.to_vec();
    s.sort_unstable_by(|a, b| b.cmp(a));
    SnapContext { seq, snaps: s }
}

/// Opens a volume as the core does: behind the adapter that hides the store's IO rules.
fn open(b: &Arc<dyn Backend>, loc: &Loc, id: &str) -> Arc<dyn Volume> {
    crate::adapt::adapt(&b.caps(), b.volume_open(loc, id).expect("volume_open"))
}

fn read(v: &Arc<dyn Volume>, view: View, off: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xAAu8; len];
    v.read(view, off, &mut buf).expect("read");
    buf
}

pub fn pools(b: &Arc<dyn Backend>) {
    let a = b.pool_create("a").unwrap();
    let c = b.pool_create("c").unwrap();
    assert_ne!(a, c);
    assert!(matches!(b.pool_create("a"), Err(Error::Exists)));
    let names: Vec<String> = b.pool_list().unwrap().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, vec!["a", "c"]);
    b.pool_remove("a").unwrap();
    assert!(matches!(b.pool_remove("a"), Err(Error::NotFound)));
    let d = b.pool_create("d").unwrap();
    assert!(d > c, "pool ids are never reused");
    assert!(b.fsid().len() >= 16);
}

pub fn namespaces(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    assert!(b.namespace_exists(&loc).unwrap());
    b.namespace_create(loc.pool, "ns1").unwrap();
    assert!(matches!(b.namespace_create(loc.pool, "ns1"), Err(Error::Exists)));
    b.namespace_create(loc.pool, "../../etc").unwrap();
    assert_eq!(b.namespace_list(loc.pool).unwrap(), vec!["../../etc", "ns1"]);
    let ns = Loc::new(loc.pool, "ns1");
    b.record_put(&ns, "k", b"v", PutMode::Create).unwrap();
    assert!(b.namespace_remove(loc.pool, "ns1").is_err(), "non-empty namespace");
    b.record_delete(&ns, "k").unwrap();
    b.namespace_remove(loc.pool, "ns1").unwrap();
    assert!(!b.namespace_exists(&ns).unwrap());
    assert!(matches!(b.namespace_list(9999), Err(Error::NotFound)));
}

pub fn records(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    assert_eq!(b.record_get(&loc, "dir/a").unwrap(), None);
    b.record_put(&loc, "dir/a", b"1", PutMode::Create).unwrap();
    assert!(matches!(b.record_put(&loc, "dir/a", b"2", PutMode::Create), Err(Error::Exists)));
    assert!(matches!(b.record_put(&loc, "dir/b", b"2", PutMode::Replace), Err(Error::NotFound)));
    b.record_put(&loc, "dir/a", b"3", PutMode::Replace).unwrap();
    assert_eq!(b.record_get(&loc, "dir/a").unwrap().as_deref(), Some(&b"3"[..]));
    let long = format!("dir/{}", "n".repeat(2000));
    b.record_put(&loc, &long, b"L", PutMode::Upsert).unwrap();
    b.record_put(&loc, "dir/../../x", b"x", PutMode::Upsert).unwrap();
    b.record_put(&loc, "other", b"o", PutMode::Upsert).unwrap();
    let keys = b.record_list(&loc, "dir/").unwrap();
    assert_eq!(keys, vec!["dir/../../x".to_string(), "dir/a".to_string(), long.clone()]);
    b.record_delete(&loc, "dir/a").unwrap();
    assert!(matches!(b.record_delete(&loc, "dir/a"), Err(Error::NotFound)));
    assert_eq!(b.record_get(&loc, &long).unwrap().as_deref(), Some(&b"L"[..]));
}

pub fn record_lock(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.record_put(&loc, "n", b"0", PutMode::Create).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = b.clone();
            let loc = loc.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    let _g = b.record_lock(&loc, "n").unwrap();
                    let v: u64 = String::from_utf8(b.record_get(&loc, "n").unwrap().unwrap()).unwrap().parse().unwrap();
                    b.record_put(&loc, "n", (v + 1).to_string().as_bytes(), PutMode::Replace).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(b.record_get(&loc, "n").unwrap().as_deref(), Some(&b"100"[..]));
}

pub fn cluster_records(b: &Arc<dyn Backend>) {
    assert_eq!(b.cluster_record_get("auth/client.admin").unwrap(), None);
    assert!(b.cluster_record_list("").unwrap().is_empty(), "a new store has no cluster records");
    b.cluster_record_put("auth/client.admin", b"k1", PutMode::Create).unwrap();
    assert!(matches!(b.cluster_record_put("auth/client.admin", b"k2", PutMode::Create), Err(Error::Exists)));
    assert!(matches!(b.cluster_record_put("auth/client.x", b"x", PutMode::Replace), Err(Error::NotFound)));
    b.cluster_record_put("auth/client.admin", b"k3", PutMode::Replace).unwrap();
    b.cluster_record_put("auth/../../escape", b"e", PutMode::Upsert).unwrap();
    b.cluster_record_put("mon/created", b"1", PutMode::Upsert).unwrap();
    let long = format!("auth/{}", "n".repeat(300));
    b.cluster_record_put(&long, b"L", PutMode::Upsert).unwrap();
    assert_eq!(b.cluster_record_get("auth/client.admin").unwrap().as_deref(), Some(&b"k3"[..]));
    assert_eq!(
        b.cluster_record_list("auth/").unwrap(),
        vec!["auth/../../escape".to_string(), "auth/client.admin".to_string(), long.clone()]
    );
    // Cluster records live apart from every pool's records, and survive pool removal.
    let loc = pool(b);
    assert!(b.record_list(&loc, "").unwrap().is_empty());
    b.record_put(&loc, "auth/client.admin", b"pool", PutMode::Create).unwrap();
    b.pool_remove("p").unwrap();
    assert_eq!(b.cluster_record_get("auth/client.admin").unwrap().as_deref(), Some(&b"k3"[..]));
    // Read-modify-write under the lock from several threads loses no update.
    b.cluster_record_put("n", b"0", PutMode::Create).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = b.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    let _g = b.cluster_record_lock("n").unwrap();
                    let v: u64 =
                        String::from_utf8(b.cluster_record_get("n").unwrap().unwrap()).unwrap().parse().unwrap();
                    b.cluster_record_put("n", (v + 1).to_string().as_bytes(), PutMode::Replace).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(b.cluster_record_get("n").unwrap().as_deref(), Some(&b"100"[..]));
    b.cluster_record_delete("auth/client.admin").unwrap();
    assert!(matches!(b.cluster_record_delete("auth/client.admin"), Err(Error::NotFound)));
    assert_eq!(b.cluster_record_get("auth/client.admin").unwrap(), None);
    assert!(b.fsck(false).unwrap().is_clean());
}

pub fn volume_io(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 30, order: 12, owner: None }).unwrap();
    assert!(matches!(b.volume_create(&loc, "v", VolumeSpec { size: 1, order: 12, owner: None }), Err(Error::Exists)));
    let v = open(b, &loc, "v");
    assert_eq!(v.order(), 12);
    let sc = SnapContext::default();
    v.write(&sc, 1, b"abc").unwrap();
    v.write(&sc, 4094, b"spans two objects").unwrap();
    assert_eq!(read(&v, View::Head, 0, 5), b"\0abc\0");
    assert_eq!(read(&v, View::Head, 4094, 17), b"spans two objects");
    assert_eq!(read(&v, View::Head, 1 << 29, 8), vec![0u8; 8]);
    v.flush().unwrap();
    assert!(v.object_exists(View::Head, 0).unwrap());
    assert!(v.object_exists(View::Head, 1).unwrap());
    assert!(!v.object_exists(View::Head, 2).unwrap());
    drop(v);
    let v = open(b, &loc, "v");
    assert_eq!(read(&v, View::Head, 1, 3), b"abc");
    b.volume_remove(&loc, "v").unwrap();
    assert!(b.volume_open(&loc, "v").is_err());
}

pub fn volume_sparse(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let before = b.pool_used(loc.pool).unwrap();
    // 1 PiB, or the largest volume the store makes.
    let size = (1u64 << 50).min(b.caps().max_volume_size);
    b.volume_create(&loc, "big", VolumeSpec { size, order: 22, owner: None }).unwrap();
    let v = open(b, &loc, "big");
    let sc = SnapContext::default();
    v.write(&sc, size - 4096, &[7u8; 4096]).unwrap();
    assert_eq!(read(&v, View::Head, size - 4096, 4), vec![7u8; 4]);
    let used = b.pool_used(loc.pool).unwrap() - before;
    assert!(used < 64 << 20, "a {size}-byte volume with 4 KiB written uses {used} bytes");
    let last = (size >> 22) - 1;
    let changes = v.diff(None, View::Head, 0, last).unwrap();
    assert_eq!(changes, vec![ObjectChange { objno: last, exists: true }]);
}

pub fn snapshots_preserve_data(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    v.write(&snapc(0, &[]), 0, &[1u8; 8192]).unwrap();
    // snapshot 1, and the store told of it
    let one = SnapSummary { id: 1, name: "one".into(), size: 1 << 20, protected: false, children: 0 };
    b.snapshots_changed(&loc, "v", &[one]).unwrap();
    v.write(&snapc(1, &[1]), 100, &[2u8; 10]).unwrap();
    v.write(&snapc(1, &[1]), 200, &[3u8; 10]).unwrap();
    // snapshot 2, then write object 1 and a new object 5
    v.write(&snapc(2, &[1, 2]), 4096, &[4u8; 4]).unwrap();
    v.write(&snapc(2, &[1, 2]), 5 * 4096, &[5u8; 4]).unwrap();
    assert_eq!(read(&v, View::Snap(1), 100, 4), vec![1u8; 4]);
    assert_eq!(read(&v, View::Snap(2), 100, 4), vec![2u8; 4]);
    assert_eq!(read(&v, View::Snap(2), 4096, 4), vec![1u8; 4]);
    assert_eq!(read(&v, View::Head, 4096, 4), vec![4u8; 4]);
    assert_eq!(read(&v, View::Snap(2), 5 * 4096, 4), vec![0u8; 4]);
    assert!(!v.object_exists(View::Snap(2), 5).unwrap());
    assert!(v.object_exists(View::Head, 5).unwrap());
}

pub fn snapshot_views_and_diff(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    for o in 0..4u64 {
        v.write(&snapc(0, &[]), o * 4096, &[9u8; 16]).unwrap();
    }
    let all = v.diff(None, View::Head, 0, 255).unwrap();
    assert_eq!(all.len(), 4);
    // snap 1; change object 1, discard object 2 entirely
    let sc = snapc(1, &[1]);
    v.write(&sc, 4096 + 8, b"x").unwrap();
    v.discard(&sc, 2 * 4096, 4096, false).unwrap();
    let d = v.diff(Some(1), View::Head, 0, 255).unwrap();
    assert_eq!(d, vec![ObjectChange { objno: 1, exists: true }, ObjectChange { objno: 2, exists: false }]);
    assert!(v.diff(Some(1), View::Snap(1), 0, 255).unwrap().is_empty());
    let from0 = v.diff(None, View::Snap(1), 0, 255).unwrap();
    assert_eq!(from0.len(), 4);
    let ext = v.data_extents(View::Head, 1).unwrap();
    assert!(!ext.is_empty() && ext[0].0 == 0, "{ext:?}");
    assert!(v.data_extents(View::Head, 2).unwrap().is_empty());
    assert_eq!(read(&v, View::Snap(1), 2 * 4096, 16), vec![9u8; 16]);
}

pub fn discard_and_keep(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    let sc = SnapContext::default();
    v.write(&sc, 0, &[1u8; 3 * 4096]).unwrap();
    v.discard(&sc, 10, 20, false).unwrap();
    let mut want = vec![1u8; 40];
    want[10..30].fill(0);
    assert_eq!(read(&v, View::Head, 0, 40), want);
    v.discard(&sc, 4096, 4096, false).unwrap();
    assert!(!v.object_exists(View::Head, 1).unwrap());
    v.discard(&sc, 2 * 4096, 4096, true).unwrap();
    assert!(v.object_exists(View::Head, 2).unwrap(), "kept objects still exist");
    assert_eq!(read(&v, View::Head, 2 * 4096, 4096), vec![0u8; 4096]);
    v.discard(&sc, 5 * 4096, 4096, true).unwrap();
    assert!(v.object_exists(View::Head, 5).unwrap(), "keep creates an empty object");
}

pub fn truncate_and_rollback(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    v.write(&snapc(0, &[]), 0, &[1u8; 4 * 4096]).unwrap();
    let sc = snapc(1, &[1]);
    v.truncate(&sc, 4096 + 100).unwrap();
    assert_eq!(read(&v, View::Head, 4096 + 99, 2), vec![1, 0]);
    assert!(!v.object_exists(View::Head, 2).unwrap());
    assert_eq!(read(&v, View::Snap(1), 3 * 4096, 4), vec![1u8; 4]);
    v.write(&sc, 0, b"new").unwrap();
    v.rollback(&sc, 1, 4 * 4096).unwrap();
    assert_eq!(read(&v, View::Head, 0, 4 * 4096), vec![1u8; 4 * 4096]);
    // the rollback is itself a write: a later snapshot sees the rolled-back data
    let sc2 = snapc(2, &[1, 2]);
    v.write(&sc2, 0, b"zz").unwrap();
    assert_eq!(read(&v, View::Snap(2), 0, 3), vec![1u8; 3]);
    assert_eq!(read(&v, View::Head, 0, 3), b"zz\x01");
}

pub fn trim(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 30, order: 20, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    v.write(&snapc(0, &[]), 0, &vec![1u8; 8 << 20]).unwrap();
    v.flush().unwrap();
    let base = v.allocated().unwrap();
    v.write(&snapc(1, &[1]), 0, &vec![2u8; 8 << 20]).unwrap();
    let with_snap = v.allocated().unwrap();
    assert!(with_snap >= base + (7 << 20), "copy-on-write kept the old data: {base} -> {with_snap}");
    v.trim(&[]).unwrap();
    let after = v.allocated().unwrap();
    assert!(after <= base + (1 << 20), "trim reclaimed: {after} vs {base}");
    assert_eq!(read(&v, View::Head, 0, 4), vec![2u8; 4]);
}

pub fn coordination_lock(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let c = b.coordinator(&loc, "v").unwrap();
    let c2 = b.coordinator(&loc, "v").unwrap();
    assert!(Arc::ptr_eq(&c, &c2), "one coordinator per process and volume");
    assert!(!c.is_locked_anywhere().unwrap());
    assert!(c.try_lock().unwrap());
    assert!(c.is_locked_here());
    assert!(!c.release_requested());
    c.lock(Duration::from_millis(10)).unwrap();
    c.unlock().unwrap();
    assert!(!c.is_locked_here());
    let g = c.generation();
    assert_eq!(c.bump_generation(), g + 1);
    assert_eq!(c2.generation(), g + 1);
}

pub fn coordination_watch(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let c = b.coordinator(&loc, "v").unwrap();
    assert!(c.watchers().unwrap().is_empty());
    let w1 = c.watch(WatcherInfo { addr: "a".into(), id: 1, cookie: 11 }).unwrap();
    let w2 = c.watch(WatcherInfo { addr: "b".into(), id: 1, cookie: 12 }).unwrap();
    let ws = c.watchers().unwrap();
    assert_eq!(ws.iter().map(|w| w.cookie).collect::<Vec<_>>(), vec![11, 12]);
    assert_eq!(c.watchers().unwrap().len(), 2, "listing does not drop our own watches");
    drop(w1);
    assert_eq!(c.watchers().unwrap().len(), 1);
    drop(w2);
    assert!(c.watchers().unwrap().is_empty());
}

pub fn objects_data(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    assert!(matches!(o.read(&loc, "obj", 0, 10), Err(Error::NotFound)));
    o.write(&loc, "obj", 2, b"hello").unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"\0\0hello");
    o.append(&loc, "obj", b"!").unwrap();
    assert_eq!(o.stat(&loc, "obj").unwrap().size, 8);
    o.write_full(&loc, "obj", b"xy").unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"xy");
    o.truncate(&loc, "obj", 5).unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"xy\0\0\0");
    o.zero(&loc, "obj", 0, 1).unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 2).unwrap(), b"\0y");
    assert!(matches!(o.create(&loc, "obj", true), Err(Error::Exists)));
    o.create(&loc, "obj", false).unwrap();
    o.create(&loc, "../../escape", true).unwrap();
    let long = "o".repeat(500);
    o.write_full(&loc, &long, b"L").unwrap();
    let names: Vec<String> = o.list(loc.pool, Some("")).unwrap().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, vec!["../../escape".to_string(), "obj".to_string(), long.clone()]);
    o.remove(&loc, "obj").unwrap();
    assert!(matches!(o.remove(&loc, "obj"), Err(Error::NotFound)));
    assert!(matches!(o.read(&loc, "", 0, 1), Err(Error::InvalidArgument(_))));
}

pub fn objects_attrs(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    o.xattr_set(&loc, "x", "a", b"1").unwrap();
    assert_eq!(o.xattr_get(&loc, "x", "a").unwrap(), b"1");
    assert!(matches!(o.xattr_get(&loc, "x", "b"), Err(Error::NoData)));
    assert_eq!(o.xattrs(&loc, "x").unwrap().len(), 1);
    o.xattr_remove(&loc, "x", "a").unwrap();
    assert!(o.xattrs(&loc, "x").unwrap().is_empty());
    // xattr_update: creates the object, sees the current value, removes on None, keeps
    // everything unchanged when the closure fails.
    o.xattr_update(&loc, "u", "n", &mut |cur| Ok(Some([cur.unwrap_or(b""), b"+"].concat()))).unwrap();
    o.xattr_update(&loc, "u", "n", &mut |cur| Ok(Some([cur.unwrap_or(b""), b"+"].concat()))).unwrap();
    assert_eq!(o.xattr_get(&loc, "u", "n").unwrap(), b"++");
    assert!(matches!(o.xattr_update(&loc, "u", "n", &mut |_| Err(Error::Busy)), Err(Error::Busy)));
    assert_eq!(o.xattr_get(&loc, "u", "n").unwrap(), b"++");
    o.xattr_update(&loc, "u", "n", &mut |_| Ok(None)).unwrap();
    assert!(matches!(o.xattr_get(&loc, "u", "n"), Err(Error::NoData)));
    o.remove(&loc, "u").unwrap();
    let mut set = BTreeMap::new();
    set.insert("k1".to_string(), b"v1".to_vec());
    set.insert("k2".to_string(), vec![0, 255]);
    o.omap_update(&loc, "x", &set, &[]).unwrap();
    o.omap_update(&loc, "x", &BTreeMap::new(), &["k1".to_string()]).unwrap();
    let m = o.omap_get(&loc, "x").unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m["k2"], vec![0, 255]);
    o.omap_clear(&loc, "x").unwrap();
    assert!(o.omap_get(&loc, "x").unwrap().is_empty());
    assert!(matches!(o.omap_get(&loc, "nope"), Err(Error::NotFound)));
}

/// A missing attribute of an existing object is `NoData`; a missing object is `NotFound`.
/// Removing an absent attribute of an existing object succeeds, as in an OSD.
pub fn objects_nodata(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    o.write_full(&loc, "x", b"data").unwrap();
    assert!(matches!(o.xattr_get(&loc, "x", "absent"), Err(Error::NoData)));
    assert!(matches!(o.xattr_get(&loc, "missing", "absent"), Err(Error::NotFound)));
    assert!(matches!(o.xattrs(&loc, "missing"), Err(Error::NotFound)));
    o.xattr_remove(&loc, "x", "absent").unwrap();
    assert!(matches!(o.xattr_remove(&loc, "missing", "absent"), Err(Error::NotFound)));
    // Truncating a missing object does not create it.
    o.truncate(&loc, "missing", 10).unwrap();
    assert!(matches!(o.stat(&loc, "missing"), Err(Error::NotFound)));
}

/// Object namespaces need no creation (they are not the namespaces of `namespace_create`),
/// keep their objects apart, and listing every namespace sees them all.
pub fn objects_namespaces(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    let ns = Loc::new(loc.pool, "implicit");
    o.write_full(&loc, "obj", b"default").unwrap();
    o.write_full(&ns, "obj", b"ns").unwrap();
    o.write_full(&ns, "only", b"x").unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 10).unwrap(), b"default");
    assert_eq!(o.read(&ns, "obj", 0, 10).unwrap(), b"ns");
    assert!(!b.namespace_exists(&ns).unwrap(), "objects do not make an rbd namespace");
    assert!(b.namespace_list(loc.pool).unwrap().is_empty());
    let all = o.list(loc.pool, None).unwrap();
    let want: Vec<(String, String)> = [("", "obj"), ("implicit", "obj"), ("implicit", "only")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(all, want);
    assert!(o.list(loc.pool, Some("never-used")).unwrap().is_empty());
    assert!(matches!(o.read(&Loc::new(loc.pool, "never-used"), "obj", 0, 1), Err(Error::NotFound)));
    // An rbd namespace of the same name is independent of the objects.
    b.namespace_create(loc.pool, "implicit").unwrap();
    b.namespace_remove(loc.pool, "implicit").unwrap();
    assert_eq!(o.read(&ns, "obj", 0, 10).unwrap(), b"ns");
    assert!(matches!(o.write_full(&Loc::new(9999, "x"), "obj", b"x"), Err(Error::NotFound)), "no such pool");
}

pub fn objects_apply(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    let mut omap = BTreeMap::new();
    omap.insert("k".to_string(), b"v".to_vec());
    let ops = [
        ObjectOp::Create { exclusive: true },
        ObjectOp::WriteFull(b"hello world".to_vec()),
        ObjectOp::Write { off: 0, data: b"J".to_vec() },
        ObjectOp::Truncate(8),
        ObjectOp::Append(b"!".to_vec()),
        ObjectOp::Zero { off: 1, len: 2 },
        ObjectOp::SetXattr { name: "a".into(), value: b"1".to_vec() },
        ObjectOp::SetXattr { name: "b".into(), value: b"2".to_vec() },
        ObjectOp::RmXattr("b".into()),
        ObjectOp::OmapSet(omap.clone()),
    ];
    o.apply(&loc, "obj", &ops).unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"J\0\0lo wo!");
    assert_eq!(o.xattrs(&loc, "obj").unwrap().into_iter().collect::<Vec<_>>(), vec![("a".to_string(), b"1".to_vec())]);
    assert_eq!(o.omap_get(&loc, "obj").unwrap(), omap);
    // Create without exclusive keeps what exists; an empty operation changes nothing.
    o.apply(&loc, "obj", &[ObjectOp::Create { exclusive: false }]).unwrap();
    o.apply(&loc, "never", &[]).unwrap();
    assert!(matches!(o.stat(&loc, "never"), Err(Error::NotFound)));
    assert_eq!(o.stat(&loc, "obj").unwrap().size, 9);
    o.apply(&loc, "obj", &[ObjectOp::OmapRm(vec!["k".into(), "absent".into()])]).unwrap();
    assert!(o.omap_get(&loc, "obj").unwrap().is_empty());
    // Truncate and zero of a missing object are no-ops; remove then write recreates.
    o.apply(&loc, "ghost", &[ObjectOp::Truncate(5), ObjectOp::Zero { off: 0, len: 4 }]).unwrap();
    assert!(matches!(o.stat(&loc, "ghost"), Err(Error::NotFound)));
    o.apply(&loc, "obj", &[ObjectOp::Remove, ObjectOp::Append(b"new".to_vec())]).unwrap();
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"new");
    assert!(o.xattrs(&loc, "obj").unwrap().is_empty(), "remove dropped the attributes");
    o.apply(&loc, "obj", &[ObjectOp::Remove]).unwrap();
    assert!(matches!(o.apply(&loc, "obj", &[ObjectOp::Remove]), Err(Error::NotFound)));
    for op in [ObjectOp::RmXattr("a".into()), ObjectOp::OmapRm(vec!["k".into()]), ObjectOp::OmapClear] {
        assert!(matches!(o.apply(&loc, "obj", &[op]), Err(Error::NotFound)));
    }
    o.apply(&Loc::new(loc.pool, "ns"), "obj", &[ObjectOp::Create { exclusive: true }]).unwrap();
    assert_eq!(o.stat(&Loc::new(loc.pool, "ns"), "obj").unwrap().size, 0);
}

/// A failing step leaves the object exactly as it was, data, attributes and omap.
pub fn objects_apply_is_atomic(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    let o = b.objects();
    o.write_full(&loc, "obj", b"original").unwrap();
    o.xattr_set(&loc, "obj", "a", b"1").unwrap();
    let mut omap = BTreeMap::new();
    omap.insert("k".to_string(), b"v".to_vec());
    let ops = [
        ObjectOp::WriteFull(b"changed".to_vec()),
        ObjectOp::SetXattr { name: "a".into(), value: b"2".to_vec() },
        ObjectOp::OmapSet(omap),
        ObjectOp::Create { exclusive: true },
    ];
    assert!(matches!(o.apply(&loc, "obj", &ops), Err(Error::Exists)));
    assert_eq!(o.read(&loc, "obj", 0, 100).unwrap(), b"original");
    assert_eq!(o.xattr_get(&loc, "obj", "a").unwrap(), b"1");
    assert!(o.omap_get(&loc, "obj").unwrap().is_empty());
    // A failure on a missing object does not leave it created.
    let ops =
        [ObjectOp::Write { off: 0, data: b"x".to_vec() }, ObjectOp::OmapClear, ObjectOp::Remove, ObjectOp::Remove];
    assert!(matches!(o.apply(&loc, "fresh", &ops), Err(Error::NotFound)));
    assert!(matches!(o.stat(&loc, "fresh"), Err(Error::NotFound)));
}

pub fn fsck_clean(b: &Arc<dyn Backend>) {
    let loc = pool(b);
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 20, order: 12, owner: None }).unwrap();
    let v = open(b, &loc, "v");
    v.write(&snapc(0, &[]), 0, b"data").unwrap();
    v.write(&snapc(1, &[1]), 0, b"more").unwrap();
    b.record_put(&loc, "k", b"v", PutMode::Create).unwrap();
    let r = b.fsck(false).unwrap();
    assert!(r.is_clean(), "{:?}", r.errors);
}
