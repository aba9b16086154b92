//! The rbdshim core: everything RBD means, independent of any front end and any store.
//!
//! It owns configuration ([`config`]), cluster and pool handles ([`cluster`], [`ioctx`]),
//! images ([`image`], [`manage`], [`io`]), snapshots ([`snapshot`]), clones ([`clone`]),
//! diffs ([`diff`]), export and diff streams ([`stream`]), the exclusive lock ([`lock`]),
//! asynchronous IO ([`aio`]) and the one error type ([`Error`]). Front ends (the C libraries,
//! the Python modules, the CLI) only translate arguments and errors; stores plug in behind the
//! `rbdshim-backend` trait.
//!
//! Fork safety: nothing starts a thread or opens a file before it is needed, and the AIO pool
//! and lock keeper restart in a child process.

mod access;
pub mod aio;
pub mod auth;
pub mod clone;
pub mod cluster;
pub mod config;
mod copy;
pub mod diff;
mod error;
pub mod features;
pub mod formatter;
pub mod fsck;
pub mod header;
pub mod image;
pub mod io;
pub mod ioctx;
pub mod lock;
pub mod manage;
pub mod monitor;
pub mod naming;
pub mod objlock;
pub mod options;
pub mod osdpool;
pub mod pool;
pub mod rbdconfig;
pub mod snapshot;
pub mod stream;

pub use aio::Completion;
pub use cluster::Cluster;
pub use error::{Error, Result};
pub use image::Image;
pub use ioctx::IoCtx;
pub use manage::CreateOptions;
pub use rbdshim_backend as backend;
