//! The `ceph` binary end to end on a fresh file store per test: every command, JSON checked
//! field by field, plain output's key lines, and failures with Ceph's message and exit status.

use rbdshim_core::auth::{parse_keyring, Key};
use serde_json::{json, Value};
use std::process::{Command, Output};

mod common;
use common::Store;

impl Store {
    /// A store with pools `rbd` and `vms`, made with `ceph osd pool create`.
    fn new() -> Store {
        let s = Store::empty();
        s.ok(&["osd", "pool", "create", "rbd"]);
        s.ok(&["osd", "pool", "create", "vms", "64"]);
        s
    }

    fn run_in(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.exec(env!("CARGO_BIN_EXE_ceph"), args, stdin)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(args, None)
    }

    /// Runs and expects success; returns (stdout, stderr).
    fn ok2(&self, args: &[&str]) -> (String, String) {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(o.status.success(), "ceph {args:?} failed ({:?}): {err}", o.status.code());
        (String::from_utf8(o.stdout).unwrap(), err)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok2(args).0
    }

    /// Runs with `-f json` added; the output is one JSON document after an empty line.
    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["-f", "json"]);
        let out = self.ok(&a);
        assert!(out.starts_with('\n'), "ceph puts an empty line before JSON: {out:?}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("ceph {args:?}: not JSON ({e}): {out}"))
    }

    /// Runs and expects failure with `code`; returns stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(code), "ceph {args:?}: stderr {err}");
        assert!(!err.contains("panicked"), "ceph {args:?} panicked: {err}");
        err
    }
}

#[test]
fn version() {
    let s = Store::empty();
    let line = s.ok(&["--version"]);
    assert!(line.starts_with("ceph version 16.2."), "{line}");
    assert!(line.ends_with(") pacific (stable)\n"), "{line}");
    assert!(line.contains("(rbdshim-"), "{line}");
    assert_eq!(s.ok(&["-v"]), line);
    assert_eq!(s.ok(&["version"]), line);
    assert_eq!(s.json(&["version"]), json!({"version": line.trim_end()}));
    // `versions` is pretty JSON even in plain mode.
    let plain = s.ok(&["versions"]);
    assert!(plain.starts_with("{\n    \"mon\": {\n"), "{plain}");
    let v: Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(v["overall"][line.trim_end()], 3);
    assert_eq!(v["mds"], json!({}));
}

#[test]
fn status_health_fsid() {
    let s = Store::new();
    let fsid = s.cluster().fsid().unwrap();
    let plain = s.ok(&["-s"]);
    assert_eq!(plain, s.ok(&["status"]));
    for line in [
        "  cluster:\n",
        &format!("    id:     {fsid}\n"),
        "    health: HEALTH_OK\n",
        "  services:\n",
        "    mon: 1 daemons, quorum rbdshim (age ",
        "    osd: 1 osds: 1 up (since ",
        "    pools:   2 pools, 96 pgs\n",
        "    objects: 0 objects, ",
        "    pgs:     96 active+clean\n",
    ] {
        assert!(plain.contains(line), "{line:?} missing from\n{plain}");
    }
    let st = s.json(&["-s"]);
    assert_eq!(st["fsid"], fsid);
    assert_eq!(st["health"], json!({"status": "HEALTH_OK", "checks": {}, "mutes": []}));
    assert_eq!(st["quorum_names"], json!(["rbdshim"]));
    assert_eq!(st["quorum"], json!([0]));
    assert_eq!(st["monmap"]["num_mons"], 1);
    assert_eq!((st["osdmap"]["num_osds"].clone(), st["osdmap"]["num_up_osds"].clone()), (json!(1), json!(1)));
    assert_eq!(st["osdmap"]["num_in_osds"], 1);
    assert!(st["osdmap"]["epoch"].as_u64().unwrap() >= 3, "two pool creations moved the epoch");
    let pg = &st["pgmap"];
    assert_eq!(
        (pg["num_pools"].clone(), pg["num_pgs"].clone(), pg["num_objects"].clone()),
        (json!(2), json!(96), json!(0))
    );
    assert_eq!(pg["pgs_by_state"], json!([{"state_name": "active+clean", "count": 96}]));
    assert!(pg["bytes_total"].as_u64().unwrap() >= pg["bytes_avail"].as_u64().unwrap());
    // The same answer again (but for what moves by itself: ages and the filesystem's usage).
    let again = s.json(&["status"]);
    for k in ["fsid", "health", "quorum_names", "monmap", "fsmap", "mgrmap"] {
        assert_eq!(again[k], st[k], "{k}");
    }
    assert_eq!(again["pgmap"]["num_pgs"], st["pgmap"]["num_pgs"]);
    // Pretty JSON is the same document.
    let pretty = s.ok(&["status", "--format=json-pretty"]);
    assert!(pretty.contains("\n    \"fsid\": "), "{pretty}");
    assert_eq!(serde_json::from_str::<Value>(&pretty).unwrap()["fsid"], fsid);

    assert_eq!(s.ok(&["health"]), "HEALTH_OK\n");
    assert_eq!(s.ok(&["health", "detail"]), "HEALTH_OK\n");
    assert_eq!(s.json(&["health"]), json!({"status": "HEALTH_OK", "checks": {}, "mutes": []}));
    let err = s.fails(&["health", "nonsense"], 22);
    assert!(
        err.starts_with("Invalid command: nonsense not in detail\nhealth [detail] :  show cluster health\n"),
        "{err}"
    );

    assert_eq!(s.ok(&["fsid"]), format!("{fsid}\n"));
    assert_eq!(s.json(&["fsid"]), json!({"fsid": fsid}));
    assert_eq!(s.ok(&["fsid", "-f", "xml"]), format!("<fsid><fsid>{fsid}</fsid></fsid>\n"));
}

