//! The curve backend with its metadata in a real 3-member etcd cluster: the behaviour suite,
//! sessions, and faults (members killed during IO and metadata work).

mod common;

use rbdshim_backend::{Backend, Loc, PutMode, SnapContext, View, VolumeSpec};
use rbdshim_backend_curve::etcd_cluster::EtcdCluster;
use rbdshim_backend_curve::options::GIB;
use rbdshim_backend_curve::{CurveBackend, CurveClient, CurveError, Options, UserInfo};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One cluster for the suite cases of this binary (each store has its own key prefix): the one
/// `RBDSHIM_TEST_ETCD` names, or one started here by a thread that lives as long as the
/// process (the members die with it).
fn shared() -> &'static str {
    static ENDPOINTS: OnceLock<String> = OnceLock::new();
    ENDPOINTS.get_or_init(|| {
        if let Ok(eps) = std::env::var("RBDSHIM_TEST_ETCD") {
            if !eps.is_empty() {
                return eps;
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Under target/ (never removed: this thread outlives the tests).
            let d = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            let c = EtcdCluster::start(d.path(), 3).expect("start etcd (Debian's etcd-server)");
            tx.send(c.endpoints()).unwrap();
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("etcd cluster")
    })
}

fn spec(dir: &std::path::Path, endpoints: &str, extra: &str) -> String {
    format!("{}?etcd={endpoints}&prefix=t{:x}/{extra}", dir.display(), rand::random::<u64>())
}

fn make() -> (tempfile::TempDir, Arc<dyn Backend>) {
    let dir = tempfile::tempdir().unwrap();
    let b: Arc<dyn Backend> = Arc::new(CurveBackend::open(&spec(dir.path(), shared(), "")).expect("open"));
    (dir, b)
}

rbdshim_backend::backend_suite!(make());

#[test]
fn two_clients_share_the_namespace() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let prefix = format!("share{:x}/", rand::random::<u32>());
    let opts = |d: &std::path::Path| Options {
        etcd: shared().split(',').map(str::to_string).collect(),
        etcd_prefix: prefix.clone(),
        ..Options::new(d)
    };
    let a = CurveClient::init(opts(d1.path())).unwrap();
    let b = CurveClient::init(opts(d2.path())).unwrap();
    let u = UserInfo::new("glance");
    a.mkdir("/images", &u).unwrap();
    a.create("/images/v", &u, 10 * GIB).unwrap();
    assert_eq!(b.stat_file("/images/v", &u).unwrap().length, 10 * GIB);
    assert_eq!(b.create("/images/v", &u, 10 * GIB), Err(CurveError::Exists));
    assert_eq!(b.open("/images/v", &UserInfo::new("nova")), Err(CurveError::AuthFail));
}

/// Waits until `f` holds or `limit` passes.
/// `f`'s answer, retried while it times out (for at most 30 s).
fn settled<T>(mut f: impl FnMut() -> rbdshim_backend::Result<T>) -> T {
    let start = Instant::now();
    loop {
        match f() {
            Err(e) if e.errno() == libc::ETIMEDOUT && start.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(200))
            }
            r => return r.unwrap(),
        }
    }
}

fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn faults_one_member_down_then_quorum_lost_then_back() {
    let d = tempfile::tempdir().unwrap();
    let mut cluster = EtcdCluster::start(&d.path().join("etcd"), 3).expect("start etcd");
    let data = d.path().join("data");
    let b = CurveBackend::open(&format!("{}?etcd={}&timeout_ms=3000", data.display(), cluster.endpoints())).unwrap();
    let pool = b.pool_create("rbd").unwrap();
    let loc = Loc::new(pool, "");
    b.volume_create(&loc, "v", VolumeSpec { size: 1 << 30, order: 22, owner: None }).unwrap();
    let v = b.volume_open(&loc, "v").unwrap();
    let sc = SnapContext::default();
    let block = |i: u64| vec![(i % 251) as u8 + 1; 4096];

    // One member down: IO and metadata work go on.
    cluster.kill(0);
    for i in 0..64u64 {
        v.write(&sc, i * (4 << 20), &block(i)).unwrap();
        b.record_put(&loc, &format!("k{i}"), &block(i)[..8], PutMode::Upsert).unwrap();
    }
    b.volume_create(&loc, "w", VolumeSpec { size: 1 << 30, order: 22, owner: None }).unwrap();
    assert_eq!(b.record_list(&loc, "k").unwrap().len(), 64);

    // Two down: metadata work fails with a timeout, in bounded time, and changes nothing.
    cluster.kill(1);
    let start = Instant::now();
    let err = b.record_put(&loc, "lost", b"x", PutMode::Create).unwrap_err();
    assert_eq!(err.errno(), libc::ETIMEDOUT, "{err}");
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    assert_eq!(
        b.volume_create(&loc, "x", VolumeSpec { size: 1 << 30, order: 22, owner: None }).unwrap_err().errno(),
        libc::ETIMEDOUT
    );
    // Data already placed stays readable: reads need no metadata.
    let mut buf = vec![0u8; 4096];
    v.read(View::Head, 5 * (4 << 20), &mut buf).unwrap();
    assert_eq!(buf, block(5));

    // Members back: everything works again, nothing half-done.
    cluster.restart(0).unwrap();
    cluster.restart(1).unwrap();
    // Until a leader is elected again requests may still time out.
    let back = eventually(Duration::from_secs(30), || b.record_put(&loc, "probe", b"p", PutMode::Upsert).is_ok());
    assert!(back, "metadata came back");
    // A re-elected cluster may still drop a request or two on a loaded machine: such a request
    // times out (and is retried here); anything else is an answer to check.
    assert_eq!(settled(|| b.record_get(&loc, "lost")), None);
    let opened = settled(|| match b.volume_open(&loc, "x") {
        Err(e) if e.errno() == libc::ETIMEDOUT => Err(e),
        r => Ok(r.is_ok()),
    });
    assert!(!opened, "the volume whose creation timed out does not exist");
    settled(|| b.record_put(&loc, "after", b"y", PutMode::Create));
    for i in 0..64u64 {
        v.read(View::Head, i * (4 << 20), &mut buf).unwrap();
        assert_eq!(buf, block(i), "block {i}");
        assert_eq!(settled(|| b.record_get(&loc, &format!("k{i}"))).unwrap(), block(i)[..8]);
    }
    assert!(b.fsck(false).unwrap().is_clean());
}

/// The role a re-run of this binary plays: opens a volume on the cluster and waits.
#[test]
fn child_role() {
    let Ok(spec) = std::env::var("CURVE_TEST_CHILD_SPEC") else { return };
    let c = CurveClient::with_store(rbdshim_backend_curve::CurveStore::open(Options::parse(&spec).unwrap()).unwrap());
    let fd = c.open("/pool/v", &UserInfo::new("alice")).unwrap();
    c.write(fd, &[9u8; 4096], 0).unwrap();
    println!("@@ open");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_killed_writers_session_expires() {
    let d = tempfile::tempdir().unwrap();
    let spec = spec(d.path(), shared(), "&lease_ms=2000");
    let c = CurveClient::with_store(rbdshim_backend_curve::CurveStore::open(Options::parse(&spec).unwrap()).unwrap());
    let u = UserInfo::new("alice");
    c.mkdir("/pool", &u).unwrap();
    c.create("/pool/v", &u, 10 * GIB).unwrap();
    let mut child = common::spawn_open_child("CURVE_TEST_CHILD_SPEC", spec.as_ref());
    assert_eq!(c.unlink("/pool/v", &u), Err(CurveError::FileOccupied));
    child.kill().unwrap();
    child.wait().unwrap();
    let deleted = eventually(Duration::from_secs(20), || c.unlink("/pool/v", &u).is_ok());
    assert!(deleted, "the dead writer's session expired and the volume could be deleted");
}
