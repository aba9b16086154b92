//! The store's own rules, through its libcurve-shaped client: sizes, alignment, owners, the
//! recycle bin, sessions, epochs, snapshot copy-out and lazy clones.

mod common;

use rbdshim_backend_curve::options::{GIB, MIB};
use rbdshim_backend_curve::snapshot::{CloneFrom, TaskStatus};
use rbdshim_backend_curve::{CurveClient, CurveError, Options, UserInfo};

fn client(dir: &std::path::Path) -> CurveClient {
    CurveClient::init(Options::new(dir)).unwrap()
}

fn alice() -> UserInfo {
    UserInfo::new("alice")
}

fn root() -> UserInfo {
    UserInfo::with_password("root", "root_password")
}

/// A client with `/pool` made by alice.
fn setup() -> (tempfile::TempDir, CurveClient) {
    let d = tempfile::tempdir().unwrap();
    let c = client(d.path());
    c.mkdir("/pool", &alice()).unwrap();
    (d, c)
}

#[test]
fn lengths_follow_the_rules() {
    let (_d, c) = setup();
    let u = alice();
    assert_eq!(c.create("/pool/small", &u, GIB), Err(CurveError::LengthNotSupport));
    assert_eq!(c.create("/pool/odd", &u, 10 * GIB + 5), Err(CurveError::LengthNotSupport));
    assert_eq!(c.create("/pool/huge", &u, 21 << 40), Err(CurveError::LengthNotSupport));
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    assert_eq!(c.create("/pool/v", &u, 10 * GIB), Err(CurveError::Exists));
    assert_eq!(c.extend("/pool/v", &u, 9 * GIB), Err(CurveError::NoShrinkBiggerFile));
    assert_eq!(c.extend("/pool/v", &u, 11 * GIB + 1), Err(CurveError::LengthNotSupport));
    c.extend("/pool/v", &u, 12 * GIB).unwrap();
    c.extend("/pool/v", &u, 12 * GIB).unwrap();
    let st = c.stat_file("/pool/v", &u).unwrap();
    assert_eq!((st.length, st.chunk_size, st.segment_size, st.block_size), (12 * GIB, 16 * MIB, GIB, 4096));
}

#[test]
fn io_must_be_aligned_and_inside() {
    let (_d, c) = setup();
    let u = alice();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    let fd = c.open("/pool/v", &u).unwrap();
    assert_eq!(c.write(fd, &[1u8; 512], 0), Err(CurveError::NotAligned));
    assert_eq!(c.write(fd, &[1u8; 4096], 512), Err(CurveError::NotAligned));
    let mut small = [0u8; 100];
    assert_eq!(c.read(fd, &mut small, 0), Err(CurveError::NotAligned));
    assert_eq!(c.write(fd, &[1u8; 4096], 10 * GIB), Err(CurveError::ParamError));
    assert_eq!(c.write(fd, &[7u8; 8192], 4096).unwrap(), 8192);
    let mut buf = vec![0u8; 16384];
    c.read(fd, &mut buf, 0).unwrap();
    assert_eq!(&buf[..4096], &[0u8; 4096][..]);
    assert_eq!(&buf[4096..12288], &[7u8; 8192][..]);
    c.discard(fd, 4096, 4096).unwrap();
    c.read(fd, &mut buf, 0).unwrap();
    assert_eq!(&buf[4096..8192], &[0u8; 4096][..]);
    assert_eq!(c.store().segments(c.stat_file("/pool/v", &u).unwrap().id).unwrap(), 1, "one segment allocated");
    assert_eq!(c.read(99, &mut buf, 0), Err(CurveError::BadFd));
    c.close(fd).unwrap();
    assert_eq!(c.close(fd), Err(CurveError::BadFd));
    // A 512-byte store takes 512-byte IO.
    let d = tempfile::tempdir().unwrap();
    let c512 = CurveClient::init(Options { block_size: 512, ..Options::new(d.path()) }).unwrap();
    c512.mkdir("/p", &u).unwrap();
    c512.create("/p/v", &u, 10 * GIB).unwrap();
    let fd = c512.open("/p/v", &u).unwrap();
    c512.write(fd, &[3u8; 512], 512).unwrap();
}

