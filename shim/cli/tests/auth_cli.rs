//! Both tools as a user other than client.admin: keyrings found through `--keyring`/`--id`,
//! refused connections and refused operations with Ceph's messages and exit statuses.

mod common;
use common::Store;
use std::os::unix::fs::PermissionsExt;

fn run(s: &Store, tool: &str, args: &[impl AsRef<str>]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let args = args.as_slice();
    let bin = if tool == "rbd" { env!("CARGO_BIN_EXE_rbd") } else { env!("CARGO_BIN_EXE_ceph") };
    let o = s.exec(bin, args, None);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{tool} {args:?} panicked: {err}");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).to_string(), err)
}

fn ok(s: &Store, tool: &str, args: &[impl AsRef<str> + std::fmt::Debug]) -> String {
    let (code, out, err) = run(s, tool, args);
    assert_eq!(code, 0, "{tool} {args:?}: {err}");
    out
}

#[test]
fn a_user_reaches_its_pools_only() {
    let s = Store::empty();
    for p in ["images", "volumes"] {
        ok(&s, "ceph", &["osd", "pool", "create", p]);
    }
    ok(&s, "rbd", &["create", "--size", "1M", "volumes/v"]);
    let ring = ok(
        &s,
        "ceph",
        &["auth", "get-or-create", "client.glance", "mon", "profile rbd", "osd", "profile rbd pool=images"],
    );
    let path = s.path("ceph.client.glance.keyring");
    std::fs::write(&path, &ring).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let kr = path.display().to_string();
    let g = |args: &[&'static str]| -> Vec<String> {
        ["--id", "glance", "--keyring", kr.as_str()].iter().chain(args).map(|s| s.to_string()).collect()
    };

    ok(&s, "rbd", &g(&["create", "--size", "1M", "images/i"]));
    assert_eq!(ok(&s, "rbd", &g(&["ls", "images"])), "i\n");
    let (code, _, err) = run(&s, "rbd", &g(&["ls", "volumes"]));
    assert_eq!((code, err.as_str()), (1, "rbd: listing images failed: (1) Operation not permitted\n"));
    let (code, _, err) = run(&s, "rbd", &g(&["rm", "volumes/v"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("(1) Operation not permitted"), "{err}");
    for args in [
        &["snap", "create", "volumes/v@s"][..],
        &["resize", "--size", "2M", "volumes/v"],
        &["cp", "images/i", "volumes/c"],
    ] {
        let (code, _, err) = run(&s, "rbd", &g(args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("(1) Operation not permitted"), "{args:?}: {err}");
    }
    assert_eq!(ok(&s, "rbd", &["ls", "volumes"]), "v\n");
    assert_eq!(ok(&s, "rbd", &["snap", "ls", "volumes/v"]), "");
    let (code, _, err) = run(&s, "ceph", &g(&["osd", "pool", "create", "mine"]));
    assert_eq!((code, err.as_str()), (13, "Error EACCES: access denied\n"));
    // The key found through the default name pattern ($cluster.$name.keyring).
    let pattern = s.path("$cluster.$name.keyring").display().to_string();
    ok(&s, "rbd", &["--id", "glance", "--keyring", &pattern, "ls", "images"]);
    // A keyring others may read still works, with a warning.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = run(&s, "rbd", &g(&["ls", "images"]));
    assert_eq!(code, 0);
    assert!(err.contains("readable by other users"), "{err}");
}

#[test]
fn refused_connections() {
    let s = Store::empty();
    ok(&s, "ceph", &["osd", "pool", "create", "rbd"]);
    let key = ok(&s, "ceph", &["auth", "get-or-create-key", "client.glance", "mon", "profile rbd"]);
    let other = ok(&s, "ceph", &["auth", "get-or-create-key", "client.cinder", "mon", "profile rbd"]);
    ok(&s, "ceph", &["--id", "glance", "--key", &key, "osd", "pool", "ls"]);

    let (code, _, err) = run(&s, "ceph", &["--id", "glance", "--key", &other, "status"]);
    assert_eq!((code, err.as_str()), (13, "[errno 13] RADOS permission denied (error connecting to the cluster)\n"));
    let (code, _, err) = run(&s, "ceph", &["--id", "nobody", "--key", &key, "status"]);
    assert_eq!(code, 13, "{err}");
    let (code, _, err) = run(&s, "ceph", &["--id", "glance", "status"]);
    assert_eq!((code, err.as_str()), (1, "[errno 2] RADOS object not found (error connecting to the cluster)\n"));
    let (code, _, err) = run(&s, "rbd", &["--id", "glance", "--key", &other, "ls"]);
    assert_eq!((code, err.as_str()), (13, "rbd: couldn't connect to the cluster!\n"));
    // A keyring that does not parse: refused, its name given, nothing panics.
    std::fs::write(s.path("bad.keyring"), "[client.glance\nkey\n").unwrap();
    let (code, _, err) = run(&s, "ceph", &["--id", "glance", "-k", "bad.keyring", "status"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn malformed_and_missing_configuration() {
    let s = Store::empty();
    std::fs::write(s.path("bad.conf"), b"[global\nmon host = \x01\nno value here\n").unwrap();
    let (code, _, err) = run(&s, "rbd", &["--conf", "bad.conf", "ls"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("global_init: error reading config file. "), "{err}");
    let (code, _, err) = run(&s, "rbd", &["--conf", "missing.conf", "ls"]);
    assert_eq!((code, err.as_str()), (1, "global_init: unable to open config file from search list missing.conf\n"));
    let (code, _, err) = run(&s, "ceph", &["--conf", "bad.conf", "status"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "Error initializing cluster client: InvalidArgumentError('RADOS invalid argument (error calling conf_read_file)')\n")
    );
    let (code, _, err) = run(&s, "ceph", &["--conf", "missing.conf", "status"]);
    assert_eq!(
        (code, err.as_str()),
        (1, "Error initializing cluster client: ObjectNotFound('RADOS object not found (error calling conf_read_file)')\n")
    );
}
