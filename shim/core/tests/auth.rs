//! Users, keys and caps: connecting as an entity of the store's auth database, and every kind
//! of operation checked against its caps (-EACCES at connect, -EPERM for data, -EACCES for
//! monitor commands), on whichever store the suite runs.

mod common;

use rbdshim_core::monitor;
use rbdshim_core::{manage, Cluster, CreateOptions, Image, IoCtx};
use serde_json::json;
use std::sync::Arc;

const MIB: u64 = 1 << 20;

struct Store {
    dir: tempfile::TempDir,
    spec: String,
    admin: Arc<Cluster>,
}

fn store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let spec = common::spec(dir.path());
    let admin = common::connect(&spec);
    for p in ["images", "vms", "volumes"] {
        admin.pool_create(p).unwrap();
    }
    Store { dir, spec, admin }
}

impl Store {
    /// `ceph auth get-or-create ENTITY CAPS...` as admin; returns the key.
    fn user(&self, entity: &str, caps: &[&str]) -> String {
        let cmd = json!({"prefix": "auth get-or-create-key", "entity": entity, "caps": caps, "format": "json"});
        let (out, _) = monitor::command(&self.admin, &cmd.to_string()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        v["key"].as_str().unwrap().to_string()
    }

    /// A handle for `name` (a full entity name) with the given options set, not yet connected.
    fn handle(&self, name: &str, opts: &[(&str, &str)]) -> Arc<Cluster> {
        let c = Cluster::new(None, Some(name), true).unwrap();
        c.conf_set("rbdshim_backend", &self.spec).unwrap();
        // Never the host's keyrings: only what a test gives.
        c.conf_set("keyring", &self.dir.path().join("no-such-keyring").display().to_string()).unwrap();
        for (k, v) in opts {
            c.conf_set(k, v).unwrap();
        }
        c
    }

    fn connect_as(&self, name: &str, key: &str) -> Arc<Cluster> {
        let c = self.handle(name, &[("key", key)]);
        c.connect().unwrap();
        c
    }
}

fn errno<T, E: Into<rbdshim_core::Error>>(r: Result<T, E>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.into().errno(),
    }
}

fn io(c: &Arc<Cluster>, pool: &str) -> IoCtx {
    c.ioctx(pool).unwrap()
}

#[test]
fn connect_needs_a_known_entity_and_its_key() {
    let s = store();
    let key = s.user("client.glance", &["mon", "profile rbd", "osd", "profile rbd pool=images"]);
    s.connect_as("client.glance", &key);
    let admin_key = s.user("client.admin", &[]);

    // Wrong key, unknown entity: -EACCES. No key at all: cephx is dropped, none is refused: -ENOENT.
    assert_eq!(errno(s.handle("client.glance", &[("key", &admin_key)]).connect()), libc::EACCES);
    assert_eq!(errno(s.handle("client.nobody", &[("key", &key)]).connect()), libc::EACCES);
    assert_eq!(errno(s.handle("client.glance", &[]).connect()), libc::ENOENT);
    assert_eq!(errno(s.handle("client.glance", &[("key", "not base64!")]).connect()), libc::EINVAL);
    // client.admin: its own key, or none at all (the store is its keyring); never a wrong one.
    s.connect_as("client.admin", &admin_key);
    s.handle("client.admin", &[]).connect().unwrap();
    // A keyring that exists without client.admin in it is no licence to be admin.
    let other_ring = s.dir.path().join("other.keyring");
    std::fs::write(&other_ring, format!("[client.glance]\n\tkey = {key}\n")).unwrap();
    let path = other_ring.display().to_string();
    assert_eq!(errno(s.handle("client.admin", &[("keyring", &path)]).connect()), libc::ENOENT);
    assert_eq!(errno(s.handle("client.admin", &[("key", &key)]).connect()), libc::EACCES);

    // The key from a keyring found through `keyring` (with $name expanded), or a keyfile.
    let ring = s.dir.path().join("ceph.client.glance.keyring");
    std::fs::write(&ring, format!("[client.glance]\n\tkey = {key}\n")).unwrap();
    let pattern = s.dir.path().join("missing.keyring").display().to_string()
        + ","
        + &s.dir.path().join("$cluster.$name.keyring").display().to_string();
    s.handle("client.glance", &[("keyring", &pattern)]).connect().unwrap();
    let keyfile = s.dir.path().join("glance.key");
    std::fs::write(&keyfile, format!("{key}\n")).unwrap();
    s.handle("client.glance", &[("keyfile", &keyfile.display().to_string())]).connect().unwrap();
    // A keyring without the entity's section: no key.
    std::fs::write(&ring, format!("[client.other]\n\tkey = {key}\n")).unwrap();
    assert_eq!(errno(s.handle("client.glance", &[("keyring", &pattern)]).connect()), libc::ENOENT);
    // A malformed keyring is an error naming it, not a crash.
    std::fs::write(&ring, "[client.glance\n\tkey = \n").unwrap();
    let e = s.handle("client.glance", &[("keyring", &pattern)]).connect().unwrap_err();
    assert_eq!(e.errno(), libc::EIO, "Ceph's KeyRing::load");
    assert!(e.to_string().contains("ceph.client.glance.keyring"), "{e}");
    // Removed entities can no longer connect.
    let rm = json!({"prefix": "auth rm", "entity": "client.glance"});
    monitor::command(&s.admin, &rm.to_string()).unwrap();
    assert_eq!(errno(s.handle("client.glance", &[("key", &key)]).connect()), libc::EACCES);
}

