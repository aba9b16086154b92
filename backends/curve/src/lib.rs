//! The `curve` backend of rbdshim: a CurveBS-like block store, and RBD on top of it.
//!
//! The store ([`store`]) has CurveBS's model and rules: a directory tree of volumes with owners
//! checked along every path ([`namespace`]), volumes of at least 10 GiB in 1 GiB segments that
//! never shrink, IO aligned to 4 KiB (or 512 B) blocks ([`file`]), a recycle bin, sessions that
//! end with their client, epochs that fence a stale writer ([`chunks`]), and a snapshot/clone
//! service that copies snapshots out to a snapshot store and makes lazy clones ([`snapshot`]).
//! Its metadata lives behind a small key-value contract ([`meta`]): embedded in a local file,
//! or in etcd. [`client`] is its API in libcurve's shape.
//!
//! [`rbd`] maps RBD onto it (pool → directory, namespace → subdirectory, image → volume) and
//! implements the backend contract; the core hides the store's rules from every front end.
//!
//! Nothing here starts a thread when a store is opened; sessions and clients are made on first
//! use in the process that uses them.

// `x % n != 0` stays: `is_multiple_of` is newer than the workspace's rust-version.
#![allow(clippy::manual_is_multiple_of)]

pub mod chunks;
pub mod client;
pub mod error;
pub mod etcd_cluster;
pub mod file;
mod fsck;
pub mod meta;
pub mod namespace;
pub mod options;
pub mod rbd;
pub mod snapshot;
pub mod store;

pub use client::CurveClient;
pub use error::{CurveError, CurveResult};
pub use namespace::{FileInfo, UserInfo};
pub use options::Options;
pub use rbd::CurveBackend;
pub use store::CurveStore;