#[test]
fn owners_are_checked_along_the_path() {
    let (_d, c) = setup();
    let (a, bob) = (alice(), UserInfo::new("bob"));
    c.mkdir("/pool/sub", &a).unwrap();
    c.create("/pool/sub/v", &a, 10 * GIB).unwrap();
    assert_eq!(c.open("/pool/sub/v", &bob), Err(CurveError::AuthFail));
    assert_eq!(c.stat_file("/pool/sub/v", &bob), Err(CurveError::AuthFail));
    assert_eq!(c.create("/pool/sub/w", &bob, 10 * GIB), Err(CurveError::AuthFail));
    assert_eq!(c.unlink("/pool/sub/v", &bob), Err(CurveError::AuthFail));
    // A file bob owns inside alice's directory is still out of his reach.
    c.change_owner("/pool/sub/v", "bob", &root()).unwrap();
    assert_eq!(c.open("/pool/sub/v", &bob), Err(CurveError::AuthFail));
    assert_eq!(c.open("/pool/sub/v", &a), Err(CurveError::AuthFail));
    // Only root, with its password, changes owners or goes anywhere.
    assert_eq!(c.change_owner("/pool/sub/v", "alice", &a), Err(CurveError::AuthFail));
    assert_eq!(c.change_owner("/pool", "bob", &UserInfo::with_password("root", "wrong")), Err(CurveError::AuthFail));
    c.open("/pool/sub/v", &root()).unwrap();
    assert_eq!(c.listdir("/pool", &a).unwrap().len(), 1);
    assert_eq!(c.rmdir("/pool/sub", &a), Err(CurveError::NotEmpty));
    assert_eq!(c.mkdir("/RecycleBin", &a), Err(CurveError::AuthFail));
    assert_eq!(c.open("/pool/../pool/sub/v", &a), Err(CurveError::ParamError));
    assert_eq!(c.open("pool/sub/v", &a), Err(CurveError::ParamError));
}

#[test]
fn delete_goes_through_the_recycle_bin() {
    let (_d, c) = setup();
    let u = alice();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    let fd = c.open("/pool/v", &u).unwrap();
    c.write(fd, &[5u8; 4096], 0).unwrap();
    assert_eq!(c.unlink("/pool/v", &u), Err(CurveError::FileOccupied), "open files stay");
    assert_eq!(c.open_clients("/pool/v", &u).unwrap().len(), 1);
    c.close(fd).unwrap();
    let id = c.stat_file("/pool/v", &u).unwrap().id;
    let binned = c.unlink("/pool/v", &u).unwrap();
    assert!(binned.starts_with(&format!("/RecycleBin/v-{id}-")), "{binned}");
    assert_eq!(c.stat_file("/pool/v", &u), Err(CurveError::NotExist));
    assert_eq!(c.delete_force("/pool/v", &u), Err(CurveError::NotExist));
    c.recover("/pool/v", &u, id).unwrap();
    let fd = c.open("/pool/v", &u).unwrap();
    let mut buf = [0u8; 4096];
    c.read(fd, &mut buf, 0).unwrap();
    assert_eq!(buf, [5u8; 4096], "recovered with its data");
    c.close(fd).unwrap();
    let binned = c.unlink("/pool/v", &u).unwrap();
    assert_eq!(c.delete_force("/pool/other", &u), Err(CurveError::NotExist));
    c.delete_force(&binned, &u).unwrap();
    assert_eq!(c.recover("/pool/v", &u, id), Err(CurveError::NotExist));
    assert!(!c.store().chunks.volume_dir(id).exists(), "chunks freed");
}

#[test]
fn a_new_epoch_fences_the_old_writer() {
    let (_d, c) = setup();
    let u = alice();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    let old = c.open("/pool/v", &u).unwrap();
    c.write(old, &[1u8; 4096], 0).unwrap();
    assert_eq!(c.increase_epoch("/pool/v", &u).unwrap(), 1);
    assert_eq!(c.write(old, &[2u8; 4096], 0), Err(CurveError::EpochTooOld));
    let new = c.open("/pool/v", &u).unwrap();
    c.write(new, &[3u8; 4096], 0).unwrap();
    let mut buf = [0u8; 4096];
    c.read(old, &mut buf, 0).unwrap();
    assert_eq!(buf, [3u8; 4096], "reads still work; the fenced write never landed");
}