#[test]
fn auth_none_as_in_ceph() {
    let s = store();
    // A client that only speaks none, against a store that requires cephx: -ENOENT.
    assert_eq!(errno(s.handle("client.admin", &[("auth_supported", "none")]).connect()), libc::ENOENT);
    assert_eq!(errno(s.handle("client.x", &[("auth_client_required", "none")]).connect()), libc::ENOENT);
    let set = json!({"prefix": "config set", "who": "mon", "name": "auth_service_required", "value": "none"});
    monitor::command(&s.admin, &set.to_string()).unwrap();
    let get = json!({"prefix": "config get", "who": "mon", "key": "auth_service_required"});
    assert_eq!(monitor::command(&s.admin, &get.to_string()).unwrap().0, b"none\n");
    // Now anyone may connect without a key, and do anything (Ceph's auth none has no caps).
    let c = s.handle("client.x", &[("auth_supported", "none")]);
    c.connect().unwrap();
    manage::create(&io(&c, "images"), "free", MIB, &CreateOptions::default()).unwrap();
    let bad = json!({"prefix": "config set", "who": "mon", "name": "auth_service_required", "value": "kerberos"});
    assert_eq!(errno(monitor::command(&s.admin, &bad.to_string())), libc::EINVAL);
    let bad = json!({"prefix": "config set", "who": "client.x", "name": "auth_service_required", "value": "cephx"});
    assert_eq!(errno(monitor::command(&s.admin, &bad.to_string())), libc::EINVAL);
}

#[test]
fn caps_confine_a_user_to_its_pools() {
    let s = store();
    let key = s.user("client.glance", &["mon", "profile rbd", "osd", "profile rbd pool=images"]);
    let g = s.connect_as("client.glance", &key);
    let images = io(&g, "images");
    let volumes = io(&g, "volumes");
    let opts = CreateOptions::default();
    manage::create(&images, "img", 4 * MIB, &opts).unwrap();
    let img = Image::open(&images, "img", None, false).unwrap();
    img.write(0, &[7u8; 4096]).unwrap();
    img.snap_create("snap").unwrap();
    img.snap_protect("snap").unwrap();
    img.close().unwrap();
    assert_eq!(manage::list(&images).unwrap(), ["img"]);

    // Another pool: nothing at all.
    manage::create(&io(&s.admin, "volumes"), "vol", MIB, &opts).unwrap();
    assert_eq!(errno(manage::list(&volumes)), libc::EPERM);
    assert_eq!(errno(manage::create(&volumes, "x", MIB, &opts)), libc::EPERM);
    assert_eq!(errno(Image::open(&volumes, "vol", None, true)), libc::EPERM);
    assert_eq!(errno(manage::remove(&volumes, "vol")), libc::EPERM);
    assert_eq!(errno(manage::trash_list(&volumes)), libc::EPERM);
    assert_eq!(errno(rbdshim_core::pool::metadata_set(&volumes, "k", "v")), libc::EPERM);
    assert_eq!(errno(volumes.objects().write_full(&volumes.loc(), "obj", b"x")), libc::EPERM);
    assert_eq!(errno(volumes.objects().list(volumes.pool_id(), None)), libc::EPERM);
    // Pools are the monitor's: -EPERM through librados, -EACCES as a command.
    assert_eq!(errno(g.pool_create("mine")), libc::EPERM);
    assert_eq!(errno(g.pool_delete("images")), libc::EPERM);
    let cmd = json!({"prefix": "osd pool create", "pool": "mine"});
    assert_eq!(errno(monitor::command(&g, &cmd.to_string())), libc::EACCES);
    let cmd = json!({"prefix": "auth ls"});
    assert_eq!(errno(monitor::command(&g, &cmd.to_string())), libc::EACCES);
    // profile rbd on the monitor reads its maps.
    let cmd = json!({"prefix": "osd pool ls"});
    monitor::command(&g, &cmd.to_string()).unwrap();
    // Nothing changed in the pool it could not reach.
    assert_eq!(manage::list(&io(&s.admin, "volumes")).unwrap(), ["vol"]);
    assert!(io(&s.admin, "volumes").objects().list(volumes.pool_id(), None).unwrap().is_empty());
}