#[test]
fn df_plain_detail_and_json() {
    let s = Store::new();
    let c = s.cluster();
    let io = c.ioctx("rbd").unwrap();
    io.objects().write_full(&io.loc(), "a", &[1u8; 5000]).unwrap();
    io.objects().write_full(&io.loc(), "b", &[2u8; 3000]).unwrap();
    let plain = s.ok(&["df"]);
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines[0], "--- RAW STORAGE ---");
    assert!(lines[1].starts_with("CLASS ") && lines[1].ends_with("  RAW USED  %RAW USED"), "{plain}");
    assert!(lines[2].starts_with("hdd ") && lines[3].starts_with("TOTAL "), "{plain}");
    assert_eq!(lines[4], "");
    assert_eq!(lines[5], "--- POOLS ---");
    let header: Vec<&str> = lines[6].split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(header, ["POOL", "ID", "PGS", "STORED", "OBJECTS", "USED", "%USED", "MAX AVAIL"]);
    let rbd: Vec<&str> = lines[7].split_whitespace().collect();
    assert_eq!(&rbd[..3], ["rbd", "1", "32"]);
    assert!(lines[8].starts_with("vms ") && lines[8].contains(" 64 "), "{plain}");
    // "rbd 1 32 <stored> <unit> 2 ...": the object count follows the stored size.
    assert_eq!(rbd[5], "2", "{plain}");

    let detail = s.ok(&["df", "detail"]);
    assert!(detail.contains("QUOTA OBJECTS  QUOTA BYTES  DIRTY  USED COMPR  UNDER COMPR"), "{detail}");
    assert!(detail.lines().nth(7).unwrap().contains("N/A"), "{detail}");

    let df = s.json(&["df"]);
    let st = &df["stats"];
    for k in ["total_bytes", "total_avail_bytes", "total_used_bytes", "total_used_raw_bytes"] {
        assert!(st[k].is_u64(), "{k}: {df}");
    }
    assert!(st["total_bytes"].as_u64() >= st["total_avail_bytes"].as_u64());
    assert_eq!(st["num_osds"], 1);
    assert!(df["stats_by_class"]["hdd"]["total_bytes"].is_u64());
    let pools = df["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 2);
    assert_eq!((pools[0]["name"].clone(), pools[0]["id"].clone()), (json!("rbd"), json!(1)));
    let p = &pools[0]["stats"];
    assert_eq!(p["objects"], 2);
    assert!(p["stored"].as_u64().unwrap() >= 8000, "{p}");
    assert_eq!(p["bytes_used"], p["stored"]);
    assert_eq!(p["max_avail"], st["total_avail_bytes"]);
    assert!(p["percent_used"].as_f64().unwrap() < 1.0);
    assert_eq!(pools[1]["stats"]["objects"], 0);
    let d = s.json(&["df", "detail"]);
    assert_eq!(d["pools"][0]["stats"]["quota_objects"], 0);
    assert_eq!(d["pools"][0]["stats"]["quota_bytes"], 0);
    assert!(d["pools"][0]["stats"]["stored_raw"].is_u64());
}

#[test]
fn mon_dump() {
    let s = Store::empty();
    let fsid = s.cluster().fsid().unwrap();
    let (plain, err) = s.ok2(&["mon", "dump"]);
    assert_eq!(err, "dumped monmap epoch 1\n");
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines[0], "epoch 1");
    assert_eq!(lines[1], format!("fsid {fsid}"));
    assert!(lines[2].starts_with("last_changed 20") && lines[3].starts_with("created 20"), "{plain}");
    assert_eq!(lines[4], "min_mon_release 16 (pacific)");
    assert_eq!(lines[6], "0: [v2:127.0.0.1:3300/0,v1:127.0.0.1:6789/0] mon.rbdshim");
    let d = s.json(&["mon", "dump"]);
    assert_eq!(d["epoch"], 1);
    assert_eq!(d["fsid"], fsid);
    assert_eq!(d["min_mon_release_name"], "pacific");
    assert_eq!(d["quorum"], json!([0]));
    let mon = &d["mons"][0];
    assert_eq!((mon["rank"].clone(), mon["name"].clone()), (json!(0), json!("rbdshim")));
    assert_eq!(mon["addr"], "127.0.0.1:6789/0");
    assert_eq!(mon["public_addr"], "127.0.0.1:6789/0");
    assert_eq!(mon["public_addrs"]["addrvec"][1], json!({"type": "v1", "addr": "127.0.0.1:6789", "nonce": 0}));
    // The creation time stays what it was.
    assert_eq!(s.json(&["mon", "dump"])["created"], d["created"]);
    assert_eq!(s.json(&["mon", "dump", "1"]), d);
    let err = s.fails(&["mon", "dump", "7"], 2);
    assert_eq!(err, "Error ENOENT: there is no map for epoch 7\n");
    let err = s.fails(&["mon", "dump", "x"], 22);
    assert!(err.starts_with("Invalid command: x doesn't represent an int\nmon dump [<epoch:int>] :  "), "{err}");
}

#[test]
fn pool_listings() {
    let s = Store::new();
    assert_eq!(s.ok(&["osd", "lspools"]), "1 rbd\n2 vms\n");
    assert_eq!(
        s.json(&["osd", "lspools"]),
        json!([{"poolnum": 1, "poolname": "rbd"}, {"poolnum": 2, "poolname": "vms"}])
    );
    assert_eq!(s.ok(&["osd", "pool", "ls"]), "rbd\nvms\n");
    assert_eq!(s.json(&["osd", "pool", "ls"]), json!(["rbd", "vms"]));
    assert_eq!(
        s.ok(&["osd", "pool", "ls", "-f", "xml"]),
        "<pools><pool_name>rbd</pool_name><pool_name>vms</pool_name></pools>\n"
    );
    let detail = s.ok(&["osd", "pool", "ls", "detail"]);
    let first = detail.lines().next().unwrap();
    assert!(
        first.starts_with(
            "pool 1 'rbd' replicated size 3 min_size 2 crush_rule 0 object_hash rjenkins pg_num 32 pgp_num 32 \
             autoscale_mode on last_change "
        ),
        "{detail}"
    );
    assert!(first.ends_with(" flags hashpspool stripe_width 0"), "{detail}");
    assert!(detail.contains("\npool 2 'vms' replicated size 3 min_size 2 crush_rule 0 object_hash rjenkins pg_num 64"));
    let d = s.json(&["osd", "pool", "ls", "detail"]);
    let p = &d[1];
    assert_eq!((p["pool_id"].clone(), p["pool_name"].clone()), (json!(2), json!("vms")));
    assert_eq!((p["size"].clone(), p["min_size"].clone(), p["pg_num"].clone()), (json!(3), json!(2), json!(64)));
    assert_eq!(p["pg_placement_num"], 64);
    assert_eq!(p["type"], 1);
    assert_eq!(p["crush_rule"], 0);
    assert_eq!(p["flags_names"], "hashpspool");
    assert_eq!(p["application_metadata"], json!({}));
    assert!(p["create_time"].as_str().unwrap().ends_with("+0000"));
}