#[test]
fn snapshots_copy_out_first_fully_then_incrementally() {
    let (_d, c) = setup();
    let u = alice();
    c.store().create("/pool/v", &u, 10 * GIB, Some(MIB)).unwrap();
    let fd = c.open("/pool/v", &u).unwrap();
    for i in 0..8u64 {
        c.write(fd, &vec![i as u8 + 1; 4096], i * MIB).unwrap();
    }
    let s1 = c.create_snapshot("/pool/v", &u, "s1").unwrap();
    let info1 = c.snapshot_info(&s1).unwrap();
    assert_eq!((info1.status, info1.copied, info1.chunks.len()), (TaskStatus::Done, 8, 8));
    // Two chunks change, one is new.
    c.write(fd, &[0xAA; 4096], 0).unwrap();
    c.write(fd, &[0xBB; 4096], 3 * MIB).unwrap();
    c.write(fd, &[0xCC; 4096], 100 * MIB).unwrap();
    let s2 = c.create_snapshot("/pool/v", &u, "s2").unwrap();
    let info2 = c.snapshot_info(&s2).unwrap();
    assert_eq!((info2.copied, info2.chunks.len()), (3, 9), "only what changed is copied");
    // The in-cluster snapshots are gone; the volume keeps no extra copies.
    assert!(c.stat_file("/pool/v", &u).unwrap().snaps.is_empty());
    // Each snapshot reads back as it was, from the snapshot store.
    let mut buf = vec![0u8; 4096];
    let store = c.store();
    rbdshim_backend_curve::snapshot::read_snapshot(store, &info1, 0, &mut buf).unwrap();
    assert_eq!(buf, vec![1u8; 4096]);
    rbdshim_backend_curve::snapshot::read_snapshot(store, &info2, 0, &mut buf).unwrap();
    assert_eq!(buf, vec![0xAA; 4096]);
    rbdshim_backend_curve::snapshot::read_snapshot(store, &info1, 100 * MIB, &mut buf).unwrap();
    assert_eq!(buf, vec![0u8; 4096]);
    // Deleting the first keeps the objects the second shares.
    c.delete_snapshot(&u, &s1).unwrap();
    rbdshim_backend_curve::snapshot::read_snapshot(store, &info2, 5 * MIB, &mut buf).unwrap();
    assert_eq!(buf, vec![6u8; 4096]);
    assert_eq!(c.snapshot_info(&s1), Err(CurveError::NotExist));
    assert_eq!(c.delete_snapshot(&UserInfo::new("bob"), &s2), Err(CurveError::AuthFail));
}

