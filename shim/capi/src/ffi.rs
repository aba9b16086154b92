//! Boundary machinery: the panic guard, errno, handles, C strings and output buffers.

use libc::{c_char, c_int, size_t, ssize_t};
use parking_lot::RwLock;
use rbdshim_core::Error;
use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Return values of entry points: 0/positive for success, negative errno otherwise.
pub trait FfiRet: Copy {
    fn from_errno(errno: c_int) -> Self;
    fn is_err(self) -> Option<c_int>;
}

macro_rules! ffi_ret {
    ($($t:ty),*) => {$(
        impl FfiRet for $t {
            fn from_errno(errno: c_int) -> Self {
                -(errno as $t)
            }
            fn is_err(self) -> Option<c_int> {
                if self < 0 { Some((-self) as c_int) } else { None }
            }
        }
    )*};
}
ffi_ret!(i32, i64, isize);

pub fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

static LOG_INIT: std::sync::Once = std::sync::Once::new();

/// Logging is off unless RBDSHIM_LOG names a level or filter ("debug", "rbdshim_core=trace");
/// it then goes to stderr, never to stdout (clients such as qemu-img print results there).
fn init_logging() {
    LOG_INIT.call_once(|| {
        if let Ok(filter) = std::env::var("RBDSHIM_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .try_init();
        }
    });
}

/// Runs an entry point: panics become -EIO (logged), errors become -errno and set `errno`.
pub fn guard<R: FfiRet>(name: &'static str, f: impl FnOnce() -> Result<R, Error>) -> R {
    init_logging();
    let r = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::debug!("{name}: {e}");
            R::from_errno(e.errno())
        }
        Err(_) => {
            tracing::error!("{name}: internal panic caught at the C boundary");
            R::from_errno(libc::EIO)
        }
    };
    if let Some(e) = r.is_err() {
        set_errno(e);
    }
    r
}

/// For entry points returning nothing: panics are caught and logged.
pub fn guard_void(name: &'static str, f: impl FnOnce()) {
    if catch_unwind(AssertUnwindSafe(f)).is_err() {
        tracing::error!("{name}: internal panic caught at the C boundary");
    }
}

/// A boxed handle: a type tag, then the object (None once closed).
pub struct Handle<T> {
    tag: u64,
    obj: RwLock<Option<Arc<T>>>,
}

pub const TAG_CLUSTER: u64 = 0x7262_7368_636c_7573; // "rbshclus"
pub const TAG_IOCTX: u64 = 0x7262_7368_696f_6378;
pub const TAG_IMAGE: u64 = 0x7262_7368_696d_6167;
pub const TAG_RBD_COMP: u64 = 0x7262_7368_7262_6463;
pub const TAG_RADOS_COMP: u64 = 0x7262_7368_7261_6463;
pub const TAG_OPTS: u64 = 0x7262_7368_6f70_7473;
pub const TAG_WRITE_OP: u64 = 0x7262_7368_7772_6f70;
pub const TAG_READ_OP: u64 = 0x7262_7368_7264_6f70;
pub const TAG_OMAP_ITER: u64 = 0x7262_7368_6f6d_6170;
pub const TAG_XATTR_ITER: u64 = 0x7262_7368_7861_7474;
pub const TAG_LIST_CTX: u64 = 0x7262_7368_6c69_7374;

impl<T> Handle<T> {
    pub fn into_raw(tag: u64, obj: T) -> *mut libc::c_void {
        Box::into_raw(Box::new(Handle { tag, obj: RwLock::new(Some(Arc::new(obj))) })) as *mut libc::c_void
    }

    /// The object behind a handle; -EINVAL for NULL, closed or foreign handles.
    ///
    /// # Safety
    /// `p` is NULL or was returned by `into_raw` (closed handles stay allocated).
    pub unsafe fn get(p: *mut libc::c_void, tag: u64) -> Result<Arc<T>, Error> {
        // SAFETY: forwarded contract.
        let h = unsafe { Self::handle(p, tag)? };
        h.obj.read().clone().ok_or(Error::BadHandle)
    }

