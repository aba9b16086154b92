//! The `rbd` binary end to end on a fresh file store per test: every command, JSON checked
//! field by field, export/import and diff chains byte for byte, and bad input refused with
//! Ceph's message and exit status, leaving images unchanged.

use rbdshim_core::Image;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::Store;

impl Store {
    fn new() -> Store {
        let s = Store::empty();
        let c = s.cluster();
        c.pool_create("rbd").unwrap();
        c.pool_create("vms").unwrap();
        s
    }

    fn run_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.exec(env!("CARGO_BIN_EXE_rbd"), args, stdin)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, None)
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(o.status.success(), "rbd {args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("rbd {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects failure with `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(code), "rbd {args:?}: stderr {err}");
        assert!(!err.contains("panicked"), "rbd {args:?} panicked: {err}");
        err
    }

    fn image(&self, pool: &str, name: &str) -> Image {
        Image::open(&self.cluster().ioctx(pool).unwrap(), name, None, false).unwrap()
    }

    fn read_all(&self, pool: &str, spec: &str) -> Vec<u8> {
        let (name, snap) = match spec.split_once('@') {
            Some((n, s)) => (n, Some(s)),
            None => (spec, None),
        };
        let img = Image::open(&self.cluster().ioctx(pool).unwrap(), name, snap, true).unwrap();
        let n = img.size().unwrap() as usize;
        let v = img.read_vec(0, n).unwrap();
        img.close().unwrap();
        v
    }
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)).collect()
}

fn write(s: &Store, pool: &str, name: &str, off: u64, data: &[u8]) {
    let img = s.image(pool, name);
    img.write(off, data).unwrap();
    img.close().unwrap();
}

#[test]
fn create_info_ls_resize_rm() {
    let s = Store::new();
    s.ok(&["create", "--size", "64", "a"]);
    s.ok(&["create", "-s", "1G", "--object-size", "1M", "--image-feature", "layering", "vms/b"]);
    s.ok(&["create", "--size=2T", "--pool", "vms", "--image", "c", "--order", "20"]);
    assert_eq!(s.ok(&["ls"]), "a\n");
    assert_eq!(s.json(&["ls", "vms", "--format", "json"]), serde_json::json!(["b", "c"]));
    assert_eq!(s.ok(&["ls", "-p", "vms", "--format", "xml"]), "<images><name>b</name><name>c</name></images>\n");
    let info = s.json(&["info", "vms/b", "--format=json"]);
    assert_eq!(info["name"], "b");
    assert_eq!(info["size"], 1u64 << 30);
    assert_eq!(info["objects"], 1024);
    assert_eq!(info["order"], 20);
    assert_eq!(info["object_size"], 1 << 20);
    assert_eq!(info["snapshot_count"], 0);
    assert_eq!(info["format"], 2);
    assert_eq!(info["features"], serde_json::json!(["layering"]));
    assert_eq!(info["op_features"], serde_json::json!([]));
    assert_eq!(info["block_name_prefix"], format!("rbd_data.{}", info["id"].as_str().unwrap()));
    assert!(info["create_timestamp"].as_str().unwrap().len() >= 24);
    let plain = s.ok(&["info", "a"]);
    assert!(plain.starts_with("rbd image 'a':\n\tsize 64 MiB in 16 objects\n\torder 22 (4 MiB objects)\n"), "{plain}");
    assert!(plain.contains("\tfeatures: layering, exclusive-lock, object-map, fast-diff, deep-flatten\n"));
    assert_eq!(s.json(&["info", "vms/c", "--format", "json"])["size"], 2u64 << 40);
    // Pretty JSON is the same document.
    assert_eq!(s.json(&["info", "vms/b", "--format", "json", "--pretty-format"]), info);
    // resize: grow, refuse a shrink without --allow-shrink, then shrink.
    s.ok(&["resize", "--size", "128M", "a", "--no-progress"]);
    assert_eq!(s.json(&["info", "a", "--format", "json"])["size"], 128u64 << 20);
    let err = s.fails(&["resize", "-s", "1M", "a"], 22);
    assert!(err.contains("rbd: shrinking an image is only allowed with the --allow-shrink flag"), "{err}");
    s.ok(&["resize", "-s", "1M", "--allow-shrink", "a"]);
    assert_eq!(s.json(&["info", "a", "--format", "json"])["size"], 1u64 << 20);
    // mv, cp, rm
    s.ok(&["mv", "a", "a2"]);
    s.ok(&["rename", "rbd/a2", "rbd/a3"]);
    write(&s, "rbd", "a3", 4096, &pattern(1, 8192));
    s.ok(&["cp", "a3", "vms/a4"]);
    assert_eq!(s.read_all("vms", "a4"), s.read_all("rbd", "a3"));
    s.ok(&["deep", "cp", "a3", "vms/a5"]);
    assert_eq!(s.read_all("vms", "a5"), s.read_all("rbd", "a3"));
    let err = s.fails(&["mv", "a3", "vms/x"], 22);
    assert!(err.contains("rbd: mv/rename across pools not supported"), "{err}");
    s.ok(&["rm", "a3"]);
    s.ok(&["remove", "vms/a4", "--no-progress"]);
    assert_eq!(s.ok(&["ls"]), "");
    let long = s.json(&["ls", "-l", "vms", "--format", "json"]);
    let names: Vec<&str> = long.as_array().unwrap().iter().map(|x| x["image"].as_str().unwrap()).collect();
    assert_eq!(names, ["a5", "b", "c"]);
    assert_eq!(long[1]["size"], 1u64 << 30);
    assert_eq!(long[1]["format"], 2);
}

#[test]
fn errors_have_cephs_messages_and_exit_codes() {
    let s = Store::new();
    let err = s.fails(&["info", "nope"], 2);
    assert_eq!(err, "rbd: error opening image nope: (2) No such file or directory\n");
    s.fails(&["rm", "nope"], 2);
    let err = s.fails(&["create", "x"], 22);
    assert!(err.contains("rbd: must specify --size <M/G/T>"), "{err}");
    let err = s.fails(&["create", "--size", "12Q", "x"], 22);
    assert!(err.contains("invalid size"), "{err}");
    s.fails(&["create", "--size", "-1", "x"], 1);
    s.fails(&["create", "--size", "1", "--order", "40", "x"], 22);
    s.ok(&["create", "--size", "1", "x"]);
    let err = s.fails(&["create", "--size", "1", "x"], 17);
    assert_eq!(err, "rbd: create error: (17) File exists\n");
    s.fails(&["frobnicate"], 1);
    s.fails(&["snap", "frobnicate"], 1);
    s.fails(&["info", "a/b/c/d"], 22);
    let err = s.fails(&["info"], 22);
    assert!(err.contains("rbd: image name was not specified"), "{err}");
    let err = s.fails(&["info", "nopool/x"], 2);
    assert!(err.contains("rbd: error opening pool 'nopool'"), "{err}");
    let err = s.fails(&["ls", "--format", "yaml"], 22);
    assert!(err.contains("--format"), "{err}");
    let err = s.fails(&["snap", "create", "x"], 22);
    assert!(err.contains("rbd: snapshot name was not specified"), "{err}");
    let err = s.fails(&["rm", "x@s"], 22);
    assert!(err.contains("snapshot name specified for a command that doesn't use it"), "{err}");
    // A watcher (an open writer elsewhere) makes rm fail EBUSY with Ceph's explanation.
    let img = s.image("rbd", "x");
    let err = s.fails(&["rm", "x"], 16);
    assert!(err.contains("rbd: error: image still has watchers"), "{err}");
    assert!(err.ends_with("rbd: delete error: (16) Device or resource busy\n"), "{err}");
    let st = s.json(&["status", "x", "--format", "json"]);
    assert_eq!(st["watchers"].as_array().unwrap().len(), 1);
    assert_eq!(st["watchers"][0]["cookie"], img.watch_cookie());
    assert!(s.ok(&["status", "x"]).starts_with("Watchers:\n\twatcher="));
    img.close().unwrap();
    assert_eq!(s.ok(&["status", "x"]), "Watchers: none\n");
    // Global options anywhere, config options on the command line and in CEPH_ARGS, a
    // missing conf file.
    s.ok(&["--id", "admin", "ls", "--cluster", "ceph", "-p", "rbd"]);
    s.ok(&["create", "--size", "1", "vms/in-vms"]);
    assert_eq!(s.ok(&["ls", "--rbd-default-pool=vms"]), "in-vms\n");
    let o = Command::new(env!("CARGO_BIN_EXE_rbd"))
        .arg("ls")
        .env("RBDSHIM_BACKEND", &s.spec)
        .env("CEPH_CONF", "/nonexistent")
        .env("CEPH_ARGS", "--id admin --rbd-default-pool vms")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "in-vms\n");
    // As Ceph's rbd: global_init's message, exit status 1.
    let err = s.fails(&["ls", "--conf", "/nonexistent/ceph.conf"], 1);
    assert_eq!(err, "global_init: unable to open config file from search list /nonexistent/ceph.conf\n");
}

#[test]
fn snapshots_clones_children_flatten_du_diff() {
    let s = Store::new();
    s.ok(&["create", "--size", "16M", "base"]);
    write(&s, "rbd", "base", 0, &pattern(1, 1 << 20));
    s.ok(&["snap", "create", "base@s1"]);
    s.ok(&["snap", "add", "--snap", "s2", "base"]);
    let snaps = s.json(&["snap", "ls", "base", "--format", "json"]);
    assert_eq!(snaps.as_array().unwrap().len(), 2);
    assert_eq!(snaps[0]["name"], "s1");
    assert_eq!(snaps[0]["size"], 16u64 << 20);
    assert_eq!(snaps[0]["protected"], "false");
    assert!(snaps[0]["id"].as_u64().unwrap() < snaps[1]["id"].as_u64().unwrap());
    let plain = s.ok(&["snap", "ls", "base"]);
    assert!(plain.starts_with("SNAPID  NAME  "), "{plain}");
    s.ok(&["snap", "rename", "base@s2", "base@s3"]);
    s.ok(&["snap", "rm", "base@s3"]);
    let err = s.fails(&["clone", "base@s1", "child"], 22);
    assert!(err.contains("rbd: clone error"), "{err}");
    s.ok(&["snap", "protect", "base@s1"]);
    s.fails(&["snap", "protect", "base@s1"], 16);
    s.ok(&["clone", "base@s1", "vms/child"]);
    assert_eq!(s.ok(&["children", "base@s1"]), "vms/child\n");
    let kids = s.json(&["children", "base@s1", "--format", "json"]);
    assert_eq!(kids, serde_json::json!([{"pool": "vms", "pool_namespace": "", "image": "child"}]));
    s.ok(&["snap", "create", "vms/child@c1"]);
    s.ok(&["snap", "protect", "vms/child@c1"]);
    // The destination defaults to the source's pool.
    s.ok(&["clone", "vms/child@c1", "grandchild"]);
    assert_eq!(s.ok(&["ls", "vms"]), "child\ngrandchild\n");
    let all = s.json(&["children", "base@s1", "--descendants", "--format", "json"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let info = s.json(&["info", "vms/child", "--format", "json"]);
    assert_eq!(info["parent"]["pool"], "rbd");
    assert_eq!(info["parent"]["image"], "base");
    assert_eq!(info["parent"]["snapshot"], "s1");
    assert_eq!(info["parent"]["overlap"], 16u64 << 20);
    assert!(s.ok(&["info", "vms/child"]).contains("\tparent: rbd/base@s1\n\toverlap: 16 MiB\n"));
    let err = s.fails(&["snap", "unprotect", "base@s1"], 16);
    assert!(err.contains("rbd: unprotecting snap failed"), "{err}");
    let err = s.fails(&["snap", "rm", "base@s1"], 16);
    assert!(err.contains("rbd: snapshot 's1' is protected from removal."), "{err}");
    let err = s.fails(&["rm", "base"], 39);
    assert!(err.contains("rbd snap purge"), "{err}");
    // flatten the grandchild, then child; then unprotect and purge.
    s.ok(&["flatten", "vms/grandchild"]);
    s.ok(&["snap", "unprotect", "vms/child@c1"]);
    s.ok(&["snap", "purge", "vms/child"]);
    s.ok(&["flatten", "vms/child", "--no-progress"]);
    assert_eq!(s.read_all("vms", "child"), s.read_all("rbd", "base@s1"));
    let err = s.fails(&["flatten", "vms/child"], 22);
    assert!(err.contains("rbd: flatten error"), "{err}");
    assert!(s.json(&["info", "vms/child", "--format", "json"]).get("parent").is_none());
    // du and diff
    write(&s, "rbd", "base", 8 << 20, &pattern(2, 4096));
    let du = s.json(&["du", "base", "--format", "json"]);
    let imgs = du["images"].as_array().unwrap();
    assert_eq!(imgs.len(), 2);
    assert_eq!(imgs[0]["snapshot"], "s1");
    assert_eq!(imgs[0]["used_size"], 4u64 << 20);
    assert_eq!(imgs[1]["name"], "base");
    assert_eq!(imgs[1]["used_size"], 4u64 << 20, "one object changed since s1");
    assert_eq!(du["total_used_size"], 8u64 << 20);
    assert!(s.ok(&["du", "base"]).contains("<TOTAL>"));
    let diff = s.json(&["diff", "base", "--from-snap", "s1", "--format", "json"]);
    // The rest of the new object may be reported as a zero extent (it reads as zeros either
    // way); the data extent must be exact.
    let data: Vec<&Value> = diff.as_array().unwrap().iter().filter(|e| e["exists"] == "true").collect();
    assert_eq!(data, [&serde_json::json!({"offset": 8u64 << 20, "length": 4096, "exists": "true"})]);
    assert!(s.ok(&["diff", "base", "--from-snap", "s1", "--whole-object"]).contains("8388608  4194304  data"));
    // rollback
    s.ok(&["snap", "rollback", "base@s1"]);
    assert_eq!(s.read_all("rbd", "base"), s.read_all("rbd", "base@s1"));
    let err = s.fails(&["snap", "purge", "base"], 16);
    assert!(err.contains("which is protected"), "{err}");
}

#[test]
fn metadata_locks_features_trash_namespaces_config_pool() {
    let s = Store::new();
    s.ok(&["create", "--size", "8M", "m"]);
    s.ok(&["image-meta", "set", "m", "k1", "v1"]);
    s.ok(&["image-meta", "set", "m", "k2", "v 2"]);
    assert_eq!(s.ok(&["image-meta", "get", "m", "k1"]), "v1\n");
    assert_eq!(s.json(&["image-meta", "ls", "m", "--format", "json"]), serde_json::json!({"k1": "v1", "k2": "v 2"}));
    assert!(s.ok(&["image-meta", "list", "m"]).starts_with("There are 2 metadata on this image:\n"));
    s.ok(&["image-meta", "rm", "m", "k1"]);
    s.fails(&["image-meta", "get", "m", "k1"], 2);
    // locks
    s.ok(&["lock", "add", "m", "L1"]);
    let err = s.fails(&["lock", "add", "m", "L2"], 16);
    assert!(err.contains("rbd: locking failed"), "{err}");
    let locks = s.json(&["lock", "ls", "m", "--format", "json"]);
    assert_eq!(locks[0]["id"], "L1");
    let locker = locks[0]["locker"].as_str().unwrap().to_string();
    assert!(locker.starts_with("client."));
    assert!(s.ok(&["lock", "ls", "m"]).starts_with("There is 1 exclusive lock on this image.\n"));
    s.ok(&["lock", "rm", "m", "L1", &locker]);
    s.fails(&["lock", "rm", "m", "L1", &locker], 2);
    s.ok(&["lock", "add", "m", "S1", "--shared", "tag"]);
    s.ok(&[
        "lock",
        "remove",
        "m",
        "S1",
        &s.json(&["lock", "ls", "m", "--format", "json"])[0]["locker"].as_str().unwrap().to_string(),
    ]);
    // features
    s.ok(&["feature", "disable", "m", "fast-diff", "object-map"]);
    assert_eq!(
        s.json(&["info", "m", "--format", "json"])["features"],
        serde_json::json!(["layering", "exclusive-lock", "deep-flatten"])
    );
    s.ok(&["feature", "enable", "m", "object-map,fast-diff"]);
    s.fails(&["feature", "enable", "m", "bogus"], 22);
    // config
    s.ok(&["config", "pool", "set", "rbd", "rbd_cache", "false"]);
    assert_eq!(s.ok(&["config", "pool", "get", "rbd", "rbd_cache"]), "false\n");
    s.fails(&["config", "pool", "set", "rbd", "not_rbd", "1"], 22);
    s.ok(&["config", "image", "set", "m", "rbd_cache", "true"]);
    let list = s.json(&["config", "image", "ls", "m", "--format", "json"]);
    assert_eq!(list, serde_json::json!([{"name": "rbd_cache", "value": "true", "source": "image"}]));
    s.ok(&["config", "pool", "rm", "rbd", "rbd_cache"]);
    let err = s.fails(&["config", "pool", "get", "rbd", "rbd_cache"], 2);
    assert!(err.contains("rbd: rbd_cache is not set"), "{err}");
    // pool
    s.ok(&["pool", "init", "rbd"]);
    s.ok(&["snap", "create", "m@s"]);
    let st = s.json(&["pool", "stats", "rbd", "--format", "json"]);
    assert_eq!(st["images"]["count"], 1);
    assert_eq!(st["images"]["snap_count"], 1);
    assert_eq!(st["images"]["provisioned_bytes"], 16u64 << 20);
    assert!(s.ok(&["pool", "stats"]).starts_with("Total Images: 1\nTotal Snapshots: 1\nProvisioned Size: 16 MiB\n"));
    // trash
    s.ok(&["create", "--size", "4M", "t"]);
    s.ok(&["trash", "mv", "t", "--expires-at", "2999-01-01"]);
    let tl = s.json(&["trash", "ls", "--format", "json"]);
    let id = tl[0]["id"].as_str().unwrap().to_string();
    assert_eq!(tl[0]["name"], "t");
    assert!(s.ok(&["trash", "ls", "-l"]).contains("protected until"));
    let err = s.fails(&["trash", "rm", &id], 1);
    assert!(err.contains("deferment time has not expired"), "{err}");
    s.ok(&["trash", "restore", &id, "--image", "t2"]);
    assert!(s.ok(&["ls"]).contains("t2\n"));
    s.ok(&["trash", "move", "t2"]);
    s.ok(&["trash", "purge"]);
    assert_eq!(s.ok(&["trash", "ls"]), "");
    s.fails(&["trash", "mv", "t2", "--expires-at", "not-a-date"], 22);
    // namespaces
    s.ok(&["namespace", "create", "rbd/ns1"]);
    s.ok(&["namespace", "create", "--pool", "rbd", "--namespace", "ns2"]);
    assert_eq!(s.json(&["namespace", "ls", "--format", "json"]), serde_json::json!([{"name": "ns1"}, {"name": "ns2"}]));
    s.ok(&["create", "--size", "1M", "rbd/ns1/img"]);
    assert_eq!(s.ok(&["ls", "rbd/ns1"]), "img\n");
    assert_eq!(s.ok(&["ls", "--namespace", "ns1"]), "img\n");
    s.fails(&["namespace", "rm", "rbd/ns1"], 16);
    s.ok(&["rm", "rbd/ns1/img"]);
    s.ok(&["namespace", "rm", "rbd/ns1"]);
    s.fails(&["ls", "rbd/ns1"], 2);
}

fn decode(path: &Path) -> Value {
    let decoder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../qemu-tests/py/rbd_diff_decode.py");
    let o = Command::new("python3").arg(decoder).arg(path).output().expect("python3");
    assert!(o.status.success(), "decoder: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn export_import_and_diff_chains_reproduce_images() {
    let s = Store::new();
    let p = |n: &str| s.path(n).display().to_string();
    s.ok(&["create", "--size", "32M", "src"]);
    write(&s, "rbd", "src", 0, &pattern(1, 3 << 20));
    write(&s, "rbd", "src", 20 << 20, &pattern(2, 5000));
    // Full export and import, raw and format 2, through files and pipes.
    s.ok(&["export", "src", &p("full.raw")]);
    assert_eq!(std::fs::read(p("full.raw")).unwrap(), s.read_all("rbd", "src"));
    s.fails(&["export", "src", &p("full.raw")], 17);
    s.ok(&["import", &p("full.raw"), "vms/copy1"]);
    assert_eq!(s.read_all("vms", "copy1"), s.read_all("rbd", "src"));
    let piped = s.run(&["export", "src", "-"]).stdout;
    let o = s.run_in(&["import", "-", "vms/copy2"], Some(&piped));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(s.read_all("vms", "copy2"), s.read_all("rbd", "src"));
    // Nova's and Cinder's command lines, as client.cinder with its keyring (found through
    // ceph.conf on their hosts).
    let cmd = r#"{"prefix": "auth get-or-create", "entity": "client.cinder", "caps": ["mon", "profile rbd", "osd", "profile rbd pool=vms"]}"#;
    let (ring, _) = rbdshim_core::monitor::command(&s.cluster(), cmd).unwrap();
    std::fs::write(p("cinder.keyring"), ring).unwrap();
    let kr = p("cinder.keyring");
    s.ok(&[
        "import",
        "--pool",
        "vms",
        &p("full.raw"),
        "uuid_disk",
        "--image-format=2",
        "--id",
        "cinder",
        "--keyring",
        &kr,
        "--conf",
        "/dev/null",
    ]);
    s.ok(&[
        "import",
        "--pool",
        "vms",
        "--order",
        "22",
        &p("full.raw"),
        "volume-1",
        "--new-format",
        "--id",
        "cinder",
        "--keyring",
        &kr,
        "--cluster",
        "ceph",
    ]);
    assert_eq!(s.read_all("vms", "uuid_disk"), s.read_all("rbd", "src"));
    s.ok(&["export", "--pool", "vms", "--image", "uuid_disk", "--path", &p("nova.raw"), "--id", "cinder", "-k", &kr]);
    assert_eq!(std::fs::read(p("nova.raw")).unwrap(), s.read_all("rbd", "src"));
    // Format 2 keeps snapshots.
    s.ok(&["snap", "create", "src@a"]);
    write(&s, "rbd", "src", 1 << 20, &pattern(3, 4096));
    s.ok(&["export", "--export-format", "2", "src", &p("full.v2")]);
    s.ok(&["import", "--export-format", "2", &p("full.v2"), "vms/copy3"]);
    assert_eq!(s.read_all("vms", "copy3@a"), s.read_all("rbd", "src@a"));
    assert_eq!(s.read_all("vms", "copy3"), s.read_all("rbd", "src"));

    // An export-diff chain (Cinder's backup pattern) applied to a fresh image.
    s.ok(&["create", "--size", "32M", "vms/backup"]);
    s.ok(&["export-diff", "--pool", "rbd", "rbd/src@a", &p("d0")]);
    let d0 = decode(&s.path("d0"));
    assert_eq!(d0["to"], "a");
    assert_eq!(d0["size"], 32u64 << 20);
    s.ok(&["import-diff", &p("d0"), "vms/backup"]);
    assert_eq!(s.read_all("vms", "backup@a"), s.read_all("rbd", "src@a"));
    // Incrementals with discards, zeroed ranges and resizes.
    let steps: Vec<(&str, Box<dyn Fn(&Image)>)> = vec![
        (
            "b",
            Box::new(|i: &Image| {
                i.discard(0, 1 << 20).unwrap();
            }),
        ),
        (
            "c",
            Box::new(|i: &Image| {
                i.write_zeroes(2 << 20, 8192, false).unwrap();
                i.resize(48 << 20).unwrap();
                i.write(40 << 20, &pattern(4, 10000)).unwrap();
            }),
        ),
        (
            "d",
            Box::new(|i: &Image| {
                i.resize(20 << 20).unwrap();
                i.write(100, &pattern(5, 300)).unwrap();
            }),
        ),
    ];
    let mut prev = "a".to_string();
    let mut diffs = Vec::new();
    for (snap, change) in &steps {
        let img = s.image("rbd", "src");
        change(&img);
        img.close().unwrap();
        s.ok(&["snap", "create", &format!("src@{snap}")]);
        let file = p(&format!("d-{snap}"));
        let data = s.run(&["export-diff", "--from-snap", &prev, &format!("src@{snap}"), "-"]).stdout;
        std::fs::write(&file, &data).unwrap();
        let dec = decode(Path::new(&file));
        assert_eq!(dec["from"], prev.as_str());
        assert_eq!(dec["to"], *snap);
        let o = s.run_in(&["import-diff", "-", "vms/backup"], Some(&data));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            s.read_all("vms", &format!("backup@{snap}")),
            s.read_all("rbd", &format!("src@{snap}")),
            "at {snap}"
        );
        diffs.push(file);
        prev = snap.to_string();
    }
    // merge-diff of b and c equals applying both.
    s.ok(&["merge-diff", &diffs[0], &diffs[1], &p("bc")]);
    let m = decode(&s.path("bc"));
    assert_eq!((m["from"].as_str(), m["to"].as_str()), (Some("a"), Some("c")));
    s.ok(&["create", "--size", "32M", "vms/merged"]);
    s.ok(&["import-diff", &p("d0"), "vms/merged"]);
    s.ok(&["import-diff", &p("bc"), "vms/merged"]);
    assert_eq!(s.read_all("vms", "merged@c"), s.read_all("rbd", "src@c"));
    s.fails(&["merge-diff", &diffs[0], &diffs[2], &p("bad-merge")], 22);
}

#[test]
fn documented_stream_and_malformed_streams() {
    let s = Store::new();
    let p = |n: &str| s.path(n).display().to_string();
    // A v1 diff as real Ceph writes it, built by hand from the documented format.
    let mut d = b"rbd diff v1\n".to_vec();
    d.push(b't');
    d.extend(&4u32.to_le_bytes());
    d.extend(b"snap");
    d.push(b's');
    d.extend(&(8u64 << 20).to_le_bytes());
    d.push(b'w');
    d.extend(&4096u64.to_le_bytes());
    d.extend(&5u64.to_le_bytes());
    d.extend(b"hello");
    d.push(b'z');
    d.extend(&(1u64 << 20).to_le_bytes());
    d.extend(&4096u64.to_le_bytes());
    d.push(b'e');
    std::fs::write(p("ceph.diff"), &d).unwrap();
    s.ok(&["create", "--size", "4M", "t"]);
    write(&s, "rbd", "t", 1 << 20, &pattern(9, 4096));
    s.ok(&["import-diff", &p("ceph.diff"), "t"]);
    let data = s.read_all("rbd", "t@snap");
    assert_eq!(data.len(), 8 << 20, "resized to the stream's size");
    assert_eq!(&data[4096..4101], b"hello");
    assert!(data[1 << 20..(1 << 20) + 4096].iter().all(|&b| b == 0));
    // Malformed streams: clear error, non-zero exit, image unchanged.
    let before = s.read_all("rbd", "t");
    let mut bad_tag = b"rbd diff v1\n".to_vec();
    bad_tag.push(b'Q');
    let mut backwards = b"rbd diff v1\ns".to_vec();
    backwards.extend(&(8u64 << 20).to_le_bytes());
    backwards.push(b'z');
    backwards.extend(&(1u64 << 20).to_le_bytes());
    backwards.extend(&4096u64.to_le_bytes());
    backwards.push(b'z');
    backwards.extend(&0u64.to_le_bytes());
    backwards.extend(&4096u64.to_le_bytes());
    backwards.push(b'e');
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("banner", b"not a diff\n".to_vec()),
        ("tag", bad_tag),
        ("truncated", d[..d.len() - 8].to_vec()),
        ("no end", d[..d.len() - 1].to_vec()),
        ("backwards", backwards),
    ];
    for (what, bytes) in cases {
        let o = s.run_in(&["import-diff", "-", "t"], Some(&bytes));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{what}: accepted");
        assert!(err.contains("rbd: import-diff failed"), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        if what != "backwards" {
            assert_eq!(s.read_all("rbd", "t"), before, "{what}: image changed");
        }
    }
    // A diff whose from-snapshot the image lacks.
    s.ok(&["create", "--size", "4M", "other"]);
    s.ok(&["snap", "create", "other@x"]);
    s.ok(&["snap", "create", "other@y"]);
    s.ok(&["export-diff", "--from-snap", "x", "other@y", &p("xy")]);
    let err = s.fails(&["import-diff", &p("xy"), "t"], 22);
    assert!(err.contains("rbd: import-diff failed"), "{err}");
    s.fails(&["import", &p("does-not-exist"), "x"], 2);
    s.fails(&["import", "-"], 22);
}

#[test]
fn bench_writes_and_reads() {
    let s = Store::new();
    s.ok(&["create", "--size", "16M", "b"]);
    let out = s.ok(&["bench", "--io-type", "write", "--io-size", "64K", "--io-threads", "4", "--io-total", "8M", "b"]);
    assert!(
        out.starts_with("bench  type write io_size 65536 io_threads 4 bytes 8388608 pattern sequential\n"),
        "{out}"
    );
    let total = out.lines().last().unwrap();
    assert!(total.starts_with("elapsed:") && total.split_whitespace().nth(3) == Some("128"), "{out}");
    let out = s.ok(&["bench", "--io-type", "rw", "--io-pattern", "rand", "--io-total", "1M", "b"]);
    assert!(out.contains("read_ops:") && out.contains("write_ops:"), "{out}");
    s.ok(&["bench", "--io-type", "read", "--io-total", "1M", "b"]);
    s.fails(&["bench", "--io-type", "bogus", "b"], 22);
    s.fails(&["bench", "b"], 22);
}

/// Progress goes to a terminal, and only there; --no-progress silences it. `script` gives the
/// command a pseudo-terminal.
#[test]
fn progress_on_a_terminal_only() {
    let s = Store::new();
    let raw = s.path("p.raw");
    std::fs::write(&raw, pattern(3, 1 << 20)).unwrap();
    let tty = |args: &str| {
        let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_rbd"));
        let o = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("RBDSHIM_BACKEND", &s.spec)
            .env("CEPH_CONF", "/nonexistent")
            .stdin(Stdio::null())
            .output()
            .expect("script (bsdutils)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let out = tty(&format!("import {} shown", raw.display()));
    assert!(out.contains("Importing image: 100% complete...done."), "{out:?}");
    let out = tty(&format!("import --no-progress {} quiet", raw.display()));
    assert!(!out.contains("complete"), "{out:?}");
    // Not a terminal: nothing on stderr.
    let o = s.run(&["export", "shown", &s.path("p.out").display().to_string()]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `rbd watch` holds a watch until enter is pressed: `rbd status` elsewhere sees it meanwhile.
#[test]
fn watch_registers_a_watcher_until_enter() {
    use std::io::Write;
    let s = Store::new();
    s.ok(&["create", "--size", "1M", "w"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_rbd"))
        .args(["watch", "w"])
        .env("RBDSHIM_BACKEND", &s.spec)
        .env("CEPH_CONF", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = 0;
    for _ in 0..200 {
        seen = s.json(&["status", "w", "--format", "json"])["watchers"].as_array().unwrap().len();
        if seen == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(seen, 1, "the watch is visible");
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "press enter to exit...\n");
    assert_eq!(s.ok(&["status", "w"]), "Watchers: none\n");
    s.fails(&["watch", "nope"], 2);
}
