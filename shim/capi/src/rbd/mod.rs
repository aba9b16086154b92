//! The librbd half: images, IO and AIO, snapshots, clones, metadata, locks, trash, namespaces.

mod aio;
mod clone;
mod copy;
mod image;
mod io;
mod misc;
mod options;
mod snapshot;

pub use aio::RbdCompletion;
pub use image::RbdImage;