    /// # Safety
    /// As for [`Handle::get`].
    pub unsafe fn handle<'a>(p: *mut libc::c_void, tag: u64) -> Result<&'a Handle<T>, Error>
    where
        T: 'a,
    {
        if p.is_null() || (p as usize) % std::mem::align_of::<Handle<T>>() != 0 {
            return Err(Error::InvalidArgument("NULL or misaligned handle"));
        }
        // SAFETY: the caller promises p came from into_raw; the tag is checked before use.
        let h = unsafe { &*(p as *const Handle<T>) };
        if h.tag != tag {
            return Err(Error::InvalidArgument("not a handle of this type"));
        }
        Ok(h)
    }

    /// Takes the object out; the small box stays allocated so that later use of the stale
    /// handle is detected rather than undefined.
    ///
    /// # Safety
    /// As for [`Handle::get`].
    pub unsafe fn close(p: *mut libc::c_void, tag: u64) -> Result<Arc<T>, Error> {
        // SAFETY: forwarded contract.
        let h = unsafe { Self::handle(p, tag)? };
        h.obj.write().take().ok_or(Error::BadHandle)
    }

    /// Frees a handle whose users are all gone (completions after release).
    ///
    /// # Safety
    /// `p` came from into_raw with this tag and is not used afterwards.
    pub unsafe fn free(p: *mut libc::c_void, tag: u64) {
        // SAFETY: forwarded contract; checked tag first.
        if unsafe { Self::handle(p, tag) }.is_ok() {
            drop(unsafe { Box::from_raw(p as *mut Handle<T>) });
        }
    }
}

/// A required C string argument: NULL is -EINVAL, invalid UTF-8 is -EINVAL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
pub unsafe fn cstr<'a>(p: *const c_char) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::InvalidArgument("NULL string"));
    }
    // SAFETY: non-NULL, NUL-terminated by contract.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|_| Error::InvalidArgument("string is not UTF-8"))
}

/// An optional C string argument (NULL is None).
///
/// # Safety
/// As for [`cstr`].
pub unsafe fn opt_cstr<'a>(p: *const c_char) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded.
        unsafe { cstr(p) }.map(Some)
    }
}

/// Writes through an out-pointer, refusing NULL.
///
/// # Safety
/// `p` is NULL or valid for a write of T.
pub unsafe fn out<T>(p: *mut T, v: T) -> Result<(), Error> {
    if p.is_null() {
        return Err(Error::InvalidArgument("NULL output pointer"));
    }
    // SAFETY: non-NULL and valid by contract.
    unsafe { p.write(v) };
    Ok(())
}

/// Writes through an optional out-pointer (NULL: the caller does not want the value).
///
/// # Safety
/// `p` is NULL or valid for a write of T.
pub unsafe fn out_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL and valid by contract.
        unsafe { p.write(v) };
    }
}

/// Reads an in/out pointer, refusing NULL.
///
/// # Safety
/// `p` is NULL or valid for a read of T.
pub unsafe fn inp<T: Copy>(p: *const T) -> Result<T, Error> {
    if p.is_null() {
        return Err(Error::InvalidArgument("NULL pointer"));
    }
    // SAFETY: as above.
    Ok(unsafe { p.read() })
}

/// A mutable byte buffer given as pointer + length (NULL allowed only for length 0).
///
/// # Safety
/// `p` is valid for `len` bytes of writes.
pub unsafe fn buf_mut<'a>(p: *mut c_char, len: usize) -> Result<&'a mut [u8], Error> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(Error::InvalidArgument("NULL buffer"));
    }
    // SAFETY: valid by contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(p as *mut u8, len) })
}