#[test]
fn pool_create() {
    let s = Store::empty();
    let (out, err) = s.ok2(&["osd", "pool", "create", "p1"]);
    assert_eq!((out.as_str(), err.as_str()), ("", "pool 'p1' created\n"));
    assert_eq!(s.ok2(&["osd", "pool", "create", "p1", "128"]).1, "pool 'p1' already exists\n");
    s.ok(&["osd", "pool", "create", "p2", "16", "8", "replicated"]);
    s.ok(&["osd", "pool", "create", "p3", "--pg_num", "4", "--autoscale-mode=off", "--bulk"]);
    s.ok(&["osd", "pool", "create", "ec", "erasure"]);
    let d = s.json(&["osd", "pool", "ls", "detail"]);
    let get = |i: usize, k: &str| d[i][k].clone();
    assert_eq!((get(0, "pg_num"), get(0, "pg_placement_num")), (json!(32), json!(32)));
    assert_eq!((get(1, "pg_num"), get(1, "pg_placement_num")), (json!(16), json!(8)));
    assert_eq!((get(2, "pg_num"), get(2, "pg_autoscale_mode")), (json!(4), json!("off")));
    assert_eq!(get(2, "flags_names"), "hashpspool,bulk");
    assert_eq!(
        (get(3, "type"), get(3, "size"), get(3, "erasure_code_profile")),
        (json!(3), json!(4), json!("default"))
    );
    // The pools exist for every client of the store.
    let names: Vec<String> = s.cluster().pool_list().unwrap().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["p1", "p2", "p3", "ec"]);
    let err = s.fails(&["osd", "pool", "create", "p4", "0"], 34);
    assert!(err.starts_with("Error ERANGE: 'pg_num' must be greater than 0 and less than or equal to 65536"), "{err}");
    let err = s.fails(&["osd", "pool", "create", "p4", "8", "16"], 34);
    assert!(err.contains("'pgp_num' must be greater than 0 and lower or equal than 'pg_num', which in this case is 8"));
    let err = s.fails(&["osd", "pool", "create", "p4", "8", "8", "replicated", "prof", "myrule"], 2);
    assert_eq!(err, "Error ENOENT: specified rule myrule doesn't exist\n");
    let err = s.fails(&["osd", "pool", "create", "p4", "--frob", "1"], 22);
    assert!(
        err.starts_with("Invalid command: Unexpected argument '--frob'\nosd pool create <pool> [<pg_num:int>]"),
        "{err}"
    );
    let err = s.fails(&["osd", "pool", "create"], 22);
    assert!(err.starts_with("Invalid command: missing required parameter pool(<poolname>)\n"), "{err}");
    assert!(err.ends_with(":  create pool\nError EINVAL: invalid command\n"), "{err}");
}

#[test]
fn pool_rm() {
    let s = Store::new();
    const WARN: &str = "Error EPERM: WARNING: this will *PERMANENTLY DESTROY* all data stored in pool vms.  If you \
                        are *ABSOLUTELY CERTAIN* that is what you want, pass the pool name *twice*, followed by \
                        --yes-i-really-really-mean-it.\n";
    assert_eq!(s.fails(&["osd", "pool", "rm", "vms"], 1), WARN);
    assert_eq!(s.fails(&["osd", "pool", "rm", "vms", "vms"], 1), WARN);
    assert_eq!(s.fails(&["osd", "pool", "rm", "vms", "rbd", "--yes-i-really-really-mean-it"], 1), WARN);
    // Pool deletion is disabled until mon_allow_pool_delete is set, as in Ceph.
    let err = s.fails(&["osd", "pool", "rm", "vms", "vms", "--yes-i-really-really-mean-it"], 1);
    assert_eq!(
        err,
        "Error EPERM: pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true \
         before you can destroy a pool\n"
    );
    let allow = "--mon-allow-pool-delete=true";
    s.ok(&["osd", "pool", "set", "vms", "nodelete", "true"]);
    let err = s.fails(&["osd", "pool", "rm", "vms", "vms", "--yes-i-really-really-mean-it", allow], 1);
    assert_eq!(err, "Error EPERM: pool deletion is disabled; you must unset nodelete flag for the pool first\n");
    s.ok(&["osd", "pool", "set", "vms", "nodelete", "0"]);
    assert_eq!(s.ok(&["osd", "pool", "ls"]), "rbd\nvms\n");
    let (out, err) = s.ok2(&["osd", "pool", "rm", "vms", "vms", "--yes-i-really-really-mean-it", allow]);
    assert_eq!((out.as_str(), err.as_str()), ("", "pool 'vms' removed\n"));
    assert_eq!(s.ok(&["osd", "pool", "ls"]), "rbd\n");
    assert!(s.cluster().pool_lookup("vms").is_err());
    // A pool that does not exist is not an error.
    assert_eq!(
        s.ok2(&["osd", "pool", "rm", "vms", "vms", "--yes-i-really-really-mean-it"]).1,
        "pool 'vms' does not exist\n"
    );
    // `delete` is the same command; the option may also come from CEPH_ARGS or the configuration.
    let o = Command::new(env!("CARGO_BIN_EXE_ceph"))
        .args(["osd", "pool", "delete", "rbd", "rbd", "--yes-i-really-really-mean-it"])
        .env("RBDSHIM_BACKEND", &s.spec)
        .env("CEPH_ARGS", "--mon_allow_pool_delete true")
        .env("CEPH_CONF", "/nonexistent")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(s.ok(&["osd", "pool", "ls"]), "");
}

