//! Completions for `rados` and `rbd` asynchronous calls; callbacks run with the GIL.

use crate::cluster::NativeIoctx;
use crate::{ok, R};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rbdshim_core::{Completion, IoCtx};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// An asynchronous request's completion.
#[pyclass(module = "rbdshim._native")]
pub(crate) struct NativeCompletion {
    pub(crate) c: Arc<Completion>,
}

#[pymethods]
impl NativeCompletion {
    /// Waits (without the GIL) for the request and its callback; returns its value.
    fn wait(&self, py: Python<'_>) -> i64 {
        py.allow_threads(|| self.c.wait())
    }
    fn is_complete(&self) -> bool {
        self.c.is_complete()
    }
    fn return_value(&self) -> i64 {
        self.c.return_value()
    }
}

/// A completion whose callback calls `cb(ret, data)` with the GIL (data: bytes or None).
pub(crate) fn py_completion(cb: Option<PyObject>, data: Option<Arc<slot::Slot>>) -> Arc<Completion> {
    completion_with(cb, data, false)
}

/// Set by the interpreter's exit hook (`quiesce`): from then on completion callbacks are not
/// run. A thread that asks for the GIL while Python finalizes is ended with pthread_exit, and
/// that forced unwind through Rust frames would abort the process.
static EXITING: AtomicBool = AtomicBool::new(false);
/// Callbacks running (or waiting for the GIL) right now.
static IN_CALLBACK: AtomicUsize = AtomicUsize::new(0);

/// Called at interpreter exit: lets running callbacks finish and stops later ones.
#[pyfunction]
pub(crate) fn quiesce(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    py.allow_threads(|| {
        while IN_CALLBACK.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

fn completion_with(cb: Option<PyObject>, data: Option<Arc<slot::Slot>>, rados: bool) -> Arc<Completion> {
    let callback: Option<rbdshim_core::aio::Callback> = cb.map(|cb| {
        Box::new(move |ret: i64| {
            // Counted before the flag is read, so quiesce() either sees this callback or it
            // sees the flag.
            IN_CALLBACK.fetch_add(1, Ordering::SeqCst);
            if EXITING.load(Ordering::SeqCst) {
                IN_CALLBACK.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            Python::with_gil(|py| {
                let payload = data.as_ref().and_then(|d| d.take()).filter(|_| ret >= 0);
                let arg: PyObject = match payload {
                    Some(v) => PyBytes::new(py, &v).into_any().unbind(),
                    None => py.None(),
                };
                if let Err(e) = cb.call1(py, (ret, arg)) {
                    e.print(py);
                }
            });
            IN_CALLBACK.fetch_sub(1, Ordering::SeqCst);
        }) as rbdshim_core::aio::Callback
    });
    if rados {
        Completion::new_rados(callback)
    } else {
        Completion::new(callback)
    }
}

/// Object requests on the core's AIO pool, with librados's completion order, counted in the
/// I/O context until complete (for aio_flush).
fn rados_aio(
    io: &IoCtx,
    cb: Option<PyObject>,
    data: Option<Arc<slot::Slot>>,
    job: impl FnOnce() -> rbdshim_core::Result<i64> + Send + 'static,
) -> R<NativeCompletion> {
    let c = completion_with(cb, data, true);
    ok(io.aio_run(c.clone(), Box::new(move || job().unwrap_or_else(|e| -(e.errno() as i64)))))?;
    Ok(NativeCompletion { c })
}

// Each request is for the namespace set when it is submitted, as in librados.
#[pymethods]
impl NativeIoctx {
    #[pyo3(signature = (oid, data, offset, cb=None))]
    fn aio_write(&self, oid: String, data: Vec<u8>, offset: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let (io, loc) = (self.io.clone(), self.io.loc());
        rados_aio(&self.io, cb, None, move || Ok(io.objects().write(&loc, &oid, offset, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, data, cb=None))]
    fn aio_write_full(&self, oid: String, data: Vec<u8>, cb: Option<PyObject>) -> R<NativeCompletion> {
        let (io, loc) = (self.io.clone(), self.io.loc());
        rados_aio(&self.io, cb, None, move || Ok(io.objects().write_full(&loc, &oid, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, data, cb=None))]
    fn aio_append(&self, oid: String, data: Vec<u8>, cb: Option<PyObject>) -> R<NativeCompletion> {
        let (io, loc) = (self.io.clone(), self.io.loc());
        rados_aio(&self.io, cb, None, move || Ok(io.objects().append(&loc, &oid, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, length, offset, cb=None))]
    fn aio_read(&self, oid: String, length: u64, offset: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let (io, loc) = (self.io.clone(), self.io.loc());
        let out = Arc::new(slot::Slot::default());
        let o2 = out.clone();
        rados_aio(&self.io, cb, Some(out), move || {
            let d = io.objects().read(&loc, &oid, offset, length)?;
            let n = d.len() as i64;
            o2.put(d);
            Ok(n)
        })
    }
    #[pyo3(signature = (oid, cb=None))]
    fn aio_remove(&self, oid: String, cb: Option<PyObject>) -> R<NativeCompletion> {
        let (io, loc) = (self.io.clone(), self.io.loc());
        rados_aio(&self.io, cb, None, move || Ok(io.objects().remove(&loc, &oid).map(|_| 0)?))
    }
    /// Waits (without the GIL) until every request submitted so far is complete.
    fn aio_flush(&self, py: Python<'_>) {
        py.allow_threads(|| self.io.aio_flush())
    }
}

/// A one-shot hand-over of read data from the IO thread to the callback.
pub(crate) mod slot {
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct Slot(Mutex<Option<Vec<u8>>>);

    impl Slot {
        pub fn put(&self, v: Vec<u8>) {
            if let Ok(mut g) = self.0.lock() {
                *g = Some(v);
            }
        }
        pub fn take(&self) -> Option<Vec<u8>> {
            self.0.lock().ok().and_then(|mut g| g.take())
        }
    }
}
