//! The native half of the `rados` and `rbd` Python modules: thin wrappers over rbdshim-core.
//!
//! It converts arguments, releases the GIL around IO and metadata work, and raises
//! `NativeError(errno, text)`; the Python layer (pysrc/) turns that into the exception class
//! Ceph's modules raise, with Ceph's message. Data is always `bytes`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rbdshim_core::lock::LockMode;
use rbdshim_core::{clone, manage, Cluster, Completion, CreateOptions, Error, Image, IoCtx};
use std::sync::Arc;

create_exception!(_native, NativeError, PyException, "An errno from the rbdshim core.");

fn err(e: Error) -> PyErr {
    NativeError::new_err((e.errno(), e.to_string()))
}

type R<T> = PyResult<T>;

fn ok<T>(r: rbdshim_core::Result<T>) -> R<T> {
    r.map_err(err)
}

#[pyclass(module = "rbdshim._native")]
struct NativeCluster {
    c: Arc<Cluster>,
}

#[pymethods]
impl NativeCluster {
    #[new]
    #[pyo3(signature = (name=None, clustername=None, full_name=false))]
    fn new(name: Option<&str>, clustername: Option<&str>, full_name: bool) -> R<Self> {
        Ok(NativeCluster { c: ok(Cluster::new(clustername, name, full_name))? })
    }
    fn conf_set(&self, key: &str, value: &str) -> R<()> {
        ok(self.c.conf_set(key, value))
    }
    fn conf_get(&self, key: &str) -> R<String> {
        ok(self.c.conf_get(key))
    }
    #[pyo3(signature = (path=None))]
    fn conf_read_file(&self, path: Option<&str>) -> R<()> {
        ok(self.c.conf_read_file(path))
    }
    fn conf_parse_argv(&self, args: Vec<String>) -> R<Vec<String>> {
        ok(self.c.config_mut().parse_argv(&args))
    }
    #[pyo3(signature = (var=None))]
    fn conf_parse_env(&self, var: Option<&str>) -> R<()> {
        ok(self.c.config_mut().parse_env(var))
    }
    fn connect(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.c.connect()))
    }
    fn shutdown(&self) {
        self.c.shutdown()
    }
    fn fsid(&self) -> R<String> {
        ok(self.c.fsid())
    }
    fn instance_id(&self) -> u64 {
        self.c.instance_id()
    }
    fn pool_list(&self) -> R<Vec<(i64, String)>> {
        ok(self.c.pool_list())
    }
    fn pool_create(&self, name: &str) -> R<i64> {
        ok(self.c.pool_create(name))
    }
    fn pool_delete(&self, name: &str) -> R<()> {
        ok(self.c.pool_delete(name))
    }
    fn pool_lookup(&self, name: &str) -> R<i64> {
        ok(self.c.pool_lookup(name))
    }
    fn pool_reverse_lookup(&self, id: i64) -> R<String> {
        ok(self.c.pool_reverse_lookup(id))
    }
    /// (total, used, available bytes, objects)
    fn usage(&self) -> R<(u64, u64, u64, u64)> {
        let u = ok(self.c.usage())?;
        Ok((u.total_bytes, u.used_bytes, u.avail_bytes, u.objects))
    }
    /// (output, status) of a monitor command in JSON.
    fn mon_command<'p>(&self, py: Python<'p>, cmd: &str) -> R<(Bound<'p, PyBytes>, String)> {
        let (out, status) = ok(rbdshim_core::monitor::command(&self.c, cmd))?;
        Ok((PyBytes::new(py, &out), status))
    }
    fn open_ioctx(&self, name: &str) -> R<NativeIoctx> {
        Ok(NativeIoctx { io: ok(self.c.ioctx(name))? })
    }
    fn open_ioctx2(&self, id: i64) -> R<NativeIoctx> {
        Ok(NativeIoctx { io: ok(self.c.ioctx_by_id(id))? })
    }
}

#[pyclass(module = "rbdshim._native")]
struct NativeIoctx {
    io: IoCtx,
}

