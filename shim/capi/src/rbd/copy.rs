//! Image copies: rbd_copy*, rbd_deep_copy*.

use super::image::{img, io};
use super::options::create_options;
use super::snapshot::progress_done;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_void, size_t};

unsafe fn copy_new(
    name: &'static str,
    src: rbd_image_t,
    dest_io: rados_ioctx_t,
    destname: *const c_char,
    opts: rbd_image_options_t,
    deep: bool,
) -> c_int {
    guard(name, || {
        // SAFETY: handles and string from the caller (NULL options: defaults).
        let (i, dio, dn, o) = unsafe { (img(src)?, io(dest_io)?, cstr(destname)?, create_options(opts)?) };
        if deep {
            i.deep_copy_to(&dio, dn, &o)?;
        } else {
            i.copy_to(&dio, dn, &o)?;
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy(image: rbd_image_t, dest_io_ctx: rados_ioctx_t, destname: *const c_char) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { copy_new("rbd_copy", image, dest_io_ctx, destname, std::ptr::null_mut(), false) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy2(src: rbd_image_t, dest: rbd_image_t) -> c_int {
    guard("rbd_copy2", || {
        // SAFETY: handles from the caller.
        let (s, d) = unsafe { (img(src)?, img(dest)?) };
        s.copy_into(&d)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy3(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { copy_new("rbd_copy3", src, dest_io_ctx, destname, dest_opts, false) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy4(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    _sparse_size: size_t,
) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { copy_new("rbd_copy4", src, dest_io_ctx, destname, dest_opts, false) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_copy(image, dest_p, destname) };
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress2(
    src: rbd_image_t,
    dest: rbd_image_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_copy2(src, dest) };
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress3(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_copy3(image, dest_p, destname, dest_opts) };
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_copy_with_progress4(
    image: rbd_image_t,
    dest_p: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
    _sparse_size: size_t,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_copy3(image, dest_p, destname, dest_opts) };
    progress_done(r, cb, cbdata)
}

#[no_mangle]
pub unsafe extern "C" fn rbd_deep_copy(
    src: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
) -> c_int {
    // SAFETY: arguments from the caller.
    unsafe { copy_new("rbd_deep_copy", src, dest_io_ctx, destname, dest_opts, true) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_deep_copy_with_progress(
    image: rbd_image_t,
    dest_io_ctx: rados_ioctx_t,
    destname: *const c_char,
    dest_opts: rbd_image_options_t,
    cb: librbd_progress_fn_t,
    cbdata: *mut c_void,
) -> c_int {
    // SAFETY: arguments from the caller.
    let r = unsafe { rbd_deep_copy(image, dest_io_ctx, destname, dest_opts) };
    progress_done(r, cb, cbdata)
}
