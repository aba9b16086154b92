//! The shared backend behaviour suite, on the file backend.

use rbdshim_backend::Backend;
use rbdshim_backend_file::FileBackend;
use std::sync::Arc;

fn make() -> (tempfile::TempDir, Arc<dyn Backend>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(FileBackend::open(dir.path()).expect("open"));
    (dir, b)
}

rbdshim_backend::backend_suite!(make());

/// Cluster records hold key material: owner-only files under `cluster/records`, never a path
/// built from the key.
#[test]
fn cluster_records_are_private_files() {
    use rbdshim_backend::PutMode;
    use std::os::unix::fs::PermissionsExt;
    let (dir, b) = make();
    b.cluster_record_put("auth/client.admin", b"secret", PutMode::Create).unwrap();
    b.cluster_record_put("../../outside", b"x", PutMode::Create).unwrap();
    let records = dir.path().join("cluster").join("records");
    let mut files: Vec<_> = std::fs::read_dir(&records).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_eq!(std::fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
    }
    assert_eq!(std::fs::metadata(&records).unwrap().permissions().mode() & 0o777, 0o700);
    assert!(!dir.path().parent().unwrap().join("outside").exists());
    // A record whose file holds another key is reported by fsck, not returned.
    std::fs::copy(&files[0], &files[1]).unwrap();
    assert!(!b.fsck(false).unwrap().is_clean());
}
