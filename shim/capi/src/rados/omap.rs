//! omap and xattr iteration, read operations, and object listing.

use super::ioctx::ioctx;
use super::object::push;
use crate::ffi::*;
use crate::types::*;
use libc::{c_char, c_int, c_uint, size_t};
use parking_lot::Mutex;
use rbdshim_core::backend::ObjectOp;
use rbdshim_core::Error;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::Arc;

/// Entries handed out one by one; the pointers stay valid until the iterator is closed.
#[derive(Default)]
pub struct Entries {
    items: Mutex<(Vec<(CString, Vec<u8>)>, usize)>,
}

impl Entries {
    fn fill(&self, map: impl IntoIterator<Item = (String, Vec<u8>)>) {
        let v = map.into_iter().map(|(k, v)| (CString::new(k.replace('\0', "")).unwrap_or_default(), v)).collect();
        *self.items.lock() = (v, 0);
    }

    /// Next (key, value, key length, value length), or None at the end.
    fn next(&self) -> Option<(*const c_char, *const c_char, usize, usize)> {
        let mut g = self.items.lock();
        let pos = g.1;
        let (k, v) = g.0.get(pos)?;
        let r = (k.as_ptr(), v.as_ptr() as *const c_char, k.as_bytes().len(), v.len());
        g.1 += 1;
        Some(r)
    }
}

unsafe fn strings(p: *const *const c_char, n: size_t, lens: *const size_t) -> Result<Vec<String>, Error> {
    if n > 0 && p.is_null() {
        return Err(Error::InvalidArgument("NULL key array"));
    }
    (0..n)
        .map(|i| {
            // SAFETY: the caller passes n entries (and n lengths when lens is not NULL).
            unsafe {
                let s = *p.add(i);
                if lens.is_null() {
                    cstr(s).map(str::to_string)
                } else {
                    String::from_utf8(buf(s, *lens.add(i))?.to_vec())
                        .map_err(|_| Error::InvalidArgument("key is not UTF-8"))
                }
            }
        })
        .collect()
}