#[test]
fn lazy_clones_copy_on_read_and_flatten() {
    let (_d, c) = setup();
    let u = alice();
    c.store().create("/pool/src", &u, 10 * GIB, Some(MIB)).unwrap();
    let fd = c.open("/pool/src", &u).unwrap();
    for i in 0..4u64 {
        c.write(fd, &vec![i as u8 + 10; 4096], i * MIB).unwrap();
    }
    let snap = c.create_snapshot("/pool/src", &u, "base").unwrap();
    // The source changes after the snapshot: clones of the snapshot must not see it.
    c.write(fd, &[0xEE; 4096], 0).unwrap();
    c.close(fd).unwrap();
    let task = c.clone_volume(&u, CloneFrom::Snapshot(&snap), "/pool/clone", true).unwrap();
    assert_eq!(c.delete_snapshot(&u, &snap), Err(CurveError::DeleteBeingCloned));
    let cfd = c.open("/pool/clone", &u).unwrap();
    let mut buf = vec![0u8; 4096];
    c.read(cfd, &mut buf, MIB).unwrap();
    assert_eq!(buf, vec![11u8; 4096], "copy-on-read from the snapshot");
    c.write(cfd, &[0x77; 4096], 2 * MIB + 4096).unwrap();
    c.read(cfd, &mut buf, 2 * MIB).unwrap();
    assert_eq!(buf, vec![12u8; 4096], "a partial write kept the rest of its chunk");
    c.flatten("/pool/clone", &u).unwrap();
    let t = c.clone_tasks().unwrap().into_iter().find(|t| t.uuid == task).unwrap();
    assert_eq!((t.status, t.done), (TaskStatus::Done, t.total));
    assert_eq!(c.stat_file("/pool/clone", &u).unwrap().status, rbdshim_backend_curve::namespace::FileStatus::Cloned);
    c.read(cfd, &mut buf, 0).unwrap();
    assert_eq!(buf, vec![10u8; 4096]);
    c.read(cfd, &mut buf, 2 * MIB + 4096).unwrap();
    assert_eq!(buf, vec![0x77; 4096]);
    // Flattened: the snapshot may go now.
    c.delete_snapshot(&u, &snap).unwrap();
    c.read(cfd, &mut buf, 3 * MIB).unwrap();
    assert_eq!(buf, vec![13u8; 4096]);
    // A lazy clone of a volume holds the volume until it is flattened.
    c.clone_volume(&u, CloneFrom::Volume("/pool/src"), "/pool/c2", false).unwrap();
    c.unlink("/pool/src", &u).unwrap();
    c.clone_volume(&u, CloneFrom::Volume("/pool/clone"), "/pool/c3", true).unwrap();
    let fd3 = c.open("/pool/c3", &u).unwrap();
    c.read(fd3, &mut buf, 0).unwrap();
    assert_eq!(buf, vec![10u8; 4096]);
    let c2 = c.open("/pool/c2", &u).unwrap();
    c.read(c2, &mut buf, 0).unwrap();
    assert_eq!(buf, vec![0xEE; 4096]);
}

/// The role a re-run of this binary plays: opens a volume and waits to be killed.
#[test]
fn child_role() {
    let Ok(dir) = std::env::var("CURVE_TEST_CHILD_DIR") else { return };
    let c = client(std::path::Path::new(&dir));
    let fd = c.open("/pool/v", &alice()).unwrap();
    c.write(fd, &[9u8; 4096], 0).unwrap();
    println!("@@ open");
    std::thread::sleep(std::time::Duration::from_secs(60));
}

#[test]
fn a_killed_clients_session_ends() {
    let (d, c) = setup();
    let u = alice();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    let mut child = common::spawn_open_child("CURVE_TEST_CHILD_DIR", d.path().as_os_str());
    assert_eq!(c.unlink("/pool/v", &u), Err(CurveError::FileOccupied));
    child.kill().unwrap();
    child.wait().unwrap();
    let binned = c.unlink("/pool/v", &u).unwrap();
    c.delete_force(&binned, &u).unwrap();
}

#[test]
fn damaged_metadata_is_refused_and_orphans_are_swept() {
    use rbdshim_backend::Backend;
    let d = tempfile::tempdir().unwrap();
    let spec = d.path().display().to_string();
    {
        let b = rbdshim_backend_curve::CurveBackend::open(&spec).unwrap();
        let pool = b.pool_create("p").unwrap();
        let loc = rbdshim_backend::Loc::new(pool, "");
        b.volume_create(&loc, "v", rbdshim_backend::VolumeSpec { size: 1 << 20, order: 20, owner: None }).unwrap();
        assert!(b.fsck(false).unwrap().is_clean());
        // Chunk space without a namespace entry: what a crash between the two leaves.
        b.store().chunks.create(999, MIB).unwrap();
        let r = b.fsck(false).unwrap();
        assert!(r.is_clean() && r.repaired.len() == 1, "{r:?}");
        b.fsck(true).unwrap();
        assert!(b.fsck(false).unwrap().repaired.is_empty());
    }
    let log = d.path().join("meta").join("log");
    let mut raw = std::fs::read(&log).unwrap();
    let mid = raw.len() / 2;
    raw[mid] ^= 0x5a;
    std::fs::write(&log, raw).unwrap();
    match rbdshim_backend_curve::CurveBackend::open(&spec) {
        Err(rbdshim_backend::Error::Corrupt(_)) => {}
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("a damaged metadata log was accepted"),
    }
}