#[pymethods]
impl NativeIoctx {
    fn set_namespace(&self, ns: &str) {
        self.io.set_namespace(Some(ns))
    }
    fn namespace(&self) -> String {
        self.io.namespace()
    }
    fn pool_id(&self) -> i64 {
        self.io.pool_id()
    }
    fn pool_name(&self) -> String {
        self.io.pool_name().to_string()
    }
    fn pool_used(&self) -> R<u64> {
        ok(self.io.pool_used())
    }
    fn read<'p>(&self, py: Python<'p>, oid: &str, length: u64, offset: u64) -> R<Bound<'p, PyBytes>> {
        let loc = self.io.loc();
        let d = py.allow_threads(|| ok(self.io.objects().read(&loc, oid, offset, length).map_err(Into::into)))?;
        Ok(PyBytes::new(py, &d))
    }
    fn write(&self, py: Python<'_>, oid: &str, data: &[u8], offset: u64) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().write(&loc, oid, offset, data).map_err(Into::into)))
    }
    fn write_full(&self, py: Python<'_>, oid: &str, data: &[u8]) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().write_full(&loc, oid, data).map_err(Into::into)))
    }
    fn append(&self, py: Python<'_>, oid: &str, data: &[u8]) -> R<()> {
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().append(&loc, oid, data).map_err(Into::into)))
    }
    fn remove(&self, oid: &str) -> R<()> {
        ok(self.io.objects().remove(&self.io.loc(), oid).map_err(Into::into))
    }
    fn trunc(&self, oid: &str, size: u64) -> R<()> {
        ok(self.io.objects().truncate(&self.io.loc(), oid, size).map_err(Into::into))
    }
    /// (size, mtime seconds)
    fn stat(&self, oid: &str) -> R<(u64, f64)> {
        let st = ok(self.io.objects().stat(&self.io.loc(), oid).map_err(Into::into))?;
        let t = st.mtime.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        Ok((st.size, t))
    }
    fn xattr_get<'p>(&self, py: Python<'p>, oid: &str, name: &str) -> R<Bound<'p, PyBytes>> {
        let v = ok(self.io.objects().xattr_get(&self.io.loc(), oid, name).map_err(Into::into))?;
        Ok(PyBytes::new(py, &v))
    }
    fn xattr_set(&self, oid: &str, name: &str, value: &[u8]) -> R<()> {
        ok(self.io.objects().xattr_set(&self.io.loc(), oid, name, value).map_err(Into::into))
    }
    fn xattr_remove(&self, oid: &str, name: &str) -> R<()> {
        ok(self.io.objects().xattr_remove(&self.io.loc(), oid, name).map_err(Into::into))
    }
    fn xattrs(&self, oid: &str) -> R<Vec<(String, Vec<u8>)>> {
        Ok(ok(self.io.objects().xattrs(&self.io.loc(), oid).map_err(Into::into))?.into_iter().collect())
    }
    fn omap_get(&self, oid: &str) -> R<Vec<(String, Vec<u8>)>> {
        Ok(ok(self.io.objects().omap_get(&self.io.loc(), oid).map_err(Into::into))?.into_iter().collect())
    }
    fn omap_update(&self, oid: &str, set: Vec<(String, Vec<u8>)>, remove: Vec<String>) -> R<()> {
        let set = set.into_iter().collect();
        ok(self.io.objects().omap_update(&self.io.loc(), oid, &set, &remove).map_err(Into::into))
    }
    fn omap_clear(&self, oid: &str) -> R<()> {
        ok(self.io.objects().omap_clear(&self.io.loc(), oid).map_err(Into::into))
    }
    /// (namespace, name) of every object; all namespaces when `all` is set.
    fn list_objects(&self, all: bool) -> R<Vec<(String, String)>> {
        let ns = self.io.namespace();
        ok(self.io.objects().list(self.io.pool_id(), if all { None } else { Some(&ns) }).map_err(Into::into))
    }
}

