//! The shared backend behaviour suite, on the curve backend with its embedded metadata store.

use rbdshim_backend::Backend;
use rbdshim_backend_curve::CurveBackend;
use std::sync::Arc;

fn make() -> (tempfile::TempDir, Arc<dyn Backend>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let b: Arc<dyn Backend> = Arc::new(CurveBackend::open(&dir.path().display().to_string()).expect("open"));
    (dir, b)
}

rbdshim_backend::backend_suite!(make());
