//! The object API: synchronous reads and writes, stat, xattrs, and write operations.

use super::ioctx::ioctx;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, size_t, time_t};
use parking_lot::Mutex;
use rbdshim_core::backend::{Loc, ObjectOp};
use rbdshim_core::{Error, IoCtx};

#[no_mangle]
pub unsafe extern "C" fn rados_write(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *const c_char,
    len: size_t,
    off: u64,
) -> c_int {
    guard("rados_write", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, data) = unsafe { (ioctx(io)?, cstr(oid)?, self::buf(buf, len)?) };
        i.io.objects().write(&i.io.loc(), oid, off, data)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_full(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *const c_char,
    len: size_t,
) -> c_int {
    guard("rados_write_full", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, data) = unsafe { (ioctx(io)?, cstr(oid)?, self::buf(buf, len)?) };
        i.io.objects().write_full(&i.io.loc(), oid, data)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_append(io: rados_ioctx_t, oid: *const c_char, buf: *const c_char, len: size_t) -> c_int {
    guard("rados_append", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, data) = unsafe { (ioctx(io)?, cstr(oid)?, self::buf(buf, len)?) };
        i.io.objects().append(&i.io.loc(), oid, data)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_read(
    io: rados_ioctx_t,
    oid: *const c_char,
    buf: *mut c_char,
    len: size_t,
    off: u64,
) -> c_int {
    guard("rados_read", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, dst) = unsafe { (ioctx(io)?, cstr(oid)?, buf_mut(buf, len)?) };
        let data = i.io.objects().read(&i.io.loc(), oid, off, len as u64)?;
        dst[..data.len()].copy_from_slice(&data);
        to_c_int(data.len() as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_remove(io: rados_ioctx_t, oid: *const c_char) -> c_int {
    guard("rados_remove", || {
        // SAFETY: handle and string from the caller.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(oid)?) };
        i.io.objects().remove(&i.io.loc(), oid)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_trunc(io: rados_ioctx_t, oid: *const c_char, size: u64) -> c_int {
    guard("rados_trunc", || {
        // SAFETY: handle and string from the caller.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(oid)?) };
        i.io.objects().truncate(&i.io.loc(), oid, size)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_stat(
    io: rados_ioctx_t,
    o: *const c_char,
    psize: *mut u64,
    pmtime: *mut time_t,
) -> c_int {
    guard("rados_stat", || {
        // SAFETY: handle and string from the caller.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(o)?) };
        let st = i.io.objects().stat(&i.io.loc(), oid)?;
        let secs = st.mtime.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        // SAFETY: optional out-pointers from the caller.
        unsafe {
            out_opt(psize, st.size);
            out_opt(pmtime, secs as time_t);
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_getxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    buf: *mut c_char,
    len: size_t,
) -> c_int {
    guard("rados_getxattr", || {
        // SAFETY: handle, strings and buffer from the caller.
        let (i, oid, name) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?) };
        let v = i.io.objects().xattr_get(&i.io.loc(), oid, name)?;
        if v.len() > len {
            return Err(Error::Range);
        }
        // SAFETY: buf valid for len bytes.
        let dst = unsafe { buf_mut(buf, len)? };
        dst[..v.len()].copy_from_slice(&v);
        to_c_int(v.len() as u64)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_setxattr(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    buf: *const c_char,
    len: size_t,
) -> c_int {
    guard("rados_setxattr", || {
        // SAFETY: handle, strings and buffer from the caller.
        let (i, oid, name, v) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?, self::buf(buf, len)?) };
        i.io.objects().xattr_set(&i.io.loc(), oid, name, v)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_rmxattr(io: rados_ioctx_t, o: *const c_char, name: *const c_char) -> c_int {
    guard("rados_rmxattr", || {
        // SAFETY: handle and strings from the caller.
        let (i, oid, name) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?) };
        i.io.objects().xattr_remove(&i.io.loc(), oid, name)?;
        Ok(0)
    })
}

/// A write operation: steps collected in order, applied to one object as a transaction.
#[derive(Default)]
pub struct WriteOp {
    steps: Mutex<Vec<ObjectOp>>,
}

impl WriteOp {
    /// Applies every step, or none when one fails (as an OSD applies an operation).
    pub(crate) fn apply(&self, io: &IoCtx, loc: &Loc, oid: &str) -> Result<(), Error> {
        let steps = self.steps.lock().clone();
        Ok(io.objects().apply(loc, oid, &steps)?)
    }
}

pub(crate) unsafe fn write_op(op: rados_write_op_t) -> Result<std::sync::Arc<WriteOp>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<WriteOp>::get(op, TAG_WRITE_OP) }
}

pub(crate) unsafe fn push(op: rados_write_op_t, step: ObjectOp) {
    // SAFETY: forwarded handle contract.
    if let Ok(w) = unsafe { write_op(op) } {
        w.steps.lock().push(step);
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_create_write_op() -> rados_write_op_t {
    Handle::into_raw(TAG_WRITE_OP, WriteOp::default())
}

#[no_mangle]
pub unsafe extern "C" fn rados_release_write_op(op: rados_write_op_t) {
    // SAFETY: handle from the caller, not used after release.
    unsafe { Handle::<WriteOp>::free(op, TAG_WRITE_OP) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_create(op: rados_write_op_t, exclusive: c_int, _category: *const c_char) {
    // SAFETY: handle from the caller.
    unsafe { push(op, ObjectOp::Create { exclusive: exclusive != 0 }) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_write(op: rados_write_op_t, buffer: *const c_char, len: size_t, offset: u64) {
    // SAFETY: buffer valid for len bytes.
    if let Ok(d) = unsafe { buf(buffer, len) } {
        // SAFETY: handle from the caller.
        unsafe { push(op, ObjectOp::Write { off: offset, data: d.to_vec() }) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_write_full(op: rados_write_op_t, buffer: *const c_char, len: size_t) {
    // SAFETY: buffer valid for len bytes.
    if let Ok(d) = unsafe { buf(buffer, len) } {
        // SAFETY: handle from the caller.
        unsafe { push(op, ObjectOp::WriteFull(d.to_vec())) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_append(op: rados_write_op_t, buffer: *const c_char, len: size_t) {
    // SAFETY: buffer valid for len bytes.
    if let Ok(d) = unsafe { buf(buffer, len) } {
        // SAFETY: handle from the caller.
        unsafe { push(op, ObjectOp::Append(d.to_vec())) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_zero(op: rados_write_op_t, offset: u64, len: u64) {
    // SAFETY: handle from the caller.
    unsafe { push(op, ObjectOp::Zero { off: offset, len }) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_truncate(op: rados_write_op_t, offset: u64) {
    // SAFETY: handle from the caller.
    unsafe { push(op, ObjectOp::Truncate(offset)) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_remove(op: rados_write_op_t) {
    // SAFETY: handle from the caller.
    unsafe { push(op, ObjectOp::Remove) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_setxattr(
    op: rados_write_op_t,
    name: *const c_char,
    value: *const c_char,
    value_len: size_t,
) {
    // SAFETY: strings and buffer from the caller.
    if let (Ok(k), Ok(v)) = unsafe { (cstr(name), buf(value, value_len)) } {
        // SAFETY: handle from the caller.
        unsafe { push(op, ObjectOp::SetXattr { name: k.to_string(), value: v.to_vec() }) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_rmxattr(op: rados_write_op_t, name: *const c_char) {
    // SAFETY: string from the caller.
    if let Ok(k) = unsafe { cstr(name) } {
        // SAFETY: handle from the caller.
        unsafe { push(op, ObjectOp::RmXattr(k.to_string())) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_operate(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    _mtime: *mut time_t,
    _flags: c_int,
) -> c_int {
    guard("rados_write_op_operate", || {
        // SAFETY: handles and string from the caller.
        let (w, i, oid) = unsafe { (write_op(op)?, ioctx(io)?, cstr(oid)?) };
        w.apply(&i.io, &i.io.loc(), oid)?;
        Ok(0)
    })
}

// The tmap interface was removed from Ceph long ago; the symbols exist (versioned
// LIBRADOS_14.2.0, like Ceph's) so that old binaries load, and report "not supported".

#[no_mangle]
pub unsafe extern "C" fn rados_tmap_update(
    _io: rados_ioctx_t,
    _o: *const c_char,
    _cmdbuf: *const c_char,
    _cmdbuflen: size_t,
) -> c_int {
    -libc::EOPNOTSUPP
}

#[no_mangle]
pub unsafe extern "C" fn rados_tmap_put(
    _io: rados_ioctx_t,
    _o: *const c_char,
    _buf: *const c_char,
    _buflen: size_t,
) -> c_int {
    -libc::EOPNOTSUPP
}

#[no_mangle]
pub unsafe extern "C" fn rados_tmap_get(
    _io: rados_ioctx_t,
    _o: *const c_char,
    _buf: *mut c_char,
    _buflen: size_t,
) -> c_int {
    -libc::EOPNOTSUPP
}