#[test]
fn nova_reads_images_and_writes_vms() {
    let s = store();
    let admin_images = io(&s.admin, "images");
    let opts = CreateOptions::default();
    manage::create(&admin_images, "base", 8 * MIB, &opts).unwrap();
    let base = Image::open(&admin_images, "base", None, false).unwrap();
    base.write(0, &[1u8; 65536]).unwrap();
    base.snap_create("snap").unwrap();
    base.snap_protect("snap").unwrap();
    base.close().unwrap();

    let key = s
        .user("client.nova", &["mon", "profile rbd", "osd", "profile rbd pool=vms, profile rbd-read-only pool=images"]);
    let n = s.connect_as("client.nova", &key);
    let (images, vms) = (io(&n, "images"), io(&n, "vms"));
    // Read on images: list, open read-only, read; every change -EPERM.
    assert_eq!(manage::list(&images).unwrap(), ["base"]);
    let ro = Image::open(&images, "base", None, true).unwrap();
    assert_eq!(ro.read_vec(0, 4096).unwrap(), vec![1u8; 4096]);
    ro.close().unwrap();
    assert_eq!(errno(Image::open(&images, "base", None, false)), libc::EPERM);
    assert_eq!(errno(manage::create(&images, "x", MIB, &opts)), libc::EPERM);
    assert_eq!(errno(manage::remove(&images, "base")), libc::EPERM);
    assert_eq!(errno(manage::trash_move(&images, "base", 0)), libc::EPERM);
    assert_eq!(errno(rbdshim_core::clone::clone(&vms, "x", "snap", &images, "c", &opts)), libc::EPERM);
    // A read-only handle cannot take or break advisory locks (cls_lock writes).
    let ro = Image::open(&images, "base", None, true).unwrap();
    assert_eq!(errno(ro.advisory_lock(rbdshim_core::lock::LockMode::Exclusive, "c", "")), libc::EPERM);
    ro.close().unwrap();

    // The clone from images into vms works, and so does everything on the clone.
    rbdshim_core::clone::clone(&images, "base", "snap", &vms, "disk", &opts).unwrap();
    let disk = Image::open(&vms, "disk", None, false).unwrap();
    assert_eq!(disk.read_vec(0, 4096).unwrap(), vec![1u8; 4096]);
    disk.write(4096, &[2u8; 4096]).unwrap();
    disk.flatten().unwrap();
    disk.close().unwrap();
    // A clone's parent must be readable: a user with caps on vms only cannot open it.
    rbdshim_core::clone::clone(&images, "base", "snap", &vms, "disk2", &opts).unwrap();
    let key = s.user("client.vmsonly", &["mon", "profile rbd", "osd", "profile rbd pool=vms"]);
    let v = s.connect_as("client.vmsonly", &key);
    assert_eq!(errno(Image::open(&io(&v, "vms"), "disk2", None, true)), libc::EPERM);
    // Reading a pool without the rbd-read-only profile does not let a clone attach to it.
    let key =
        s.user("client.plain", &["mon", "profile rbd", "osd", "profile rbd pool=vms, allow r class-read pool=images"]);
    let p = s.connect_as("client.plain", &key);
    Image::open(&io(&p, "images"), "base", None, true).unwrap().close().unwrap();
    assert_eq!(
        errno(rbdshim_core::clone::clone(&io(&p, "images"), "base", "snap", &io(&p, "vms"), "d3", &opts)),
        libc::EPERM
    );
    manage::remove(&vms, "disk").unwrap();
    manage::remove(&vms, "disk2").unwrap();
    let base = Image::open(&admin_images, "base", None, true).unwrap();
    assert_eq!(base.read_vec(0, 8192).unwrap(), vec![1u8; 8192]);
}

