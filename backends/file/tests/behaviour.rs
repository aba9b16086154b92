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
