//! RBD snapshots and clones on the curve backend, seen from the store's snapshot/clone service:
//! each RBD snapshot is one of the service's local (in-cluster) snapshots, named as in RBD and
//! counting RBD's clones; the store's own rules follow from that (a volume with snapshots is
//! UNDER_SNAPSHOT, a snapshot with clones DELETE_BEING_CLONED), and the service can clone an
//! RBD snapshot itself. Runs on the curve store whatever RBDSHIM_TEST_STORE says.

mod common;

use rbdshim_backend::Volume;
use rbdshim_backend_curve::snapshot::{self, CloneFrom, SnapshotInfo};
use rbdshim_backend_curve::store::CurveStore;
use rbdshim_backend_curve::{CurveError, Options, UserInfo};
use rbdshim_core::{clone, manage, CreateOptions, Image};
use std::sync::Arc;

const MIB: u64 = 1 << 20;

fn local_snaps(store: &CurveStore, file_id: u64) -> Vec<SnapshotInfo> {
    snapshot::list_snapshots(store, file_id).unwrap().into_iter().filter(|s| s.local).collect()
}

#[test]
fn rbd_snapshots_and_clones_are_the_services_local_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let spec = common::spec_on(common::Store::Curve, dir.path());
    let admin = common::connect(&spec);
    admin.pool_create("images").unwrap();
    admin.pool_create("vms").unwrap();
    let (images, vms) = (admin.ioctx("images").unwrap(), admin.ioctx("vms").unwrap());
    let opts = CreateOptions::default();
    manage::create(&images, "base", 64 * MIB, &opts).unwrap();
    let base = Image::open(&images, "base", None, false).unwrap();
    base.write(0, &[1u8; 8192]).unwrap();
    base.snap_create("snap").unwrap();
    base.snap_protect("snap").unwrap();
    base.write(0, &[2u8; 8192]).unwrap();

    // The same store instance the backend uses (one per directory per process).
    let store: Arc<CurveStore> =
        CurveStore::open(Options::parse(spec.strip_prefix("curve:").unwrap()).unwrap()).unwrap();
    let root = UserInfo::with_password("root", "root_password");
    let path = format!("/images/{}", base.id());
    let file = store.ns.lookup(&path, &root).unwrap();
    let snaps = local_snaps(&store, file.id);
    assert_eq!(snaps.len(), 1);
    assert_eq!((snaps[0].name.as_str(), snaps[0].length, snaps[0].clones), ("snap", 64 * MIB, 0));
    assert!(snaps[0].protected, "RBD's protection shows in the service");

    // An RBD clone counts on the snapshot; the service then refuses to drop it.
    clone::clone(&images, "base", "snap", &vms, "disk", &opts).unwrap();
    let s = &local_snaps(&store, file.id)[0];
    assert_eq!(s.clones, 1);
    assert_eq!(snapshot::delete_snapshot(&store, &root, &s.uuid), Err(CurveError::DeleteBeingCloned));
    // A volume with snapshots cannot be deleted through the store either.
    assert_eq!(store.unlink(&path, &root).map(|_| ()), Err(CurveError::UnderSnapshot));

    // The service clones the RBD snapshot itself: its data as of the snapshot.
    snapshot::clone(&store, &root, CloneFrom::Snapshot(&s.uuid), "/images/service-copy", false).unwrap();
    let copy = store.ns.lookup("/images/service-copy", &root).unwrap();
    let mut buf = vec![0u8; 8192];
    store.chunks.get(copy.id).unwrap().vol.read(rbdshim_backend::View::Head, 0, &mut buf).unwrap();
    assert_eq!(buf, vec![1u8; 8192], "the snapshot's data, not the head's");
    store.unlink("/images/service-copy", &root).unwrap();

    // Renames, child removal and snapshot removal keep the records in line.
    base.snap_rename("snap", "golden").unwrap();
    assert_eq!(local_snaps(&store, file.id)[0].name, "golden");
    manage::remove(&vms, "disk").unwrap();
    assert_eq!(local_snaps(&store, file.id)[0].clones, 0);
    base.snap_unprotect("golden").unwrap();
    assert!(!local_snaps(&store, file.id)[0].protected);
    base.snap_remove("golden").unwrap();
    assert!(local_snaps(&store, file.id).is_empty());
    base.close().unwrap();
    manage::remove(&images, "base").unwrap();
}