#[test]
fn namespaces_and_object_grants() {
    let s = store();
    let admin_vms = io(&s.admin, "vms");
    manage::namespace_create(&admin_vms, "tenant").unwrap();
    let key = s.user(
        "client.t",
        &["mon", "profile rbd", "osd", "profile rbd pool=vms namespace=tenant, allow r pool=volumes"],
    );
    let t = s.connect_as("client.t", &key);
    let vms = io(&t, "vms");
    assert_eq!(errno(manage::create(&vms, "x", MIB, &CreateOptions::default())), libc::EPERM);
    vms.set_namespace(Some("tenant"));
    manage::create(&vms, "x", MIB, &CreateOptions::default()).unwrap();
    assert_eq!(manage::list(&vms).unwrap(), ["x"]);
    // Namespaces themselves are the pool's: not for a user confined to one.
    assert_eq!(errno(manage::namespace_create(&vms, "other")), libc::EPERM);
    assert_eq!(errno(manage::namespace_remove(&vms, "tenant")), libc::EPERM);
    assert_eq!(errno(manage::namespace_list(&vms)), libc::EPERM);
    // Pool statistics come from the monitor: mon `profile rbd` reads them.
    vms.pool_stat().unwrap();
    // fsck is an administrator's.
    assert_eq!(errno(rbdshim_core::fsck::fsck(&t, false)), libc::EPERM);
    rbdshim_core::fsck::fsck(&s.admin, false).unwrap();

    // `allow command ... with`: only the command with those arguments.
    let key = s.user(
        "client.reader",
        &["mon", "allow command \"auth get\" with entity=client.t", "osd", "allow r pool=volumes"],
    );
    let r = s.connect_as("client.reader", &key);
    monitor::command(&r, &json!({"prefix": "auth get", "entity": "client.t"}).to_string()).unwrap();
    let admin_key = json!({"prefix": "auth get", "entity": "client.admin"});
    assert_eq!(errno(monitor::command(&r, &admin_key.to_string())), libc::EACCES);
    assert_eq!(errno(monitor::command(&r, r#"{"prefix": "no such command"}"#)), libc::EINVAL);
    // Object locks are class calls: `allow r` cannot take them.
    let lock = rbdshim_core::objlock::LockRequest {
        mode: rbdshim_core::lock::LockMode::Exclusive,
        cookie: "c",
        tag: "",
        desc: "",
        duration: None,
        flags: 0,
    };
    let rio = io(&r, "volumes");
    assert_eq!(errno(rio.object_lock("obj", "l", &lock)), libc::EPERM);
    // `allow r`: objects may be read, not written; images need class reads too.
    let admin_vol = io(&s.admin, "volumes");
    admin_vol.objects().write_full(&admin_vol.loc(), "obj", b"data").unwrap();
    let vol = io(&t, "volumes");
    assert_eq!(vol.objects().read(&vol.loc(), "obj", 0, 4).unwrap(), b"data");
    assert_eq!(errno(vol.objects().write_full(&vol.loc(), "obj", b"gone")), libc::EPERM);
    assert_eq!(errno(vol.objects().omap_clear(&vol.loc(), "obj")), libc::EPERM);
    assert_eq!(errno(manage::list(&vol)), libc::EPERM);
    assert_eq!(admin_vol.objects().read(&admin_vol.loc(), "obj", 0, 4).unwrap(), b"data");
}

#[test]
fn store_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    // A permissive umask: the modes must come from the store, not from the environment.
    // SAFETY: umask has no preconditions; other tests only get more permissive modes from it.
    unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let admin = common::connect(&common::spec(&root));
    admin.pool_create("p").unwrap();
    let io = io(&admin, "p");
    manage::create(&io, "img", 4 * MIB, &CreateOptions::default()).unwrap();
    let img = Image::open(&io, "img", None, false).unwrap();
    img.write(0, &[3u8; 8192]).unwrap();
    img.snap_create("s").unwrap();
    img.write(0, &[4u8; 8192]).unwrap();
    io.objects().write_full(&io.loc(), "obj", b"x").unwrap();
    let cmd = json!({"prefix": "auth get-or-create", "entity": "client.u", "caps": ["mon", "allow r"]});
    monitor::command(&admin, &cmd.to_string()).unwrap();
    let mut seen = 0;
    let mut stack = vec![root.clone()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!(meta.permissions().mode() & 0o077, 0, "{} is open to others", p.display());
        seen += 1;
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    assert!(seen > 5, "only {seen} entries");
    img.close().unwrap();
}