/// A byte buffer given as pointer + length.
///
/// # Safety
/// `p` is valid for `len` bytes of reads.
pub unsafe fn buf<'a>(p: *const c_char, len: usize) -> Result<&'a [u8], Error> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Error::InvalidArgument("NULL buffer"));
    }
    // SAFETY: valid by contract.
    Ok(unsafe { std::slice::from_raw_parts(p as *const u8, len) })
}

/// Caller memory an asynchronous write reads from after the call returned. librbd's callers
/// (QEMU, fio, SPDK, tcmu-runner, Ceph's Python binding) keep it until the completion fires,
/// so no bounce copy is made. Ceph copies by default (`rbd_disable_zero_copy_writes`) only to
/// keep the messenger's CRC stable while a guest changes the buffer; a local `pwrite` has no
/// CRC, and a buffer changed in flight writes what a disk would: either version of each byte.
pub struct CallerBytes {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the memory is only read, by one request, while the caller keeps it (see `new`).
unsafe impl Send for CallerBytes {}

impl CallerBytes {
    /// # Safety
    /// `p` is valid for `len` bytes of reads until the request's completion fires.
    pub unsafe fn new(p: *const c_char, len: usize) -> Result<CallerBytes, Error> {
        if len > 0 && p.is_null() {
            return Err(Error::InvalidArgument("NULL buffer"));
        }
        Ok(CallerBytes { ptr: p as *const u8, len })
    }
}

impl AsRef<[u8]> for CallerBytes {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: valid for len bytes until completion (the contract of `new`).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Caller memory an asynchronous read fills after the call returned (librbd's contract: valid
/// until the completion fires); the data goes straight into it.
pub struct CallerBytesMut {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the memory is written by exactly one request while the caller keeps it (see `new`).
unsafe impl Send for CallerBytesMut {}

impl CallerBytesMut {
    /// # Safety
    /// `p` is valid for `len` bytes of writes until the request's completion fires, and nothing
    /// else writes it meanwhile.
    pub unsafe fn new(p: *mut c_char, len: usize) -> Result<CallerBytesMut, Error> {
        if len > 0 && p.is_null() {
            return Err(Error::InvalidArgument("NULL buffer"));
        }
        Ok(CallerBytesMut { ptr: p as *mut u8, len })
    }
}

impl AsMut<[u8]> for CallerBytesMut {
    fn as_mut(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: valid and exclusive for len bytes until completion (the contract of `new`).
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// Copies `s` and a NUL into `dst` of capacity `cap`; -ERANGE if it does not fit.
///
/// # Safety
/// `dst` is valid for `cap` bytes.
pub unsafe fn put_str(dst: *mut c_char, cap: usize, s: &str) -> Result<usize, Error> {
    if s.len() + 1 > cap {
        return Err(Error::Range);
    }
    // SAFETY: dst valid for cap bytes by contract.
    let d = unsafe { buf_mut(dst, cap)? };
    d[..s.len()].copy_from_slice(s.as_bytes());
    d[s.len()] = 0;
    Ok(s.len() + 1)
}

/// Copies a list of strings as NUL-separated entries (the `rbd_list`/`rados_pool_list`
/// convention). Returns the total length needed; -ERANGE with `*len` set if it does not fit.
///
/// # Safety
/// `dst` is valid for `*len` bytes; `len` is valid.
pub unsafe fn put_str_list(dst: *mut c_char, len: *mut size_t, items: &[String]) -> Result<usize, Error> {
    let need: usize = items.iter().map(|s| s.len() + 1).sum();
    // SAFETY: len valid by contract.
    let cap = unsafe { inp(len)? };
    if need > cap || (need > 0 && dst.is_null()) {
        // SAFETY: as above.
        unsafe { out(len, need)? };
        return Err(Error::Range);
    }
    // SAFETY: dst valid for cap bytes.
    let d = unsafe { buf_mut(dst, cap)? };
    let mut pos = 0;
    for s in items {
        d[pos..pos + s.len()].copy_from_slice(s.as_bytes());
        d[pos + s.len()] = 0;
        pos += s.len() + 1;
    }
    // SAFETY: as above.
    unsafe { out(len, need)? };
    Ok(need)
}

/// Fills a caller's array with one entry per item (the `size_t *max` protocol): `*max` is set
/// to the number of items, and -ERANGE is returned if the array is too small.
///
/// # Safety
/// `max` is valid; `dst` is valid for `*max` entries.
pub unsafe fn put_array<T, U>(items: &[T], dst: *mut U, max: *mut size_t, f: impl Fn(&T) -> U) -> Result<(), Error> {
    // SAFETY: in/out count from the caller.
    let cap = unsafe { inp(max)? };
    // SAFETY: as above.
    unsafe { out(max, items.len())? };
    if cap < items.len() {
        return Err(Error::Range);
    }
    if !items.is_empty() && dst.is_null() {
        return Err(Error::InvalidArgument("NULL output array"));
    }
    for (k, item) in items.iter().enumerate() {
        // SAFETY: dst has cap >= len entries by contract.
        unsafe { dst.add(k).write(f(item)) };
    }
    Ok(())
}

/// A C string allocated with libc's malloc, for structs the caller frees with our cleanup
/// functions (or, for some APIs, with free()).
pub fn malloc_str(s: &str) -> *mut c_char {
    // SAFETY: allocating len+1 bytes and filling them completely.
    unsafe {
        let p = libc::malloc(s.len() + 1) as *mut u8;
        if p.is_null() {
            return std::ptr::null_mut();
        }
        std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len());
        *p.add(s.len()) = 0;
        p as *mut c_char
    }
}

/// Frees a string from [`malloc_str`] (NULL is fine).
///
/// # Safety
/// `p` is NULL or came from malloc_str and is not used again.
pub unsafe fn free_str(p: *const c_char) {
    // SAFETY: by contract.
    unsafe { libc::free(p as *mut libc::c_void) };
}

/// Converts a core result count into the C return type, refusing values that do not fit.
pub fn to_c_int(n: u64) -> Result<c_int, Error> {
    c_int::try_from(n).map_err(|_| Error::InvalidArgument("value too large for int"))
}

/// Fills the outputs of rados_list_lockers / rbd_list_lockers: the exclusive flag, the tag and
/// three parallel NUL-separated lists (every length is reported even when one is short).
/// Returns how many lockers there are.
///
/// # Safety
/// Each buffer is valid for the length its length pointer holds; the pointers are valid.
#[allow(clippy::too_many_arguments)]
pub unsafe fn put_lockers<'a>(
    exclusive: *mut c_int,
    tag: *mut c_char,
    tag_len: *mut size_t,
    clients: *mut c_char,
    clients_len: *mut size_t,
    cookies: *mut c_char,
    cookies_len: *mut size_t,
    addrs: *mut c_char,
    addrs_len: *mut size_t,
    (excl, t): (bool, String),
    lockers: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
) -> Result<ssize_t, Error> {
    let (mut cl, mut co, mut ad) = (Vec::new(), Vec::new(), Vec::new());
    for (client, cookie, addr) in lockers {
        cl.push(client.to_string());
        co.push(cookie.to_string());
        ad.push(addr.to_string());
    }
    // SAFETY: outputs from the caller, as this function's contract says.
    unsafe {
        out_opt(exclusive, excl as c_int);
        let results = [
            put_str_list(tag, tag_len, &[t]),
            put_str_list(clients, clients_len, &cl),
            put_str_list(cookies, cookies_len, &co),
            put_str_list(addrs, addrs_len, &ad),
        ];
        for r in results {
            r?;
        }
    }
    Ok(cl.len() as ssize_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_never_crosses_the_c_boundary() {
        let r: c_int = guard("test", || -> Result<c_int, Error> { panic!("boom") });
        assert_eq!(r, -libc::EIO);
        let r: c_int = guard("test", || Err(Error::NotFound));
        assert_eq!(r, -libc::ENOENT);
        guard_void("test", || panic!("boom"));
    }
}