#[test]
fn pool_get_and_set() {
    let s = Store::new();
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "size"]), "size: 3\n");
    assert_eq!(s.json(&["osd", "pool", "get", "rbd", "size"]), json!({"pool": "rbd", "pool_id": 1, "size": 3}));
    assert_eq!(s.ok(&["osd", "pool", "get", "vms", "pg_num"]), "pg_num: 64\n");
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "crush_rule"]), "crush_rule: replicated_rule\n");
    let all = s.ok(&["osd", "pool", "get", "rbd", "all"]);
    assert!(
        all.starts_with(
            "size: 3\nmin_size: 2\npg_num: 32\npgp_num: 32\ncrush_rule: replicated_rule\nhashpspool: true\n\
             nodelete: false\n"
        ),
        "{all}"
    );
    assert!(all.contains("\nfast_read: 0\npg_autoscale_mode: on\nbulk: false\n"), "{all}");
    let j = s.json(&["osd", "pool", "get", "rbd", "all"]);
    assert_eq!(
        (j["min_size"].clone(), j["nodelete"].clone(), j["fast_read"].clone()),
        (json!(2), json!("false"), json!(false))
    );

    assert_eq!(s.ok2(&["osd", "pool", "set", "rbd", "size", "2"]).1, "set pool 1 size to 2\n");
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "size"]), "size: 2\n");
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "min_size"]), "min_size: 1\n");
    s.ok(&["osd", "pool", "set", "rbd", "min_size", "2"]);
    s.ok(&["osd", "pool", "set", "rbd", "pg_num", "128"]);
    assert_eq!(s.json(&["osd", "pool", "get", "rbd", "pgp_num"])["pgp_num"], 128);
    s.ok(&["osd", "pool", "set", "rbd", "pgp_num", "64"]);
    s.ok(&["osd", "pool", "set", "rbd", "pg_autoscale_mode", "warn"]);
    s.ok(&["osd", "pool", "set", "rbd", "target_size_bytes", "10G"]);
    s.ok(&["osd", "pool", "set", "rbd", "compression_mode", "aggressive"]);
    let j = s.json(&["osd", "pool", "get", "rbd", "all"]);
    assert_eq!((j["pg_num"].clone(), j["pgp_num"].clone()), (json!(128), json!(64)));
    assert_eq!(j["pg_autoscale_mode"], "warn");
    assert_eq!(j["target_size_bytes"], 10u64 << 30);
    assert_eq!(j["compression_mode"], "aggressive");
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "target_size_bytes"]), "target_size_bytes: 10737418240\n");

    let fail = |args: &[&str], code: i32, msg: &str| {
        let err = s.fails(args, code);
        assert_eq!(err, format!("{msg}\n"), "{args:?}");
    };
    fail(&["osd", "pool", "get", "nope", "size"], 2, "Error ENOENT: unrecognized pool 'nope'");
    fail(&["osd", "pool", "set", "nope", "size", "2"], 2, "Error ENOENT: unrecognized pool 'nope'");
    fail(
        &["osd", "pool", "get", "vms", "target_size_ratio"],
        2,
        "Error ENOENT: option 'target_size_ratio' is not set on pool 'vms'",
    );
    fail(
        &["osd", "pool", "get", "vms", "hit_set_type"],
        13,
        "Error EACCES: pool 'vms' is not a tier pool: variable not applicable",
    );
    fail(&["osd", "pool", "set", "rbd", "size", "11"], 22, "Error EINVAL: pool size must be between 1 and 10");
    fail(
        &["osd", "pool", "set", "rbd", "min_size", "3"],
        22,
        "Error EINVAL: pool min_size must be between 1 and size, which is set to 2",
    );
    fail(&["osd", "pool", "set", "rbd", "pg_num", "x"], 22, "Error EINVAL: error parsing integer value 'x'");
    fail(&["osd", "pool", "set", "rbd", "pgp_num", "256"], 22, "Error EINVAL: specified pgp_num 256 > pg_num 128");
    fail(
        &["osd", "pool", "set", "rbd", "nodelete", "maybe"],
        22,
        "Error EINVAL: expecting value 'true', 'false', '0', or '1'",
    );
    fail(&["osd", "pool", "set", "rbd", "pg_autoscale_mode", "x"], 22, "Error EINVAL: specified invalid mode x");
    fail(&["osd", "pool", "set", "rbd", "crush_rule", "fast"], 2, "Error ENOENT: crush rule fast does not exist");
    // Size 1 needs both the monitor's permission and the confirmation, as in Ceph.
    fail(
        &["osd", "pool", "set", "rbd", "size", "1"],
        1,
        "Error EPERM: configuring pool size as 1 is disabled by default.",
    );
    let err = s.fails(&["osd", "pool", "set", "rbd", "size", "1", "--mon-allow-pool-size-one"], 1);
    assert!(err.starts_with("Error EPERM: WARNING: setting pool size 1 could lead to data loss"), "{err}");
    s.ok(&["osd", "pool", "set", "rbd", "size", "1", "--yes-i-really-mean-it", "--mon-allow-pool-size-one"]);
    assert_eq!(s.ok(&["osd", "pool", "get", "rbd", "size"]), "size: 1\n");
    s.ok(&["osd", "pool", "set", "rbd", "nosizechange", "true"]);
    fail(
        &["osd", "pool", "set", "rbd", "size", "3"],
        1,
        "Error EPERM: pool size change is disabled; you must unset nosizechange flag for the pool first",
    );
    // An unknown variable is refused by the command line, as Ceph's tool does.
    let err = s.fails(&["osd", "pool", "get", "rbd", "colour"], 22);
    assert!(err.starts_with("Invalid command: colour not in size|min_size|pg_num|"), "{err}");
    assert!(err.ends_with(":  get pool parameter <var>\nError EINVAL: invalid command\n"), "{err}");
    // The values are the store's: another client sees them.
    let b = s.cluster().backend().unwrap();
    let p = rbdshim_core::osdpool::get(&*b, 1).unwrap();
    assert_eq!((p.size, p.pg_num, p.pgp_num), (1, 128, 64));
    assert!(p.has_flag("nosizechange"));
}

