//! The storage backend contract of rbdshim.
//!
//! A backend knows storage, not RBD: pools and namespaces are containers, a *volume* is a sparse
//! byte array split into fixed-size objects with self-managed snapshots (the caller passes the
//! snapshot context on every write, as RADOS clients do), *records* are small named values updated
//! atomically, and a *coordinator* gives the cross-process primitives (a cooperative exclusive lock,
//! watcher registration, a shared change counter). The core builds RBD images on top of these.
//!
//! [`testsuite`] holds the behaviour suite that every backend runs against this trait.

pub mod adapt;
mod error;
pub mod fork;
pub mod testsuite;
mod traits;
mod types;

pub use error::{Error, Result};
pub use traits::{Backend, Coordinator, ObjectStore, RecordGuard, Volume, WatchGuard};
pub use types::*;
