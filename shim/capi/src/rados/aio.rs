//! rados_completion_t and asynchronous object IO (fio's rados engine, Ceph's Python module).
//! Object requests run on a short-lived thread each; completions fire off the caller's thread.

use super::ioctx::ioctx;
use super::object::write_op;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_void, size_t, time_t};
use rbdshim_core::{Completion, Error, IoCtx};
use std::sync::Arc;

pub struct RadosCompletion {
    pub comp: Arc<Completion>,
    pub arg: usize,
}

unsafe fn completion(c: rados_completion_t) -> Result<Arc<RadosCompletion>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<RadosCompletion>::get(c, TAG_RADOS_COMP) }
}

fn make(cb_arg: *mut c_void, cb: rados_callback_t, pc: *mut rados_completion_t) -> Result<c_int, Error> {
    // The handle's address is only known after boxing: the callback finds it through a cell.
    let cell = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cell2 = cell.clone();
    let arg = cb_arg as usize;
    let callback: Option<rbdshim_core::aio::Callback> = cb.map(|f| {
        Box::new(move |_ret: i64| {
            let h = cell2.load(std::sync::atomic::Ordering::Acquire);
            // SAFETY: calling the user's completion callback with its own handle and argument.
            unsafe { f(h as rados_completion_t, arg as *mut c_void) }
        }) as rbdshim_core::aio::Callback
    });
    let comp = Completion::new_rados(callback);
    let h = Handle::into_raw(TAG_RADOS_COMP, RadosCompletion { comp, arg });
    cell.store(h as usize, std::sync::atomic::Ordering::Release);
    // SAFETY: out-pointer from the caller.
    unsafe { out(pc, h)? };
    Ok(0)
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_create_completion(
    cb_arg: *mut c_void,
    cb_complete: rados_callback_t,
    _cb_safe: rados_callback_t,
    pc: *mut rados_completion_t,
) -> c_int {
    guard("rados_aio_create_completion", || make(cb_arg, cb_complete, pc))
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_create_completion2(
    cb_arg: *mut c_void,
    cb_complete: rados_callback_t,
    pc: *mut rados_completion_t,
) -> c_int {
    guard("rados_aio_create_completion2", || make(cb_arg, cb_complete, pc))
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_release(c: rados_completion_t) {
    // SAFETY: handle from the caller, not used after release.
    unsafe { Handle::<RadosCompletion>::free(c, TAG_RADOS_COMP) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_complete(c: rados_completion_t) -> c_int {
    guard("rados_aio_wait_for_complete", || {
        // SAFETY: handle from the caller.
        unsafe { completion(c)? }.comp.wait();
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_wait_for_complete_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded.
    unsafe { rados_aio_wait_for_complete(c) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_complete(c: rados_completion_t) -> c_int {
    // SAFETY: handle from the caller.
    match unsafe { completion(c) } {
        Ok(h) => h.comp.is_complete() as c_int,
        Err(e) => -e.errno(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_is_complete_and_cb(c: rados_completion_t) -> c_int {
    // SAFETY: forwarded.
    unsafe { rados_aio_is_complete(c) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_get_return_value(c: rados_completion_t) -> c_int {
    // SAFETY: handle from the caller.
    match unsafe { completion(c) } {
        Ok(h) => h.comp.return_value().clamp(i32::MIN as i64, i32::MAX as i64) as c_int,
        Err(e) => -e.errno(),
    }
}

/// Runs `job` on the core's AIO pool and completes `c` with its value; the I/O context counts
/// it until complete (rados_aio_flush).
unsafe fn submit(
    io: &IoCtx,
    c: rados_completion_t,
    job: impl FnOnce() -> Result<i64, Error> + Send + 'static,
) -> Result<c_int, Error> {
    // SAFETY: handle from the caller.
    let h = unsafe { completion(c)? };
    io.aio_run(
        h.comp.clone(),
        Box::new(move || match job() {
            Ok(v) => v,
            Err(e) => -(e.errno() as i64),
        }),
    )?;
    Ok(0)
}

/// A buffer owned by the caller until the completion fires.
struct SendPtr(usize);

#[no_mangle]
pub unsafe extern "C" fn rados_aio_write(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *const c_char,
    len: size_t,
    off: u64,
) -> c_int {
    guard("rados_aio_write", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, data) = unsafe { (ioctx(io)?, cstr(oid)?.to_string(), self::buf(buf, len)?.to_vec()) };
        // The request is for the namespace set now, as in librados.
        let (io, loc) = (i.io.clone(), i.io.loc());
        // SAFETY: completion handle from the caller.
        unsafe {
            submit(&io, c, move || {
                i.io.objects().write(&loc, &oid, off, &data)?;
                Ok(0)
            })
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_write_full(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *const c_char,
    len: size_t,
) -> c_int {
    guard("rados_aio_write_full", || {
        // SAFETY: handle, string and buffer from the caller.
        let (i, oid, data) = unsafe { (ioctx(io)?, cstr(oid)?.to_string(), self::buf(buf, len)?.to_vec()) };
        // The request is for the namespace set now, as in librados.
        let (io, loc) = (i.io.clone(), i.io.loc());
        // SAFETY: completion handle from the caller.
        unsafe {
            submit(&io, c, move || {
                i.io.objects().write_full(&loc, &oid, &data)?;
                Ok(0)
            })
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_read(
    io: rados_ioctx_t,
    oid: *const c_char,
    c: rados_completion_t,
    buf: *mut c_char,
    len: size_t,
    off: u64,
) -> c_int {
    guard("rados_aio_read", || {
        // SAFETY: handle and string from the caller; buf stays valid until completion.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(oid)?.to_string()) };
        if len > 0 && buf.is_null() {
            return Err(Error::InvalidArgument("NULL buffer"));
        }
        let dst = SendPtr(buf as usize);
        // The request is for the namespace set now, as in librados.
        let (io, loc) = (i.io.clone(), i.io.loc());
        // SAFETY: completion handle from the caller.
        unsafe {
            submit(&io, c, move || {
                let d = dst;
                let data = i.io.objects().read(&loc, &oid, off, len as u64)?;
                // SAFETY: the caller keeps buf valid for len bytes until completion.
                std::ptr::copy_nonoverlapping(data.as_ptr(), d.0 as *mut u8, data.len());
                Ok(data.len() as i64)
            })
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_remove(io: rados_ioctx_t, oid: *const c_char, c: rados_completion_t) -> c_int {
    guard("rados_aio_remove", || {
        // SAFETY: handle and string from the caller.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(oid)?.to_string()) };
        // The request is for the namespace set now, as in librados.
        let (io, loc) = (i.io.clone(), i.io.loc());
        // SAFETY: completion handle from the caller.
        unsafe {
            submit(&io, c, move || {
                i.io.objects().remove(&loc, &oid)?;
                Ok(0)
            })
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_write_op_operate(
    op: rados_write_op_t,
    io: rados_ioctx_t,
    c: rados_completion_t,
    oid: *const c_char,
    _mtime: *mut time_t,
    _flags: c_int,
) -> c_int {
    guard("rados_aio_write_op_operate", || {
        // SAFETY: handles and string from the caller.
        let (w, i, oid) = unsafe { (write_op(op)?, ioctx(io)?, cstr(oid)?.to_string()) };
        // The request is for the namespace set now, as in librados.
        let (io, loc) = (i.io.clone(), i.io.loc());
        // SAFETY: completion handle from the caller.
        unsafe {
            submit(&io, c, move || {
                w.apply(&i.io, &loc, &oid)?;
                Ok(0)
            })
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_aio_flush(io: rados_ioctx_t) -> c_int {
    guard("rados_aio_flush", || {
        // SAFETY: handle from the caller.
        unsafe { ioctx(io)? }.io.aio_flush();
        Ok(0)
    })
}
