//! Image IO: synchronous and asynchronous reads, writes, discards, zeroing and flushes.

use super::aio::{attach, completion};
use super::image::{image, img};
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, iovec, size_t, ssize_t};
use rbdshim_core::Error;

#[no_mangle]
pub unsafe extern "C" fn rbd_read(image: rbd_image_t, ofs: u64, len: size_t, buf: *mut c_char) -> ssize_t {
    guard("rbd_read", || {
        // SAFETY: handle and buffer from the caller.
        let (i, b) = unsafe { (img(image)?, buf_mut(buf, len)?) };
        Ok(i.read(ofs, b)? as ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_read2(
    image: rbd_image_t,
    ofs: u64,
    len: size_t,
    buf: *mut c_char,
    _op_flags: c_int,
) -> ssize_t {
    // SAFETY: forwarded.
    unsafe { rbd_read(image, ofs, len, buf) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_write(image: rbd_image_t, ofs: u64, len: size_t, buf: *const c_char) -> ssize_t {
    guard("rbd_write", || {
        // SAFETY: handle and buffer from the caller.
        let (i, b) = unsafe { (img(image)?, self::buf(buf, len)?) };
        Ok(i.write(ofs, b)? as ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_write2(
    image: rbd_image_t,
    ofs: u64,
    len: size_t,
    buf: *const c_char,
    _op_flags: c_int,
) -> ssize_t {
    // SAFETY: forwarded.
    unsafe { rbd_write(image, ofs, len, buf) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_discard(image: rbd_image_t, ofs: u64, len: u64) -> c_int {
    guard("rbd_discard", || {
        if len > c_int::MAX as u64 {
            return Err(Error::InvalidArgument("discard length does not fit the return value"));
        }
        // SAFETY: handle from the caller.
        let n = unsafe { img(image)? }.discard(ofs, len)?;
        to_c_int(n)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_write_zeroes(
    image: rbd_image_t,
    ofs: u64,
    len: size_t,
    zero_flags: c_int,
    _op_flags: c_int,
) -> ssize_t {
    guard("rbd_write_zeroes", || {
        // SAFETY: handle from the caller.
        let n = unsafe { img(image)? }.write_zeroes(
            ofs,
            len as u64,
            zero_flags & RBD_WRITE_ZEROES_FLAG_THICK_PROVISION != 0,
        )?;
        Ok(n as ssize_t)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_flush(image: rbd_image_t) -> c_int {
    guard("rbd_flush", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.flush()?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_invalidate_cache(image: rbd_image_t) -> c_int {
    guard("rbd_invalidate_cache", || {
        // SAFETY: handle from the caller.
        unsafe { img(image)? }.invalidate_cache()?;
        Ok(0)
    })
}

/// The image and completion of an AIO call, with the completion hooked to the event queue.
unsafe fn prepare(
    image_p: rbd_image_t,
    c: rbd_completion_t,
) -> Result<(std::sync::Arc<rbdshim_core::Image>, std::sync::Arc<rbdshim_core::Completion>), Error> {
    // SAFETY: handles from the caller.
    let (h, comp) = unsafe { (image(image_p)?, completion(c)?) };
    attach(&comp, &h.events);
    Ok((h.image.clone(), comp.comp.clone()))
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write(
    image: rbd_image_t,
    off: u64,
    len: size_t,
    buf: *const c_char,
    c: rbd_completion_t,
) -> c_int {
    guard("rbd_aio_write", || {
        // SAFETY: handles and buffer from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        // SAFETY: the caller keeps buf valid for len bytes until completion.
        let data = unsafe { CallerBytes::new(buf, len)? };
        i.aio_write(off, data, comp)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write2(
    image: rbd_image_t,
    off: u64,
    len: size_t,
    buf: *const c_char,
    c: rbd_completion_t,
    _op_flags: c_int,
) -> c_int {
    // SAFETY: forwarded.
    unsafe { rbd_aio_write(image, off, len, buf, c) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_writev(
    image: rbd_image_t,
    iov: *const iovec,
    iovcnt: c_int,
    off: u64,
    c: rbd_completion_t,
) -> c_int {
    guard("rbd_aio_writev", || {
        if iovcnt <= 0 || iov.is_null() {
            return Err(Error::InvalidArgument("bad iovec array"));
        }
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        if iovcnt == 1 {
            // SAFETY: one iovec, valid for iov_len bytes until completion (QEMU's usual case).
            let data = unsafe { CallerBytes::new((*iov).iov_base as *const c_char, (*iov).iov_len)? };
            i.aio_write(off, data, comp)?;
            return Ok(0);
        }
        let mut data = Vec::new();
        for k in 0..iovcnt as usize {
            // SAFETY: iov has iovcnt entries, each valid for iov_len bytes.
            let v = unsafe { &*iov.add(k) };
            data.extend_from_slice(unsafe { self::buf(v.iov_base as *const c_char, v.iov_len)? });
        }
        i.aio_write(off, data, comp)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_read(
    image: rbd_image_t,
    off: u64,
    len: size_t,
    buf: *mut c_char,
    c: rbd_completion_t,
) -> c_int {
    guard("rbd_aio_read", || {
        if len > 0 && buf.is_null() {
            return Err(Error::InvalidArgument("NULL buffer"));
        }
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        // SAFETY: the caller keeps buf valid for len bytes until completion.
        let dst = unsafe { CallerBytesMut::new(buf, len)? };
        i.aio_read_into(off, dst, comp)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_read2(
    image: rbd_image_t,
    off: u64,
    len: size_t,
    buf: *mut c_char,
    c: rbd_completion_t,
    _op_flags: c_int,
) -> c_int {
    // SAFETY: forwarded.
    unsafe { rbd_aio_read(image, off, len, buf, c) }
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_readv(
    image: rbd_image_t,
    iov: *const iovec,
    iovcnt: c_int,
    off: u64,
    c: rbd_completion_t,
) -> c_int {
    guard("rbd_aio_readv", || {
        if iovcnt <= 0 || iov.is_null() {
            return Err(Error::InvalidArgument("bad iovec array"));
        }
        let mut parts = Vec::with_capacity(iovcnt as usize);
        let mut total = 0usize;
        for k in 0..iovcnt as usize {
            // SAFETY: iov has iovcnt entries.
            let v = unsafe { &*iov.add(k) };
            if v.iov_len > 0 && v.iov_base.is_null() {
                return Err(Error::InvalidArgument("NULL iovec buffer"));
            }
            parts.push((v.iov_base as usize, v.iov_len));
            total += v.iov_len;
        }
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        if let [(base, len)] = parts[..] {
            // SAFETY: one iovec, valid for len bytes until completion (QEMU's usual case).
            let dst = unsafe { CallerBytesMut::new(base as *mut c_char, len)? };
            i.aio_read_into(off, dst, comp)?;
            return Ok(0);
        }
        i.aio_read(
            off,
            total,
            comp,
            Box::new(move |data: &[u8]| {
                let mut pos = 0;
                for (base, len) in parts {
                    if pos >= data.len() {
                        break;
                    }
                    let n = len.min(data.len() - pos);
                    // SAFETY: each iovec stays valid for its length until completion.
                    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr().add(pos), base as *mut u8, n) };
                    pos += n;
                }
            }),
        )?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_discard(image: rbd_image_t, off: u64, len: u64, c: rbd_completion_t) -> c_int {
    guard("rbd_aio_discard", || {
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        i.aio_discard(off, len, comp)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_write_zeroes(
    image: rbd_image_t,
    off: u64,
    len: size_t,
    c: rbd_completion_t,
    zero_flags: c_int,
    _op_flags: c_int,
) -> c_int {
    guard("rbd_aio_write_zeroes", || {
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        i.aio_write_zeroes(off, len as u64, zero_flags & RBD_WRITE_ZEROES_FLAG_THICK_PROVISION != 0, comp)?;
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rbd_aio_flush(image: rbd_image_t, c: rbd_completion_t) -> c_int {
    guard("rbd_aio_flush", || {
        // SAFETY: handles from the caller.
        let (i, comp) = unsafe { prepare(image, c)? };
        i.aio_flush(comp)?;
        Ok(0)
    })
}