fn opts(
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> CreateOptions {
    CreateOptions { order, features, stripe_unit, stripe_count, data_pool }
}

#[pyfunction]
#[pyo3(signature = (io, name, size, order=None, features=None, stripe_unit=None, stripe_count=None, data_pool=None))]
#[allow(clippy::too_many_arguments)]
fn create(
    py: Python<'_>,
    io: &NativeIoctx,
    name: &str,
    size: u64,
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> R<String> {
    let o = opts(order, features, stripe_unit, stripe_count, data_pool);
    py.allow_threads(|| ok(manage::create(&io.io, name, size, &o)))
}

#[pyfunction]
#[pyo3(signature = (p_io, p_name, p_snap, c_io, c_name, order=None, features=None, stripe_unit=None, stripe_count=None, data_pool=None))]
#[allow(clippy::too_many_arguments)]
fn clone_image(
    py: Python<'_>,
    p_io: &NativeIoctx,
    p_name: &str,
    p_snap: &str,
    c_io: &NativeIoctx,
    c_name: &str,
    order: Option<u8>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    data_pool: Option<String>,
) -> R<String> {
    let o = opts(order, features, stripe_unit, stripe_count, data_pool);
    py.allow_threads(|| ok(clone::clone(&p_io.io, p_name, p_snap, &c_io.io, c_name, &o)))
}

#[pyfunction]
fn remove(py: Python<'_>, io: &NativeIoctx, name: &str) -> R<()> {
    py.allow_threads(|| ok(manage::remove(&io.io, name)))
}

#[pyfunction]
fn rename(io: &NativeIoctx, src: &str, dst: &str) -> R<()> {
    ok(manage::rename(&io.io, src, dst))
}

#[pyfunction]
fn list2(io: &NativeIoctx) -> R<Vec<(String, String)>> {
    ok(manage::list2(&io.io))
}

#[pyfunction]
fn trash_move(io: &NativeIoctx, name: &str, delay: u64) -> R<String> {
    ok(manage::trash_move(&io.io, name, delay))
}

/// (id, name, source, deletion_time, deferment_end_time)
#[pyfunction]
fn trash_list(io: &NativeIoctx) -> R<Vec<(String, String, u8, u64, u64)>> {
    Ok(ok(manage::trash_list(&io.io))?
        .into_iter()
        .map(|e| (e.id, e.name, e.source, e.deletion_time, e.deferment_end_time))
        .collect())
}

#[pyfunction]
fn trash_remove(py: Python<'_>, io: &NativeIoctx, id: &str, force: bool) -> R<()> {
    py.allow_threads(|| ok(manage::trash_remove(&io.io, id, force)))
}

#[pyfunction]
fn trash_restore(io: &NativeIoctx, id: &str, name: &str) -> R<()> {
    ok(manage::trash_restore(&io.io, id, name))
}

#[pyfunction]
fn namespace_create(io: &NativeIoctx, name: &str) -> R<()> {
    ok(manage::namespace_create(&io.io, name))
}

#[pyfunction]
fn namespace_remove(io: &NativeIoctx, name: &str) -> R<()> {
    ok(manage::namespace_remove(&io.io, name))
}

#[pyfunction]
fn namespace_list(io: &NativeIoctx) -> R<Vec<String>> {
    ok(manage::namespace_list(&io.io))
}

#[pyfunction]
fn namespace_exists(io: &NativeIoctx, name: &str) -> R<bool> {
    ok(manage::namespace_exists(&io.io, name))
}

#[pyclass(module = "rbdshim._native")]
struct NativeImage {
    img: Arc<Image>,
}

#[pymethods]
impl NativeImage {
    #[new]
    #[pyo3(signature = (io, name, snapshot=None, read_only=false, by_id=false))]
    fn new(
        py: Python<'_>,
        io: &NativeIoctx,
        name: &str,
        snapshot: Option<&str>,
        read_only: bool,
        by_id: bool,
    ) -> R<Self> {
        let img = py.allow_threads(|| {
            ok(if by_id {
                Image::open_by_id(&io.io, name, snapshot, read_only)
            } else {
                Image::open(&io.io, name, snapshot, read_only)
            })
        })?;
        Ok(NativeImage { img: Arc::new(img) })
    }
    fn close(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.img.close()))
    }
    fn read<'p>(&self, py: Python<'p>, offset: u64, length: usize) -> R<Bound<'p, PyBytes>> {
        let d = py.allow_threads(|| ok(self.img.read_vec(offset, length)))?;
        Ok(PyBytes::new(py, &d))
    }
    fn write(&self, py: Python<'_>, data: &[u8], offset: u64) -> R<usize> {
        py.allow_threads(|| ok(self.img.write(offset, data)))
    }
    fn discard(&self, py: Python<'_>, offset: u64, length: u64) -> R<u64> {
        py.allow_threads(|| ok(self.img.discard(offset, length)))
    }
    fn write_zeroes(&self, py: Python<'_>, offset: u64, length: u64, thick: bool) -> R<u64> {
        py.allow_threads(|| ok(self.img.write_zeroes(offset, length, thick)))
    }
    fn flush(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.img.flush()))
    }
    fn invalidate_cache(&self) -> R<()> {
        ok(self.img.invalidate_cache())
    }
    fn size(&self) -> R<u64> {
        ok(self.img.size())
    }
    fn stat<'p>(&self, py: Python<'p>) -> R<Bound<'p, PyDict>> {
        let s = ok(self.img.stat())?;
        let d = PyDict::new(py);
        d.set_item("size", s.size)?;
        d.set_item("obj_size", s.obj_size)?;
        d.set_item("num_objs", s.num_objs)?;
        d.set_item("order", s.order)?;
        d.set_item("block_name_prefix", s.block_name_prefix)?;
        d.set_item("parent_pool", s.parent_pool)?;
        d.set_item("parent_name", s.parent_name)?;
        Ok(d)
    }
    fn resize(&self, py: Python<'_>, size: u64) -> R<()> {
        py.allow_threads(|| ok(self.img.resize(size)))
    }
    fn features(&self) -> R<u64> {
        ok(self.img.features())
    }
    fn update_features(&self, features: u64, enabled: bool) -> R<()> {
        ok(self.img.update_features(features, enabled))
    }
    fn flags(&self) -> R<u64> {
        ok(self.img.flags())
    }
    fn op_features(&self) -> R<u64> {
        ok(self.img.op_features())
    }
    fn id(&self) -> String {
        self.img.id().to_string()
    }
    fn name(&self) -> R<String> {
        ok(self.img.name())
    }
    fn stripe_unit(&self) -> R<u64> {
        ok(self.img.stripe_unit())
    }
    fn stripe_count(&self) -> R<u64> {
        ok(self.img.stripe_count())
    }
    /// (create, modify, access) timestamps as (seconds, nanoseconds)
    fn timestamps(&self) -> R<Vec<(u64, u32)>> {
        Ok(vec![
            ok(self.img.create_timestamp()).map(|t| (t.sec, t.nsec))?,
            ok(self.img.modify_timestamp()).map(|t| (t.sec, t.nsec))?,
            ok(self.img.access_timestamp()).map(|t| (t.sec, t.nsec))?,
        ])
    }
    fn create_snap(&self, py: Python<'_>, name: &str) -> R<u64> {
        py.allow_threads(|| ok(self.img.snap_create(name)))
    }
    fn remove_snap(&self, py: Python<'_>, name: &str) -> R<()> {
        py.allow_threads(|| ok(self.img.snap_remove(name)))
    }
    fn remove_snap_by_id(&self, py: Python<'_>, id: u64) -> R<()> {
        py.allow_threads(|| ok(self.img.snap_remove_by_id(id)))
    }
    fn rename_snap(&self, src: &str, dst: &str) -> R<()> {
        ok(self.img.snap_rename(src, dst))
    }
    fn rollback_to_snap(&self, py: Python<'_>, name: &str) -> R<()> {
        py.allow_threads(|| ok(self.img.snap_rollback(name)))
    }
    fn protect_snap(&self, name: &str) -> R<()> {
        ok(self.img.snap_protect(name))
    }
    fn unprotect_snap(&self, name: &str) -> R<()> {
        ok(self.img.snap_unprotect(name))
    }
    fn is_protected_snap(&self, name: &str) -> R<bool> {
        ok(self.img.snap_is_protected(name))
    }
    /// (id, size, name, (sec, nsec), protected)
    fn list_snaps(&self) -> R<Vec<(u64, u64, String, (u64, u32), bool)>> {
        Ok(ok(self.img.snap_list())?
            .into_iter()
            .map(|s| (s.id, s.size, s.name, (s.timestamp.sec, s.timestamp.nsec), s.protected))
            .collect())
    }
    #[pyo3(signature = (name=None))]
    fn set_snap(&self, name: Option<&str>) -> R<()> {
        ok(self.img.snap_set(name))
    }
    #[pyo3(signature = (id=None))]
    fn set_snap_by_id(&self, id: Option<u64>) -> R<()> {
        ok(self.img.snap_set_by_id(id))
    }
    fn snap_get_id(&self, name: &str) -> R<u64> {
        ok(self.img.snap_id(name))
    }
    fn snap_get_name(&self, id: u64) -> R<String> {
        ok(self.img.snap_name(id))
    }
    fn snap_get_timestamp(&self, id: u64) -> R<(u64, u32)> {
        ok(self.img.snap_timestamp(id)).map(|t| (t.sec, t.nsec))
    }
    fn snap_get_limit(&self) -> R<u64> {
        ok(self.img.snap_get_limit())
    }
    fn snap_set_limit(&self, limit: u64) -> R<()> {
        ok(self.img.snap_set_limit(limit))
    }
    /// (pool id, pool name, namespace, image id, image name, snap id, snap name, overlap, trash)
    #[allow(clippy::type_complexity)]
    fn parent_info(&self) -> R<(i64, String, String, String, String, u64, String, u64, bool)> {
        let p = ok(self.img.parent_info())?;
        Ok((p.pool_id, p.pool_name, p.namespace, p.image_id, p.image_name, p.snap_id, p.snap_name, p.overlap, p.trash))
    }
    /// (pool id, pool name, namespace, image id, image name, trash)
    fn list_children(&self) -> R<Vec<(i64, String, String, String, String, bool)>> {
        Ok(ok(self.img.list_children())?
            .into_iter()
            .map(|c| (c.pool_id, c.pool_name, c.namespace, c.image_id, c.image_name, c.trash))
            .collect())
    }
    fn flatten(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.img.flatten()))
    }
    /// Calls `cb(offset, length, exists)` for each extent; the callback runs with the GIL.
    #[pyo3(signature = (offset, length, from_snapshot, iterate_cb, include_parent=true, whole_object=false))]
    fn diff_iterate(
        &self,
        py: Python<'_>,
        offset: u64,
        length: u64,
        from_snapshot: Option<&str>,
        iterate_cb: PyObject,
        include_parent: bool,
        whole_object: bool,
    ) -> R<()> {
        let mut failure: Option<PyErr> = None;
        ok(self.img.diff_iterate(
            from_snapshot,
            offset,
            length,
            include_parent,
            whole_object,
            |o, l, e| match iterate_cb.call1(py, (o, l, e)) {
                Ok(_) => 0,
                Err(er) => {
                    failure = Some(er);
                    -libc_eintr()
                }
            },
        ))?;
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    fn metadata_get(&self, key: &str) -> R<String> {
        ok(self.img.metadata_get(key))
    }
    fn metadata_set(&self, key: &str, value: &str) -> R<()> {
        ok(self.img.metadata_set(key, value))
    }
    fn metadata_remove(&self, key: &str) -> R<()> {
        ok(self.img.metadata_remove(key))
    }
    fn metadata_list(&self) -> R<Vec<(String, String)>> {
        ok(self.img.metadata_list("", 0))
    }
    /// (addr, id, cookie)
    fn watchers(&self) -> R<Vec<(String, u64, u64)>> {
        Ok(ok(self.img.watchers())?.into_iter().map(|w| (w.addr, w.id, w.cookie)).collect())
    }
    #[pyo3(signature = (io, name, order=None, features=None))]
    fn copy(&self, py: Python<'_>, io: &NativeIoctx, name: &str, order: Option<u8>, features: Option<u64>) -> R<()> {
        let o = opts(order, features, None, None, None);
        py.allow_threads(|| ok(self.img.copy_to(&io.io, name, &o)))
    }
    #[pyo3(signature = (io, name, order=None, features=None))]
    fn deep_copy(
        &self,
        py: Python<'_>,
        io: &NativeIoctx,
        name: &str,
        order: Option<u8>,
        features: Option<u64>,
    ) -> R<()> {
        let o = opts(order, features, None, None, None);
        py.allow_threads(|| ok(self.img.deep_copy_to(&io.io, name, &o)))
    }
}

