//! Ceph 16.2's C ABI (`rados_*` and `rbd_*`) over the rbdshim core.
//!
//! This crate only translates: it checks pointers and arguments, converts C strings and
//! structs, calls the core, and maps errors to negative errno values (also stored in `errno`,
//! which libvirt reads). No Rust panic crosses the boundary: every entry point runs inside
//! [`ffi::guard`], which turns a panic into -EIO.
//!
//! Handles (`rados_t`, `rados_ioctx_t`, `rbd_image_t`, completions) are boxed objects carrying a
//! type tag, so NULL, closed and mismatched handles are refused with -EINVAL instead of crashing.

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]

pub mod ffi;
pub mod rados;
pub mod rbd;
mod stubs;
pub mod types;
