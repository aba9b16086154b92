//! `rbd.Image`: IO, snapshots, clones, metadata, locks.

use crate::aio::{py_completion, slot, NativeCompletion};
use crate::cluster::NativeIoctx;
use crate::manage::opts;
use crate::{ok, R};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rbdshim_core::lock::LockMode;
use rbdshim_core::Image;
use std::sync::Arc;

/// A new `bytes` of `n` bytes, written by `fill` without the GIL. Unlike `PyBytes::new_with`
/// it is not zeroed first (for 8 MiB reads that costs as much as the read): `fill` writes every
/// byte or fails, and on failure the object is dropped before anyone sees it.
fn bytes_filled<'p>(py: Python<'p>, n: usize, fill: impl FnOnce(&mut [u8]) -> R<()> + Send) -> R<Bound<'p, PyBytes>> {
    let len = pyo3::ffi::Py_ssize_t::try_from(n)
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("read length too large"))?;
    // SAFETY: with a NULL source, PyBytes_FromStringAndSize returns a new bytes object of `len`
    // uninitialised bytes, or NULL with the error set (turned into Err here).
    let obj = unsafe { Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyBytes_FromStringAndSize(std::ptr::null(), len))? };
    let bytes = obj.downcast_into::<PyBytes>()?;
    // SAFETY: a bytes object's buffer holds `len` bytes and stays put while the object lives.
    let ptr = unsafe { pyo3::ffi::PyBytes_AsString(bytes.as_ptr()) } as usize;
    py.allow_threads(|| {
        // SAFETY: the object was created above and no other code holds it yet, so this is the
        // only access to its buffer; `bytes` outlives the call.
        let buf = unsafe { std::slice::from_raw_parts_mut(ptr as *mut u8, n) };
        fill(buf)
    })?;
    Ok(bytes)
}

#[pyclass(module = "rbdshim._native")]
pub(crate) struct NativeImage {
    pub(crate) img: Arc<Image>,
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
        let size = ok(self.img.size())?;
        let n = (length as u64).min(size.saturating_sub(offset)) as usize;
        if n == 0 {
            // Nothing to read, or a bad offset: the core says which.
            let d = py.allow_threads(|| ok(self.img.read_vec(offset, length)))?;
            return Ok(PyBytes::new(py, &d));
        }
        // Straight into the bytes object, without the GIL: no second buffer and copy for
        // Glance's 8 MiB reads.
        bytes_filled(py, n, |buf| {
            let got = ok(self.img.read(offset, buf))?;
            // Shorter only if the image shrank meanwhile; the rest must not show old memory.
            let len = buf.len();
            buf[got.min(len)..].fill(0);
            Ok(())
        })
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
    /// [(id, size, name, (sec, nsec), protected, name before the trash)]
    #[allow(clippy::type_complexity)]
    fn list_snaps(&self) -> R<Vec<(u64, u64, String, (u64, u32), bool, Option<String>)>> {
        Ok(ok(self.img.snap_list())?
            .into_iter()
            .map(|s| (s.id, s.size, s.name, (s.timestamp.sec, s.timestamp.nsec), s.protected, s.trash_name))
            .collect())
    }
    /// [(option, value, source)] of every rbd option for this image.
    fn config_list(&self) -> R<Vec<(String, String, u8)>> {
        ok(rbdshim_core::rbdconfig::list(self.img.ioctx(), Some(&self.img)))
    }
    fn config_set(&self, key: &str, value: &str) -> R<()> {
        ok(self.img.metadata_set(&format!("{}{key}", rbdshim_core::pool::CONF_PREFIX), value))
    }
    fn data_pool_id(&self) -> R<i64> {
        ok(self.img.data_pool_id())
    }
    fn rebuild_object_map(&self) -> R<()> {
        ok(self.img.rebuild_object_map())
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
    fn sparsify(&self, py: Python<'_>, sparse_size: u64) -> R<()> {
        py.allow_threads(|| ok(self.img.sparsify(sparse_size)))
    }
    fn snap_exists(&self, name: &str) -> R<bool> {
        ok(self.img.snap_exists(name))
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
    /// rbd_copy3 (`deep` false) or rbd_deep_copy (`deep` true: snapshots and parent too).
    #[pyo3(signature = (io, name, deep, order=None, features=None, stripe_unit=None, stripe_count=None, data_pool=None))]
    #[allow(clippy::too_many_arguments)]
    fn copy(
        &self,
        py: Python<'_>,
        io: &NativeIoctx,
        name: &str,
        deep: bool,
        order: Option<u8>,
        features: Option<u64>,
        stripe_unit: Option<u64>,
        stripe_count: Option<u64>,
        data_pool: Option<String>,
    ) -> R<()> {
        let o = opts(order, features, stripe_unit, stripe_count, data_pool);
        py.allow_threads(|| {
            ok(if deep { self.img.deep_copy_to(&io.io, name, &o) } else { self.img.copy_to(&io.io, name, &o) })
        })
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
    fn lock_acquire(&self, py: Python<'_>, mode: i32) -> R<()> {
        let mode = lock_mode(mode)?;
        py.allow_threads(|| ok(self.img.lock_acquire(mode)))
    }
    fn lock_break(&self, py: Python<'_>, mode: i32, owner: &str) -> R<()> {
        let mode = lock_mode(mode)?;
        py.allow_threads(|| ok(self.img.lock_break(mode, owner)))
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
        Ok(ok(self.img.lock_owners())?
            .into_iter()
            .map(|o| (if o.mode == LockMode::Exclusive { 0 } else { 1 }, o.owner))
            .collect())
    }
}

/// The value a callback failure stops diff_iterate with.
fn libc_eintr() -> i32 {
    4
}

/// RBD_LOCK_MODE_EXCLUSIVE (0) or RBD_LOCK_MODE_SHARED (1).
fn lock_mode(mode: i32) -> R<LockMode> {
    match mode {
        0 => Ok(LockMode::Exclusive),
        1 => Ok(LockMode::Shared),
        _ => Err(crate::err(rbdshim_core::Error::InvalidArgument("unknown lock mode"))),
    }
}
