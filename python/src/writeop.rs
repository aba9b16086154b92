//! `rados.WriteOp`: the steps of a write operation, applied to one object as a transaction.

use crate::cluster::NativeIoctx;
use crate::{ok, R};
use pyo3::prelude::*;
use rbdshim_core::backend::ObjectOp;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// The steps collected so far, in order.
#[pyclass(module = "rbdshim._native")]
#[derive(Default)]
pub(crate) struct NativeWriteOp {
    ops: Mutex<Vec<ObjectOp>>,
}

impl NativeWriteOp {
    /// The steps; a panic elsewhere while they were held leaves them usable.
    fn ops(&self) -> MutexGuard<'_, Vec<ObjectOp>> {
        self.ops.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn push(&self, op: ObjectOp) {
        self.ops().push(op)
    }
}

#[pymethods]
impl NativeWriteOp {
    #[new]
    fn new() -> Self {
        NativeWriteOp::default()
    }
    fn create(&self, exclusive: bool) {
        self.push(ObjectOp::Create { exclusive })
    }
    fn write(&self, data: &[u8], off: u64) {
        self.push(ObjectOp::Write { off, data: data.to_vec() })
    }
    fn write_full(&self, data: &[u8]) {
        self.push(ObjectOp::WriteFull(data.to_vec()))
    }
    fn append(&self, data: &[u8]) {
        self.push(ObjectOp::Append(data.to_vec()))
    }
    fn truncate(&self, size: u64) {
        self.push(ObjectOp::Truncate(size))
    }
    fn zero(&self, off: u64, len: u64) {
        self.push(ObjectOp::Zero { off, len })
    }
    fn remove(&self) {
        self.push(ObjectOp::Remove)
    }
    fn set_xattr(&self, name: String, value: &[u8]) {
        self.push(ObjectOp::SetXattr { name, value: value.to_vec() })
    }
    fn rm_xattr(&self, name: String) {
        self.push(ObjectOp::RmXattr(name))
    }
    fn omap_set(&self, pairs: Vec<(String, Vec<u8>)>) {
        self.push(ObjectOp::OmapSet(pairs.into_iter().collect::<BTreeMap<_, _>>()))
    }
    fn omap_rm(&self, keys: Vec<String>) {
        self.push(ObjectOp::OmapRm(keys))
    }
    fn omap_clear(&self) {
        self.push(ObjectOp::OmapClear)
    }
    /// Forgets every step (release).
    fn clear(&self) {
        self.ops().clear()
    }
}

#[pymethods]
impl NativeIoctx {
    /// Applies `op`'s steps to object `oid`: all of them, or none when one fails.
    fn operate_write_op(&self, py: Python<'_>, op: &NativeWriteOp, oid: &str) -> R<()> {
        let ops = op.ops().clone();
        let loc = self.io.loc();
        py.allow_threads(|| ok(self.io.objects().apply(&loc, oid, &ops).map_err(Into::into)))
    }
}