#[test]
fn pool_quotas() {
    let s = Store::new();
    assert_eq!(
        s.ok(&["osd", "pool", "get-quota", "rbd"]),
        "quotas for pool 'rbd':\n  max objects: N/A\n  max bytes  : N/A\n"
    );
    assert_eq!(
        s.json(&["osd", "pool", "get-quota", "rbd"]),
        json!({"pool_name": "rbd", "pool_id": 1, "quota_max_objects": 0, "quota_max_bytes": 0})
    );
    assert_eq!(
        s.ok2(&["osd", "pool", "set-quota", "rbd", "max_bytes", "10G"]).1,
        "set-quota max_bytes = 10737418240 for pool rbd\n"
    );
    assert_eq!(
        s.ok2(&["osd", "pool", "set-quota", "rbd", "max_objects", "1000"]).1,
        "set-quota max_objects = 1000 for pool rbd\n"
    );
    assert_eq!(
        s.ok(&["osd", "pool", "get-quota", "rbd"]),
        "quotas for pool 'rbd':\n  max objects: 1k objects\n  max bytes  : 10 GiB\n"
    );
    let q = s.json(&["osd", "pool", "get-quota", "rbd"]);
    assert_eq!((q["quota_max_objects"].clone(), q["quota_max_bytes"].clone()), (json!(1000), json!(10u64 << 30)));
    // The monitor command the libraries send answers the same.
    let (out, _) = rbdshim_core::monitor::command(
        &s.cluster(),
        r#"{"prefix": "osd pool get-quota", "pool": "rbd", "format": "json"}"#,
    )
    .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), q);
    assert!(s.ok(&["osd", "pool", "ls", "detail"]).contains(" max_bytes 10737418240 max_objects 1000 "));
    s.ok(&["osd", "pool", "set-quota", "rbd", "max_bytes", "0"]);
    assert_eq!(s.json(&["osd", "pool", "get-quota", "rbd"])["quota_max_bytes"], 0);
    assert_eq!(s.fails(&["osd", "pool", "get-quota", "nope"], 2), "Error ENOENT: unrecognized pool 'nope'\n");
    assert_eq!(
        s.fails(&["osd", "pool", "set-quota", "nope", "max_bytes", "1"], 2),
        "Error ENOENT: unrecognized pool 'nope'\n"
    );
    let err = s.fails(&["osd", "pool", "set-quota", "rbd", "max_bytes", "lots"], 22);
    assert!(err.starts_with("Error EINVAL: error parsing value 'lots'"), "{err}");
    let err = s.fails(&["osd", "pool", "set-quota", "rbd", "max_things", "1"], 22);
    assert!(err.starts_with("Invalid command: max_things not in max_objects|max_bytes\n"), "{err}");
}

#[test]
fn pool_applications() {
    let s = Store::new();
    assert_eq!(
        s.ok2(&["osd", "pool", "application", "enable", "rbd", "rbd"]).1,
        "enabled application 'rbd' on pool 'rbd'\n"
    );
    assert_eq!(
        s.ok2(&["osd", "pool", "application", "enable", "rbd", "rbd"]).1,
        "application 'rbd' already enabled on pool 'rbd'\n"
    );
    let err = s.fails(&["osd", "pool", "application", "enable", "rbd", "rgw"], 1);
    assert_eq!(
        err,
        "Error EPERM: Are you SURE? Pool 'rbd' already has an enabled application; pass --yes-i-really-mean-it to \
         proceed anyway\n"
    );
    s.ok(&["osd", "pool", "application", "enable", "rbd", "rgw", "--yes-i-really-mean-it"]);
    // `application get` prints pretty JSON by default.
    assert_eq!(s.ok(&["osd", "pool", "application", "get", "rbd"]), "{\n    \"rbd\": {},\n    \"rgw\": {}\n}\n");
    assert_eq!(s.json(&["osd", "pool", "application", "get"]), json!({"rbd": {"rbd": {}, "rgw": {}}, "vms": {}}));
    s.ok(&["osd", "pool", "application", "set", "rbd", "rbd", "owner", "cinder"]);
    assert_eq!(s.ok(&["osd", "pool", "application", "get", "rbd", "rbd", "owner"]), "cinder\n");
    assert_eq!(s.json(&["osd", "pool", "application", "get", "rbd", "rbd"]), json!({"owner": "cinder"}));
    assert!(s.ok(&["osd", "pool", "ls", "detail"]).lines().next().unwrap().ends_with(" application rbd,rgw"));
    assert_eq!(
        s.json(&["osd", "pool", "ls", "detail"])[0]["application_metadata"],
        json!({"rbd": {"owner": "cinder"}, "rgw": {}})
    );
    s.ok(&["osd", "pool", "application", "rm", "rbd", "rbd", "owner"]);
    let err = s.fails(&["osd", "pool", "application", "disable", "rbd", "rgw"], 1);
    assert!(err.starts_with("Error EPERM: Are you SURE? Disabling an application within a pool"), "{err}");
    s.ok(&["osd", "pool", "application", "disable", "rbd", "rgw", "--yes-i-really-mean-it"]);
    assert_eq!(s.json(&["osd", "pool", "application", "get", "rbd"]), json!({"rbd": {}}));
    assert_eq!(
        s.fails(&["osd", "pool", "application", "get", "rbd", "cephfs"], 2),
        "Error ENOENT: pool 'rbd' has no application 'cephfs'\n"
    );
    assert_eq!(
        s.fails(&["osd", "pool", "application", "enable", "nope", "rbd"], 2),
        "Error ENOENT: unrecognized pool 'nope'\n"
    );
    let err = s.fails(&["osd", "pool", "application", "enable", "vms", "bad name!"], 22);
    assert_eq!(err, "Error EINVAL: application name 'bad name!' contains invalid characters\n");
}

