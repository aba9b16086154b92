//! The librados half: cluster handles, configuration, pools, I/O contexts, objects and
//! asynchronous object IO.

mod aio;
mod cluster;
mod ioctx;
mod lock;
mod object;
mod omap;

pub use aio::RadosCompletion;
pub use cluster::RadosCluster;
pub use ioctx::RadosIoctx;
