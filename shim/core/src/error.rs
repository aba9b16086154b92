//! The core's one error type, and its single mapping to errno.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    NotFound,
    /// The object exists but not the attribute (ENODATA).
    NoData,
    Exists,
    /// In use: open elsewhere, protected, has children, locked.
    Busy,
    /// Has snapshots.
    NotEmpty,
    InvalidArgument(&'static str),
    NameTooLong,
    /// Out of the accepted range (object order).
    Domain,
    /// A buffer is too small; the caller retries with the size it was told.
    Range,
    ReadOnly,
    NotConnected,
    /// connect() on a connected handle.
    IsConnected,
    NotSupported,
    /// A feature the image lacks (e.g. cloning without layering).
    NoSys,
    PermissionDenied,
    NoSpace,
    /// Over a quota (snapshot limit).
    Quota,
    TimedOut,
    Shutdown,
    /// The handle was closed or never valid.
    BadHandle,
    Corrupt(String),
    Backend(rbdshim_backend::Error),
    /// A failure explained in Ceph's own words (monitor commands, keyrings): the message is
    /// what Ceph's tools show, the errno what they return.
    Message {
        errno: i32,
        msg: String,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The positive errno Ceph 16.2 returns for this condition.
    pub fn errno(&self) -> i32 {
        match self {
            Error::NotFound => libc::ENOENT,
            Error::NoData => libc::ENODATA,
            Error::Exists => libc::EEXIST,
            Error::Busy => libc::EBUSY,
            Error::NotEmpty => libc::ENOTEMPTY,
            Error::InvalidArgument(_) => libc::EINVAL,
            Error::NameTooLong => libc::ENAMETOOLONG,
            Error::Domain => libc::EDOM,
            Error::Range => libc::ERANGE,
            Error::ReadOnly => libc::EROFS,
            Error::NotConnected => libc::ENOTCONN,
            Error::IsConnected => libc::EISCONN,
            Error::NotSupported => libc::EOPNOTSUPP,
            Error::NoSys => libc::ENOSYS,
            Error::PermissionDenied => libc::EPERM,
            Error::NoSpace => libc::ENOSPC,
            Error::Quota => libc::EDQUOT,
            Error::TimedOut => libc::ETIMEDOUT,
            Error::Shutdown => libc::ESHUTDOWN,
            Error::BadHandle => libc::EINVAL,
            Error::Corrupt(_) => libc::EIO,
            Error::Backend(e) => e.errno(),
            Error::Message { errno, .. } => *errno,
        }
    }

    /// A failure with Ceph's message and errno (positive).
    pub fn msg(errno: i32, msg: impl Into<String>) -> Error {
        Error::Message { errno, msg: msg.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Error::Corrupt(why) => write!(f, "corrupt metadata: {why}"),
            Error::Backend(e) => write!(f, "{e}"),
            Error::Message { msg, .. } => write!(f, "{msg}"),
            other => write!(f, "{}", std::io::Error::from_raw_os_error(other.errno())),
        }
    }
}

impl std::error::Error for Error {}

impl From<rbdshim_backend::Error> for Error {
    fn from(e: rbdshim_backend::Error) -> Self {
        use rbdshim_backend::Error as B;
        match e {
            B::NotFound => Error::NotFound,
            B::NoData => Error::NoData,
            B::Exists => Error::Exists,
            B::Busy => Error::Busy,
            B::NotEmpty => Error::NotEmpty,
            B::InvalidArgument(w) => Error::InvalidArgument(w),
            B::NameTooLong => Error::NameTooLong,
            B::NoSpace => Error::NoSpace,
            B::NotSupported => Error::NotSupported,
            B::TimedOut => Error::TimedOut,
            B::PermissionDenied => Error::PermissionDenied,
            B::Corrupt(w) => Error::Corrupt(w),
            other => Error::Backend(other),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Corrupt(e.to_string())
    }
}
