//! Advisory object locks (cls_lock): rados_lock_exclusive/shared, unlock, break, list_lockers.

use super::ioctx::ioctx;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, size_t, ssize_t, timeval};
use rbdshim_core::lock::LockMode;
use rbdshim_core::objlock::LockRequest;
use rbdshim_core::Error;
use std::time::Duration;

/// A caller's optional duration (NULL or zero = forever). Callers that fill only tv_sec
/// leave tv_usec undefined, so a tv_usec outside 0..1e6 counts as zero.
///
/// # Safety
/// `d` is NULL or points to a timeval.
unsafe fn duration(d: *const timeval) -> Result<Option<Duration>, Error> {
    if d.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null, from the caller.
    let tv = unsafe { *d };
    if tv.tv_sec < 0 {
        return Err(Error::InvalidArgument("negative lock duration"));
    }
    let usec = if (0..1_000_000).contains(&tv.tv_usec) { tv.tv_usec as u64 } else { 0 };
    let d = Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(usec);
    Ok(Some(d).filter(|d| !d.is_zero()))
}

#[allow(clippy::too_many_arguments)]
unsafe fn lock(
    what: &'static str,
    io: rados_ioctx_t,
    oid: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    tag: *const c_char,
    desc: *const c_char,
    dur: *const timeval,
    flags: u8,
    mode: LockMode,
) -> c_int {
    guard(what, || {
        // SAFETY: handle, strings and timeval from the caller.
        let (i, oid, name, cookie, tag, desc, duration) = unsafe {
            (
                ioctx(io)?,
                cstr(oid)?,
                cstr(name)?,
                cstr(cookie)?,
                opt_cstr(tag)?.unwrap_or(""),
                opt_cstr(desc)?.unwrap_or(""),
                duration(dur)?,
            )
        };
        i.io.object_lock(oid, name, &LockRequest { mode, cookie, tag, desc, duration, flags })?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_lock_exclusive(
    io: rados_ioctx_t,
    oid: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    desc: *const c_char,
    duration: *mut timeval,
    flags: u8,
) -> c_int {
    // SAFETY: arguments passed through from the caller.
    unsafe {
        lock(
            "rados_lock_exclusive",
            io,
            oid,
            name,
            cookie,
            std::ptr::null(),
            desc,
            duration,
            flags,
            LockMode::Exclusive,
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_lock_shared(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
    tag: *const c_char,
    desc: *const c_char,
    duration: *mut timeval,
    flags: u8,
) -> c_int {
    // SAFETY: arguments passed through from the caller.
    unsafe { lock("rados_lock_shared", io, o, name, cookie, tag, desc, duration, flags, LockMode::Shared) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_unlock(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    cookie: *const c_char,
) -> c_int {
    guard("rados_unlock", || {
        // SAFETY: handle and strings from the caller.
        let (i, o, name, cookie) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?, cstr(cookie)?) };
        i.io.object_unlock(o, name, cookie)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_break_lock(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    client: *const c_char,
    cookie: *const c_char,
) -> c_int {
    guard("rados_break_lock", || {
        // SAFETY: handle and strings from the caller.
        let (i, o, name, client, cookie) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?, cstr(client)?, cstr(cookie)?) };
        i.io.object_break_lock(o, name, client, cookie)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_list_lockers(
    io: rados_ioctx_t,
    o: *const c_char,
    name: *const c_char,
    exclusive: *mut c_int,
    tag: *mut c_char,
    tag_len: *mut size_t,
    clients: *mut c_char,
    clients_len: *mut size_t,
    cookies: *mut c_char,
    cookies_len: *mut size_t,
    addrs: *mut c_char,
    addrs_len: *mut size_t,
) -> ssize_t {
    guard("rados_list_lockers", || {
        // SAFETY: handle and strings from the caller.
        let (i, o, name) = unsafe { (ioctx(io)?, cstr(o)?, cstr(name)?) };
        let (excl, t, lockers) = i.io.object_list_lockers(o, name)?;
        let list = lockers.iter().map(|l| (l.client.as_str(), l.cookie.as_str(), l.addr.as_str()));
        // SAFETY: outputs from the caller.
        unsafe {
            put_lockers(
                exclusive,
                tag,
                tag_len,
                clients,
                clients_len,
                cookies,
                cookies_len,
                addrs,
                addrs_len,
                (excl, t),
                list,
            )
        }
    })
}