/// A keyring's entities: (name, key, caps).
type Entries = Vec<(String, String, Vec<(String, String)>)>;

fn keyring(text: &str) -> Entries {
    parse_keyring(text)
        .unwrap_or_else(|e| panic!("not a keyring ({e}): {text}"))
        .into_iter()
        .map(|(n, a)| (n.to_string(), a.key.to_base64(), a.caps.into_iter().collect()))
        .collect()
}

fn caps(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn auth_bootstrap_and_listing() {
    let s = Store::empty();
    let (out, err) = s.ok2(&["auth", "ls"]);
    assert_eq!(err, "installed auth entries:\n\n");
    let admin_key = out.lines().nth(1).unwrap().strip_prefix("\tkey: ").unwrap().to_string();
    assert_eq!(
        out,
        format!(
            "client.admin\n\tkey: {admin_key}\n\tcaps: [mds] allow *\n\tcaps: [mgr] allow *\n\tcaps: [mon] allow *\n\tcaps: \
             [osd] allow *\n"
        )
    );
    // A key in Ceph's format: 28 bytes, AES, 16-byte secret.
    let k = Key::from_base64(&admin_key).unwrap();
    assert_eq!(k.secret().len(), 16);
    assert_eq!(k.to_bytes().len(), 28);
    assert!(admin_key.starts_with("AQ") && admin_key.len() == 40);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!((now as i64 - k.created_sec as i64).abs() < 600);
    assert_eq!(s.ok(&["auth", "list"]), out);
    let j = s.json(&["auth", "ls"]);
    assert_eq!(
        j,
        json!({"auth_dump": [{"entity": "client.admin", "key": admin_key,
            "caps": {"mds": "allow *", "mgr": "allow *", "mon": "allow *", "osd": "allow *"}}]})
    );
    // Listing again changes nothing: the bootstrap happens once.
    assert_eq!(s.json(&["auth", "ls"]), j);
    s.ok(&["auth", "get-or-create", "osd.0", "osd", "allow *", "mon", "allow profile osd"]);
    s.ok(&["auth", "get-or-create", "client.glance", "mon", "profile rbd"]);
    s.ok(&["auth", "get-or-create", "mgr.x", "mon", "allow profile mgr"]);
    let names: Vec<String> = s.json(&["auth", "ls"])["auth_dump"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["osd.0", "client.admin", "client.glance", "mgr.x"], "Ceph's order: by type, then name");
}

#[test]
fn auth_get_or_create_get_caps_rm() {
    let s = Store::empty();
    let out =
        s.ok(&["auth", "get-or-create", "client.cinder", "mon", "profile rbd", "osd", "profile rbd pool=volumes"]);
    let kr = keyring(&out);
    assert_eq!(kr.len(), 1);
    let (name, key, c) = &kr[0];
    assert_eq!(name, "client.cinder");
    assert_eq!(c, &caps(&[("mon", "profile rbd"), ("osd", "profile rbd pool=volumes")]));
    assert_eq!(
        out,
        format!(
            "[client.cinder]\n\tkey = {key}\n\tcaps mon = \"profile rbd\"\n\tcaps osd = \"profile rbd pool=volumes\"\n"
        )
    );
    // Again: the same key; with the same caps or a subset of them; other caps are refused.
    assert_eq!(s.ok(&["auth", "get-or-create", "client.cinder", "mon", "profile rbd"]), out);
    assert_eq!(s.ok(&["auth", "get-or-create", "client.cinder"]), out);
    let err = s.fails(&["auth", "get-or-create", "client.cinder", "mon", "allow r"], 22);
    assert_eq!(err, "Error EINVAL: key for client.cinder exists but cap mon does not match\n");
    // get-key prints the bare key, without a newline.
    assert_eq!(s.ok(&["auth", "get-key", "client.cinder"]), *key);
    assert_eq!(s.ok(&["auth", "print-key", "client.cinder"]), *key);
    assert_eq!(s.json(&["auth", "get-key", "client.cinder"]), json!({"key": key}));
    assert_eq!(s.ok(&["auth", "get-or-create-key", "client.cinder"]), *key);
    let new_key = s.ok(&["auth", "get-or-create-key", "client.nova", "mon", "allow r"]);
    assert!(Key::from_base64(&new_key).is_ok() && new_key != *key);
    let (got, err) = s.ok2(&["auth", "get", "client.cinder"]);
    assert_eq!((got.as_str(), err.as_str()), (out.as_str(), "exported keyring for client.cinder\n"));
    assert_eq!(
        s.json(&["auth", "get", "client.cinder"]),
        json!([{"entity": "client.cinder", "key": key, "caps": {"mon": "profile rbd", "osd": "profile rbd pool=volumes"}}])
    );
    assert_eq!(s.ok2(&["auth", "caps", "client.cinder", "mon", "allow r"]).1, "updated caps for client.cinder\n");
    assert_eq!(keyring(&s.ok(&["auth", "get", "client.cinder"]))[0].2, caps(&[("mon", "allow r")]));
    assert_eq!(s.ok(&["auth", "get-key", "client.cinder"]), *key, "caps change, the key stays");
    assert_eq!(s.ok2(&["auth", "rm", "client.cinder"]).1, "updated\n");
    assert_eq!(s.ok2(&["auth", "del", "client.cinder"]).1, "entity client.cinder does not exist\n");
    assert_eq!(
        s.fails(&["auth", "get", "client.cinder"], 2),
        "Error ENOENT: failed to find client.cinder in keyring\n"
    );
    assert_eq!(s.fails(&["auth", "get-key", "client.cinder"], 2), "Error ENOENT: don't have client.cinder\n");
    assert_eq!(
        s.fails(&["auth", "caps", "client.cinder", "mon", "allow r"], 2),
        "Error ENOENT: couldn't find entry client.cinder\n"
    );
    // Bad requests.
    assert_eq!(s.fails(&["auth", "get", "cinder"], 22), "Error EINVAL: invalid entity_auth cinder\n");
    assert_eq!(
        s.fails(&["auth", "get-or-create", "client.x", "mon"], 22),
        "Error EINVAL: bad capabilities request; odd number of arguments\n"
    );
    assert_eq!(
        s.fails(&["auth", "get-or-create", "client.x", "mon", "permit all"], 22),
        "Error EINVAL: mon capability parse failed, stopped at 'permit all' of 'permit all'\n"
    );
    assert_eq!(
        s.fails(&["auth", "get-or-create", "client.x", "fs", "allow *"], 22),
        "Error EINVAL: unknown cap type 'fs'\n"
    );
    let err = s.fails(&["auth", "caps", "client.x"], 22);
    assert!(
        err.starts_with("Invalid command: missing required parameter caps(<string>)\nauth caps <entity> <caps>..."),
        "{err}"
    );
}

#[test]
fn auth_import_export() {
    let s = Store::empty();
    // A keyring as ceph-authtool writes it, with the spellings Ceph also accepts.
    let text = "[client.x]\n\tkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n\tcaps mon = \"allow r\"\n\tcaps osd = \"allow rwx pool=rbd\"\n\
                # comment\n[client.y]\nkey=AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\ncaps_mon = allow *\n";
    std::fs::write(s.path("in.keyring"), text).unwrap();
    assert_eq!(s.ok2(&["auth", "import", "-i", "in.keyring"]).1, "imported keyring\n");
    assert_eq!(s.ok(&["auth", "get-key", "client.x"]), "AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==");
    assert_eq!(keyring(&s.ok(&["auth", "get", "client.y"]))[0].2, caps(&[("mon", "allow *")]));
    // Import replaces an entity's key and caps.
    let other = Key::generate().to_base64();
    s.run_in(&["auth", "import", "-i", "-"], Some(format!("[client.x]\nkey = {other}\n").as_bytes()));
    assert_eq!(s.ok(&["auth", "get-key", "client.x"]), other);
    assert!(keyring(&s.ok(&["auth", "get", "client.x"]))[0].2.is_empty());

    // export: everything, or one entity; -o writes the output to a private file.
    let (all, err) = s.ok2(&["auth", "export"]);
    assert_eq!(err, "exported master keyring\n");
    let names: Vec<String> = keyring(&all).into_iter().map(|e| e.0).collect();
    assert_eq!(names, ["client.admin", "client.x", "client.y"]);
    let (out, err) = s.ok2(&["auth", "export", "client.y", "-o", "y.keyring"]);
    assert_eq!(out, "");
    assert_eq!(err, "export auth(key=AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==)\n");
    let written = std::fs::read_to_string(s.path("y.keyring")).unwrap();
    assert_eq!(written, "[client.y]\n\tkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n\tcaps mon = \"allow *\"\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(s.path("y.keyring")).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(s.ok(&["auth", "export", "client.y", "-o", "-"]), written);
    assert_eq!(s.fails(&["auth", "export", "client.nope"], 2), "Error ENOENT: no key for client.nope\n");
    // The exported master keyring imports into another store as it was.
    let t = Store::empty();
    std::fs::write(t.path("all"), &all).unwrap();
    t.ok(&["auth", "import", "-i", "all"]);
    assert_eq!(t.ok(&["auth", "export"]), all);
    // get-or-create -o: the keyring file a client then uses.
    s.ok(&["auth", "get-or-create", "client.glance", "mon", "profile rbd", "-o", "glance.keyring"]);
    let g = keyring(&std::fs::read_to_string(s.path("glance.keyring")).unwrap());
    assert_eq!(g[0].1, s.ok(&["auth", "get-key", "client.glance"]));

    // Malformed keyrings are refused, naming the line; nothing is imported.
    let before = s.ok(&["auth", "export"]);
    for (bad, msg) in [
        ("[client.z]\nkey = not-a-key!\n", "line 2: bad key: not base64 for [client.z]"),
        ("[client.z]\nkey = nonsense\n", "line 2: bad key: too short for [client.z]"),
        ("key = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n", "line 1: setting outside any [entity] section"),
        ("[client.z\n", "line 1: unterminated section header"),
        ("[bogus.z]\nkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n", "line 1: bad entity name [bogus.z]"),
        ("[client.z]\ncaps mon = \"allow r\"\n", "line 1: [client.z] has no key"),
        (
            "[client.z]\nkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\nflavour = 1\n",
            "line 3: unknown field 'flavour' in [client.z]",
        ),
    ] {
        std::fs::write(s.path("bad"), bad).unwrap();
        assert_eq!(
            s.fails(&["auth", "import", "-i", "bad"], 22),
            format!("Error EINVAL: error decoding keyring: {msg}\n")
        );
    }
    std::fs::write(s.path("bin"), [0xffu8, 0xfe, 0, 1]).unwrap();
    assert!(s.fails(&["auth", "import", "-i", "bin"], 22).starts_with("Error EINVAL: error decoding keyring"));
    assert_eq!(s.fails(&["auth", "import"], 22), "Error EINVAL: auth import: no data supplied\n");
    let err = s.fails(&["auth", "import", "-i", "missing"], 1);
    assert_eq!(err, "Can't open input file missing: [Errno 2] No such file or directory: 'missing'\n");
    assert_eq!(s.ok(&["auth", "export"]), before);
}

#[test]
fn unknown_and_malformed_commands() {
    let s = Store::new();
    let err = s.fails(&["frobnicate"], 22);
    assert!(err.starts_with("no valid command found; 10 closest matches:\n"), "{err}");
    assert!(err.ends_with("Error EINVAL: invalid command\n"), "{err}");
    assert_eq!(err.lines().count(), 12);
    let err = s.fails(&["osd", "pool", "frob"], 22);
    let listed: Vec<&str> = err.lines().skip(1).take_while(|l| !l.starts_with("Error")).collect();
    assert_eq!(listed.len(), 10);
    assert!(listed.iter().all(|l| l.starts_with("osd pool ")), "{err}");
    let err = s.fails(&["auth"], 22);
    assert!(err.contains("\nauth get <entity>\n"), "{err}");
    let err = s.fails(&["fsid", "extra"], 22);
    assert_eq!(
        err,
        "Invalid command: unused arguments: ['extra']\nfsid :  show cluster FSID/UUID\nError EINVAL: invalid command\n"
    );
    let err = s.fails(&["osd", "pool", "get", "rbd"], 22);
    assert!(err.starts_with("Invalid command: missing required parameter var(size|min_size|"), "{err}");
    let err = s.fails(&["df", "--frob"], 22);
    assert!(
        err.starts_with(
            "Invalid command: Unexpected argument '--frob'\ndf [detail] :  show cluster free space stats\n"
        ),
        "{err}"
    );
    // The tool's own options are checked as Python's argparse checks them.
    let err = s.fails(&["fsid", "-f", "yaml2"], 2);
    assert!(
        err.contains("ceph: error: argument -f/--format: invalid choice: 'yaml2' (choose from 'json', 'json-pretty'"),
        "{err}"
    );
    // No command at all.
    assert!(s.fails(&[], 22).starts_with("no valid command found"));
    // A store that cannot be opened.
    let o = Command::new(env!("CARGO_BIN_EXE_ceph")).arg("fsid").env("RBDSHIM_BACKEND", "nosuch:x").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "[errno 22] RADOS invalid argument (error connecting to the cluster)\n"
    );
    let err = s.fails(&["df", "-o", "/nonexistent/dir/out"], 1);
    assert!(err.starts_with("Can't open output file /nonexistent/dir/out: [Errno 2]"), "{err}");
}

#[test]
fn help() {
    let s = Store::empty();
    let h = s.ok(&["-h"]);
    assert!(h.starts_with("\n General usage: \n ==============\nusage: ceph [-h]"), "{h}");
    assert!(h.contains("\n Monitor commands: \n =================\n"), "{h}");
    assert!(h.contains("\nauth get-or-create <entity> [<caps>...]"), "{h}");
    assert!(h.contains("\nosd pool get-quota <pool>"), "{h}");
    let h = s.ok(&["osd", "pool", "-h"]);
    let cmds = h.split(" =================\n").nth(1).unwrap();
    assert!(cmds.lines().filter(|l| !l.starts_with(' ')).all(|l| l.starts_with("osd pool ")), "{cmds}");
    assert!(cmds.contains("osd pool set-quota <pool> max_objects|"), "{cmds}");
    assert_eq!(s.ok(&["auth", "get", "--help"]), s.ok(&["auth", "get", "-h"]));
}

#[test]
fn output_files_and_formats() {
    let s = Store::new();
    // -o gets the output as is (no leading empty line before JSON).
    s.ok(&["osd", "pool", "ls", "-f", "json", "-o", "pools.json"]);
    assert_eq!(std::fs::read_to_string(s.path("pools.json")).unwrap(), "[\"rbd\",\"vms\"]\n");
    // Options are read wherever they are.
    assert_eq!(s.ok(&["--format", "json", "osd", "pool", "ls"]), "\n[\"rbd\",\"vms\"]\n");
    assert_eq!(
        s.ok(&["osd", "--format=xml", "pool", "ls"]),
        "<pools><pool_name>rbd</pool_name><pool_name>vms</pool_name></pools>\n"
    );
    let pretty = s.ok(&["osd", "lspools", "-f", "xml-pretty"]);
    assert!(pretty.starts_with("<pools>\n    <pool>\n        <poolnum>1</poolnum>"), "{pretty}");
    assert_eq!(s.ok(&["osd", "pool", "ls", "-f", "plain"]), "rbd\nvms\n");
    // Global options of every Ceph tool are accepted (and -i stays ceph's input file).
    assert_eq!(s.ok(&["--id", "admin", "--cluster", "ceph", "osd", "pool", "ls"]), "rbd\nvms\n");
    assert_eq!(s.ok(&["-n", "client.admin", "fsid"]), s.ok(&["fsid"]));
}

#[test]
fn monitor_command_replies() {
    let s = Store::new();
    let c = s.cluster();
    let r = rbdshim_core::monitor::mon_command(&c, r#"{"prefix": "osd pool get", "pool": "nope", "var": "size"}"#, b"");
    assert_eq!((r.ret, r.outbuf.is_empty(), r.outs.as_str()), (-2, true, "unrecognized pool 'nope'"));
    let r = rbdshim_core::monitor::mon_command(&c, r#"{"prefix": "osd pool rm", "pool": "nope"}"#, b"");
    assert_eq!((r.ret, r.outs.as_str()), (0, "pool 'nope' does not exist"));
    let r = rbdshim_core::monitor::mon_command(&c, r#"{"prefix": "no such command"}"#, b"");
    assert_eq!(r.ret, -22);
    let r = rbdshim_core::monitor::mon_command(
        &c,
        r#"{"prefix": "auth import"}"#,
        b"[client.q]\nkey = AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==\n",
    );
    assert_eq!((r.ret, r.outs.as_str()), (0, "imported keyring"));
    assert_eq!(s.ok(&["auth", "get-key", "client.q"]), "AQD0RwRrrwcEGhAAiZv4mRRTnwonsYPWJdidbg==");
    // Numbers may come as JSON numbers, as librados callers send them.
    let r = rbdshim_core::monitor::mon_command(&c, r#"{"prefix": "osd pool create", "pool": "n", "pg_num": 8}"#, b"");
    assert_eq!((r.ret, r.outs.as_str()), (0, "pool 'n' created"));
    assert_eq!(s.ok(&["osd", "pool", "get", "n", "pg_num"]), "pg_num: 8\n");
    // A pool made through librados has the default properties.
    c.pool_create("viarados").unwrap();
    assert_eq!(s.ok(&["osd", "pool", "get", "viarados", "size"]), "size: 3\n");
}