#[test]
fn rbd_removal_goes_through_the_recycle_bin_and_frees_the_chunks() {
    use rbdshim_backend::Backend;
    let d = tempfile::tempdir().unwrap();
    let b = rbdshim_backend_curve::CurveBackend::open(&d.path().display().to_string()).unwrap();
    let loc = rbdshim_backend::Loc::new(b.pool_create("p").unwrap(), "");
    b.volume_create(&loc, "v", rbdshim_backend::VolumeSpec { size: 1 << 20, order: 22, owner: None }).unwrap();
    let admin = UserInfo::new("admin");
    let id = b.store().ns.lookup("/p/v", &admin).unwrap().id;
    b.volume_remove(&loc, "v").unwrap();
    assert_eq!(b.store().ns.lookup("/p/v", &admin), Err(CurveError::NotExist));
    assert!(b.store().ns.listdir("/RecycleBin", &root()).unwrap().is_empty());
    assert!(!b.store().chunks.volume_dir(id).exists());
}

#[test]
fn rename_keeps_the_trees_rules() {
    let (_d, c) = setup();
    let u = alice();
    c.mkdir("/pool/dir", &u).unwrap();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    assert_eq!(c.rename(&u, "/pool/v", "/RecycleBin/v"), Err(CurveError::ParamError), "only Unlink reaches the bin");
    assert_eq!(c.rename(&u, "/pool", "/pool/dir/inner"), Err(CurveError::ParamError), "never into itself");
    let fd = c.open("/pool/v", &u).unwrap();
    assert_eq!(c.rename(&u, "/pool/v", "/pool/w"), Err(CurveError::FileOccupied));
    c.close(fd).unwrap();
    c.rename(&u, "/pool/v", "/pool/dir/w").unwrap();
    assert_eq!(c.stat_file("/pool/dir/w", &u).unwrap().length, 10 * GIB);
    assert_eq!(c.rename(&UserInfo::new("bob"), "/pool/dir/w", "/pool/x"), Err(CurveError::AuthFail));
}

#[test]
fn rbd_users_own_the_volumes_they_create() {
    use rbdshim_backend::Backend;
    let d = tempfile::tempdir().unwrap();
    let b = rbdshim_backend_curve::CurveBackend::open(&d.path().display().to_string()).unwrap();
    let loc = rbdshim_backend::Loc::new(b.pool_create("images").unwrap(), "");
    let spec = |owner: Option<&str>| rbdshim_backend::VolumeSpec {
        size: 1 << 20,
        order: 22,
        owner: owner.map(str::to_string),
    };
    b.volume_create(&loc, "g", spec(Some("glance"))).unwrap();
    b.volume_create(&loc, "n", spec(Some("nova"))).unwrap();
    b.volume_create(&loc, "a", spec(None)).unwrap();
    let ns = &b.store().ns;
    // Directories belong to the store's owner, volumes to whoever created them.
    assert_eq!(ns.lookup("/images", &root()).unwrap().owner, "admin");
    assert_eq!(ns.lookup("/images/g", &root()).unwrap().owner, "glance");
    assert_eq!(ns.lookup("/images/n", &root()).unwrap().owner, "nova");
    assert_eq!(ns.lookup("/images/a", &root()).unwrap().owner, "admin");
    // Both users' volumes in one shared pool stay usable through RBD (the RBD layer is root).
    for id in ["g", "n", "a"] {
        let v = b.volume_open(&loc, id).unwrap();
        v.write(&rbdshim_backend::SnapContext::default(), 0, &[1u8; 4096]).unwrap();
        b.volume_remove(&loc, id).unwrap();
    }
    // Outside RBD the store's own rule holds: another owner is refused along the path.
    assert_eq!(ns.lookup("/images", &UserInfo::new("glance")).map(|_| ()), Err(CurveError::AuthFail));
}