/// An asynchronous request's completion.
#[pyclass(module = "rbdshim._native")]
struct NativeCompletion {
    c: Arc<Completion>,
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
fn py_completion(cb: Option<PyObject>, data: Option<Arc<slot::Slot>>) -> Arc<Completion> {
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
mod slot {
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

#[pymethods]
impl NativeImage {
    #[pyo3(signature = (offset, length, cb=None))]
    fn aio_read(&self, offset: u64, length: usize, cb: Option<PyObject>) -> R<NativeCompletion> {
        let slot = Arc::new(slot::Slot::default());
        let c = py_completion(cb, Some(slot.clone()));
        ok(self.img.aio_read(offset, length, c.clone(), Box::new(move |d: &[u8]| slot.put(d.to_vec()))))?;
        Ok(NativeCompletion { c })
    }
    #[pyo3(signature = (data, offset, cb=None))]
    fn aio_write(&self, data: Vec<u8>, offset: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let c = py_completion(cb, None);
        ok(self.img.aio_write(offset, data, c.clone()))?;
        Ok(NativeCompletion { c })
    }
    #[pyo3(signature = (offset, length, cb=None))]
    fn aio_discard(&self, offset: u64, length: u64, cb: Option<PyObject>) -> R<NativeCompletion> {
        let c = py_completion(cb, None);
        ok(self.img.aio_discard(offset, length, c.clone()))?;
        Ok(NativeCompletion { c })
    }
    #[pyo3(signature = (offset, length, thick, cb=None))]
    fn aio_write_zeroes(&self, offset: u64, length: u64, thick: bool, cb: Option<PyObject>) -> R<NativeCompletion> {
        let c = py_completion(cb, None);
        ok(self.img.aio_write_zeroes(offset, length, thick, c.clone()))?;
        Ok(NativeCompletion { c })
    }
    #[pyo3(signature = (cb=None))]
    fn aio_flush(&self, cb: Option<PyObject>) -> R<NativeCompletion> {
        let c = py_completion(cb, None);
        ok(self.img.aio_flush(c.clone()))?;
        Ok(NativeCompletion { c })
    }
    fn lock_acquire(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.img.lock_acquire(LockMode::Exclusive)))
    }
    fn lock_release(&self, py: Python<'_>) -> R<()> {
        py.allow_threads(|| ok(self.img.lock_release()))
    }
    fn is_exclusive_lock_owner(&self) -> R<bool> {
        ok(self.img.is_exclusive_lock_owner())
    }
    fn lock_exclusive(&self, cookie: &str) -> R<()> {
        ok(self.img.advisory_lock(LockMode::Exclusive, cookie, ""))
    }
    fn lock_shared(&self, cookie: &str, tag: &str) -> R<()> {
        ok(self.img.advisory_lock(LockMode::Shared, cookie, tag))
    }
    fn unlock(&self, cookie: &str) -> R<()> {
        ok(self.img.advisory_unlock(cookie))
    }
    fn break_lock(&self, client: &str, cookie: &str) -> R<()> {
        ok(self.img.break_lock(client, cookie))
    }
    /// (exclusive, tag, [(client, cookie, addr)])
    #[allow(clippy::type_complexity)]
    fn list_lockers(&self) -> R<(bool, String, Vec<(String, String, String)>)> {
        let (ex, tag, l) = ok(self.img.list_lockers())?;
        Ok((ex, tag, l.into_iter().map(|x| (x.client, x.cookie, x.addr)).collect()))
    }
    /// [(mode, owner)]
    fn lock_owners(&self) -> R<Vec<(i32, String)>> {
        Ok(ok(self.img.lock_owners())?.into_iter().map(|o| (0, o.owner)).collect())
    }
}

/// The value a callback failure stops diff_iterate with.
fn libc_eintr() -> i32 {
    4
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_class::<NativeCluster>()?;
    m.add_class::<NativeIoctx>()?;
    m.add_class::<NativeImage>()?;
    m.add_class::<NativeCompletion>()?;
    m.add_function(wrap_pyfunction!(create, m)?)?;
    m.add_function(wrap_pyfunction!(clone_image, m)?)?;
    m.add_function(wrap_pyfunction!(remove, m)?)?;
    m.add_function(wrap_pyfunction!(rename, m)?)?;
    m.add_function(wrap_pyfunction!(list2, m)?)?;
    m.add_function(wrap_pyfunction!(trash_move, m)?)?;
    m.add_function(wrap_pyfunction!(trash_list, m)?)?;
    m.add_function(wrap_pyfunction!(trash_remove, m)?)?;
    m.add_function(wrap_pyfunction!(trash_restore, m)?)?;
    m.add_function(wrap_pyfunction!(namespace_create, m)?)?;
    m.add_function(wrap_pyfunction!(namespace_remove, m)?)?;
    m.add_function(wrap_pyfunction!(namespace_list, m)?)?;
    m.add_function(wrap_pyfunction!(namespace_exists, m)?)?;
    Ok(())
}