unsafe fn omap_set(
    op: rados_write_op_t,
    keys: *const *const c_char,
    vals: *const *const c_char,
    key_lens: *const size_t,
    val_lens: *const size_t,
    num: size_t,
) {
    // SAFETY: arrays of num entries from the caller.
    let Ok(k) = (unsafe { strings(keys, num, key_lens) }) else { return };
    if num > 0 && (vals.is_null() || val_lens.is_null()) {
        return;
    }
    let mut m = BTreeMap::new();
    for (i, key) in k.into_iter().enumerate() {
        // SAFETY: as above.
        if let Ok(v) = unsafe { buf(*vals.add(i), *val_lens.add(i)) } {
            m.insert(key, v.to_vec());
        }
    }
    // SAFETY: handle from the caller.
    unsafe { push(op, ObjectOp::OmapSet(m)) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_set(
    write_op: rados_write_op_t,
    keys: *const *const c_char,
    vals: *const *const c_char,
    lens: *const size_t,
    num: size_t,
) {
    // SAFETY: forwarded.
    unsafe { omap_set(write_op, keys, vals, std::ptr::null(), lens, num) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_set2(
    write_op: rados_write_op_t,
    keys: *const *const c_char,
    vals: *const *const c_char,
    key_lens: *const size_t,
    val_lens: *const size_t,
    num: size_t,
) {
    // SAFETY: forwarded.
    unsafe { omap_set(write_op, keys, vals, key_lens, val_lens, num) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_rm_keys(
    write_op: rados_write_op_t,
    keys: *const *const c_char,
    keys_len: size_t,
) {
    // SAFETY: arrays from the caller.
    if let Ok(k) = unsafe { strings(keys, keys_len, std::ptr::null()) } {
        // SAFETY: handle from the caller.
        unsafe { push(write_op, ObjectOp::OmapRm(k)) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_rm_keys2(
    write_op: rados_write_op_t,
    keys: *const *const c_char,
    key_lens: *const size_t,
    keys_len: size_t,
) {
    // SAFETY: arrays from the caller.
    if let Ok(k) = unsafe { strings(keys, keys_len, key_lens) } {
        // SAFETY: handle from the caller.
        unsafe { push(write_op, ObjectOp::OmapRm(k)) }
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_write_op_omap_clear(write_op: rados_write_op_t) {
    // SAFETY: handle from the caller.
    unsafe { push(write_op, ObjectOp::OmapClear) }
}

unsafe fn omap_iter(p: rados_omap_iter_t) -> Result<Arc<Entries>, Error> {
    // SAFETY: forwarded handle contract.
    unsafe { Handle::<Entries>::get(p, TAG_OMAP_ITER) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_next2(
    iter: rados_omap_iter_t,
    key: *mut *mut c_char,
    val: *mut *mut c_char,
    key_len: *mut size_t,
    val_len: *mut size_t,
) -> c_int {
    guard("rados_omap_get_next2", || {
        // SAFETY: handle from the caller.
        let it = unsafe { omap_iter(iter)? };
        let (k, v, kl, vl) = it.next().unwrap_or((std::ptr::null(), std::ptr::null(), 0, 0));
        // SAFETY: optional out-pointers from the caller.
        unsafe {
            out_opt(key, k as *mut c_char);
            out_opt(val, v as *mut c_char);
            out_opt(key_len, kl);
            out_opt(val_len, vl);
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_next(
    iter: rados_omap_iter_t,
    key: *mut *mut c_char,
    val: *mut *mut c_char,
    len: *mut size_t,
) -> c_int {
    // SAFETY: forwarded.
    unsafe { rados_omap_get_next2(iter, key, val, std::ptr::null_mut(), len) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_omap_iter_size(iter: rados_omap_iter_t) -> c_uint {
    // SAFETY: handle from the caller.
    match unsafe { omap_iter(iter) } {
        Ok(it) => it.items.lock().0.len() as c_uint,
        Err(_) => 0,
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_omap_get_end(iter: rados_omap_iter_t) {
    // SAFETY: handle from the caller, not used afterwards.
    unsafe { Handle::<Entries>::free(iter, TAG_OMAP_ITER) }
}

/// A read step: what to fetch, and where the answer goes.
enum ReadStep {
    /// Keys after `start_after` starting with `prefix`, at most `max`; values only if asked.
    Range {
        start_after: String,
        prefix: String,
        max: u64,
        values: bool,
        iter: usize,
        more: usize,
        rval: usize,
    },
    ByKeys {
        keys: Vec<String>,
        iter: usize,
        rval: usize,
    },
}

#[derive(Default)]
pub struct ReadOp {
    steps: Mutex<Vec<ReadStep>>,
}

#[no_mangle]
pub unsafe extern "C" fn rados_create_read_op() -> rados_read_op_t {
    Handle::into_raw(TAG_READ_OP, ReadOp::default())
}

#[no_mangle]
pub unsafe extern "C" fn rados_release_read_op(read_op: rados_read_op_t) {
    // SAFETY: handle from the caller, not used afterwards.
    unsafe { Handle::<ReadOp>::free(read_op, TAG_READ_OP) }
}

/// Allocates the iterator the caller will read after operate.
unsafe fn new_iter(iter: *mut rados_omap_iter_t) -> usize {
    let h = Handle::into_raw(TAG_OMAP_ITER, Entries::default());
    if !iter.is_null() {
        // SAFETY: out-pointer from the caller.
        unsafe { *iter = h };
    }
    h as usize
}

unsafe fn push_read(op: rados_read_op_t, step: ReadStep) {
    // SAFETY: handle from the caller.
    if let Ok(r) = unsafe { Handle::<ReadOp>::get(op, TAG_READ_OP) } {
        r.steps.lock().push(step);
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals2(
    read_op: rados_read_op_t,
    start_after: *const c_char,
    filter_prefix: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    pmore: *mut u8,
    prval: *mut c_int,
) {
    // SAFETY: strings from the caller.
    let (sa, pf) = unsafe { (opt_cstr(start_after).ok().flatten(), opt_cstr(filter_prefix).ok().flatten()) };
    let step = ReadStep::Range {
        start_after: sa.unwrap_or("").to_string(),
        prefix: pf.unwrap_or("").to_string(),
        max: max_return,
        values: true,
        // SAFETY: out-pointer from the caller.
        iter: unsafe { new_iter(iter) },
        more: pmore as usize,
        rval: prval as usize,
    };
    // SAFETY: handle from the caller.
    unsafe { push_read(read_op, step) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_keys2(
    read_op: rados_read_op_t,
    start_after: *const c_char,
    max_return: u64,
    iter: *mut rados_omap_iter_t,
    pmore: *mut u8,
    prval: *mut c_int,
) {
    // SAFETY: string from the caller.
    let sa = unsafe { opt_cstr(start_after).ok().flatten() };
    let step = ReadStep::Range {
        start_after: sa.unwrap_or("").to_string(),
        prefix: String::new(),
        max: max_return,
        values: false,
        // SAFETY: out-pointer from the caller.
        iter: unsafe { new_iter(iter) },
        more: pmore as usize,
        rval: prval as usize,
    };
    // SAFETY: handle from the caller.
    unsafe { push_read(read_op, step) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_read_op_omap_get_vals_by_keys(
    read_op: rados_read_op_t,
    keys: *const *const c_char,
    keys_len: size_t,
    iter: *mut rados_omap_iter_t,
    prval: *mut c_int,
) {
    // SAFETY: arrays from the caller.
    let keys = unsafe { strings(keys, keys_len, std::ptr::null()) }.unwrap_or_default();
    // SAFETY: out-pointer from the caller.
    let step = ReadStep::ByKeys { keys, iter: unsafe { new_iter(iter) }, rval: prval as usize };
    // SAFETY: handle from the caller.
    unsafe { push_read(read_op, step) }
}

/// Writes an optional C out-value given as an address (kept as usize so the step is Send).
unsafe fn set<T>(addr: usize, v: T) {
    // SAFETY: an out-pointer the caller gave when adding the step.
    unsafe { out_opt(addr as *mut T, v) }
}

#[no_mangle]
pub unsafe extern "C" fn rados_read_op_operate(
    read_op: rados_read_op_t,
    io: rados_ioctx_t,
    oid: *const c_char,
    _flags: c_int,
) -> c_int {
    guard("rados_read_op_operate", || {
        // SAFETY: handles and string from the caller.
        let (r, i, oid) = unsafe { (Handle::<ReadOp>::get(read_op, TAG_READ_OP)?, ioctx(io)?, cstr(oid)?) };
        let omap = i.io.objects().omap_get(&i.io.loc(), oid)?;
        let steps = std::mem::take(&mut *r.steps.lock());
        for s in steps {
            let (iter, entries, rval): (usize, Vec<(String, Vec<u8>)>, usize) = match s {
                ReadStep::Range { start_after, prefix, max, values, iter, more, rval } => {
                    let all: Vec<_> = omap
                        .range::<String, _>((std::ops::Bound::Excluded(&start_after), std::ops::Bound::Unbounded))
                        .filter(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k.clone(), if values { v.clone() } else { Vec::new() }))
                        .collect();
                    let n = (max as usize).min(all.len());
                    // SAFETY: the caller's out-pointer.
                    unsafe { set(more, (all.len() > n) as u8) };
                    (iter, all.into_iter().take(n).collect(), rval)
                }
                ReadStep::ByKeys { keys, iter, rval } => {
                    let found = keys.iter().filter_map(|k| omap.get(k).map(|v| (k.clone(), v.clone()))).collect();
                    (iter, found, rval)
                }
            };
            // SAFETY: an iterator handle we allocated when the step was added.
            if let Ok(it) = unsafe { omap_iter(iter as rados_omap_iter_t) } {
                it.fill(entries);
            }
            // SAFETY: the caller's out-pointer.
            unsafe { set::<c_int>(rval, 0) };
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs(
    io: rados_ioctx_t,
    oid: *const c_char,
    iter: *mut rados_xattrs_iter_t,
) -> c_int {
    guard("rados_getxattrs", || {
        // SAFETY: handle and string from the caller.
        let (i, oid) = unsafe { (ioctx(io)?, cstr(oid)?) };
        let x = i.io.objects().xattrs(&i.io.loc(), oid)?;
        let e = Entries::default();
        e.fill(x);
        // SAFETY: out-pointer from the caller.
        unsafe { out(iter, Handle::into_raw(TAG_XATTR_ITER, e))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs_next(
    iter: rados_xattrs_iter_t,
    name: *mut *const c_char,
    val: *mut *const c_char,
    len: *mut size_t,
) -> c_int {
    guard("rados_getxattrs_next", || {
        // SAFETY: handle from the caller.
        let it = unsafe { Handle::<Entries>::get(iter, TAG_XATTR_ITER)? };
        let (k, v, _, vl) = it.next().unwrap_or((std::ptr::null(), std::ptr::null(), 0, 0));
        // SAFETY: out-pointers from the caller.
        unsafe {
            out(name, k)?;
            out(val, v)?;
            out(len, vl)?;
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_getxattrs_end(iter: rados_xattrs_iter_t) {
    // SAFETY: handle from the caller, not used afterwards.
    unsafe { Handle::<Entries>::free(iter, TAG_XATTR_ITER) }
}

/// Objects of a pool (one namespace, or all of them), listed at open.
pub struct ListCtx {
    items: Mutex<(Vec<(CString, CString)>, usize)>,
}

#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_open(io: rados_ioctx_t, ctx: *mut rados_list_ctx_t) -> c_int {
    guard("rados_nobjects_list_open", || {
        // SAFETY: handle from the caller.
        let i = unsafe { ioctx(io)? };
        let ns = i.io.namespace();
        // LIBRADOS_ALL_NSPACES ("\001") lists every namespace.
        let which = if ns == "\u{1}" { None } else { Some(ns.as_str()) };
        let list = i.io.objects().list(i.io.pool_id(), which)?;
        let items =
            list.into_iter().filter_map(|(n, o)| Some((CString::new(o).ok()?, CString::new(n).ok()?))).collect();
        // SAFETY: out-pointer from the caller.
        unsafe { out(ctx, Handle::into_raw(TAG_LIST_CTX, ListCtx { items: Mutex::new((items, 0)) }))? };
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_next2(
    ctx: rados_list_ctx_t,
    entry: *mut *const c_char,
    key: *mut *const c_char,
    nspace: *mut *const c_char,
    entry_size: *mut size_t,
    key_size: *mut size_t,
    nspace_size: *mut size_t,
) -> c_int {
    guard("rados_nobjects_list_next2", || {
        // SAFETY: handle from the caller.
        let l = unsafe { Handle::<ListCtx>::get(ctx, TAG_LIST_CTX)? };
        let mut g = l.items.lock();
        let pos = g.1;
        let (o, n) = g.0.get(pos).ok_or(Error::NotFound)?;
        let (op, np, ol, nl) = (o.as_ptr(), n.as_ptr(), o.as_bytes().len(), n.as_bytes().len());
        g.1 += 1;
        // SAFETY: optional out-pointers from the caller; the strings live until close.
        unsafe {
            out_opt(entry, op);
            out_opt(key, std::ptr::null());
            out_opt(nspace, np);
            out_opt(entry_size, ol);
            out_opt(key_size, 0);
            out_opt(nspace_size, nl);
        }
        Ok(0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_next(
    ctx: rados_list_ctx_t,
    entry: *mut *const c_char,
    key: *mut *const c_char,
    nspace: *mut *const c_char,
) -> c_int {
    // SAFETY: forwarded.
    unsafe {
        rados_nobjects_list_next2(
            ctx,
            entry,
            key,
            nspace,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    }
}

#[no_mangle]
pub unsafe extern "C" fn rados_nobjects_list_close(ctx: rados_list_ctx_t) {
    // SAFETY: handle from the caller, not used afterwards.
    unsafe { Handle::<ListCtx>::free(ctx, TAG_LIST_CTX) }
}
