//! Completions for `rados` and `rbd` asynchronous calls; callbacks run with the GIL.

use crate::cluster::NativeIoctx;
use crate::{ok, R};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rbdshim_core::Completion;
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

fn completion_with(cb: Option<PyObject>, data: Option<Arc<slot::Slot>>, rados: bool) -> Arc<Completion> {
    let callback: Option<rbdshim_core::aio::Callback> = cb.map(|cb| {
        Box::new(move |ret: i64| {
            Python::with_gil(|py| {
                let payload = data.as_ref().and_then(|d| d.take()).filter(|_| ret >= 0);
                let arg: PyObject = match payload {
                    Some(v) => PyBytes::new(py, &v).into_any().unbind(),
                    None => py.None(),
                };
                if let Err(e) = cb.call1(py, (ret, arg)) {
                    e.print(py);
                }
            })
        }) as rbdshim_core::aio::Callback
    });
    if rados {
        Completion::new_rados(callback)
    } else {
        Completion::new(callback)
    }
}

/// Object requests on the core's AIO pool, with librados's completion order.
fn rados_aio(
    cb: Option<PyObject>,
    data: Option<Arc<slot::Slot>>,
    job: impl FnOnce() -> rbdshim_core::Result<i64> + Send + 'static,
) -> R<NativeCompletion> {
    let c = completion_with(cb, data, true);
    ok(rbdshim_core::aio::run(c.clone(), Box::new(move || job().unwrap_or_else(|e| -(e.errno() as i64)))))?;
    Ok(NativeCompletion { c })
}

#[pymethods]
impl NativeIoctx {
    #[pyo3(signature = (oid, data, offset, cb=None))]
    fn aio_write(&self, oid: String, data: Vec<u8>, offset: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let io = self.io.clone();
        rados_aio(cb, None, move || Ok(io.objects().write(&io.loc(), &oid, offset, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, data, cb=None))]
    fn aio_write_full(&self, oid: String, data: Vec<u8>, cb: Option<PyObject>) -> R<NativeCompletion> {
        let io = self.io.clone();
        rados_aio(cb, None, move || Ok(io.objects().write_full(&io.loc(), &oid, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, data, cb=None))]
    fn aio_append(&self, oid: String, data: Vec<u8>, cb: Option<PyObject>) -> R<NativeCompletion> {
        let io = self.io.clone();
        rados_aio(cb, None, move || Ok(io.objects().append(&io.loc(), &oid, &data).map(|_| 0)?))
    }
    #[pyo3(signature = (oid, length, offset, cb=None))]
    fn aio_read(&self, oid: String, length: u64, offset: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let io = self.io.clone();
        let out = Arc::new(slot::Slot::default());
        let o2 = out.clone();
        rados_aio(cb, Some(out), move || {
            let d = io.objects().read(&io.loc(), &oid, offset, length)?;
            let n = d.len() as i64;
            o2.put(d);
            Ok(n)
        })
    }
    #[pyo3(signature = (oid, cb=None))]
    fn aio_remove(&self, oid: String, cb: Option<PyObject>) -> R<NativeCompletion> {
        let io = self.io.clone();
        rados_aio(cb, None, move || Ok(io.objects().remove(&io.loc(), &oid).map(|_| 0)?))
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
