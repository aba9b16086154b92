use std::fmt;

/// Errors a backend reports. The core maps each onto the errno Ceph would return.
#[derive(Debug)]
pub enum Error {
    NotFound,
    /// An object exists but lacks the attribute asked for (getxattr: ENODATA, not ENOENT).
    NoData,
    Exists,
    Busy,
    NotEmpty,
    InvalidArgument(&'static str),
    NameTooLong,
    NoSpace,
    NotSupported,
    OutOfRange,
    TimedOut,
    PermissionDenied,
    /// Stored data that does not decode: never guessed around, always reported.
    Corrupt(String),
    Io(std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The positive errno matching this error, as librados/librbd would report it.
    pub fn errno(&self) -> i32 {
        match self {
            Error::NotFound => libc::ENOENT,
            Error::NoData => libc::ENODATA,
            Error::Exists => libc::EEXIST,
            Error::Busy => libc::EBUSY,
            Error::NotEmpty => libc::ENOTEMPTY,
            Error::InvalidArgument(_) => libc::EINVAL,
            Error::NameTooLong => libc::ENAMETOOLONG,
            Error::NoSpace => libc::ENOSPC,
            Error::NotSupported => libc::EOPNOTSUPP,
            Error::OutOfRange => libc::ERANGE,
            Error::TimedOut => libc::ETIMEDOUT,
            Error::PermissionDenied => libc::EPERM,
            Error::Corrupt(_) => libc::EIO,
            Error::Io(e) => match e.raw_os_error() {
                Some(n) => n,
                None if e.kind() == std::io::ErrorKind::NotFound => libc::ENOENT,
                None => libc::EIO,
            },
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Error::Corrupt(why) => write!(f, "corrupt store: {why}"),
            Error::Io(e) => write!(f, "{e}"),
            other => write!(f, "{}", std::io::Error::from_raw_os_error(other.errno())),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(libc::ENOENT) => Error::NotFound,
            Some(libc::EEXIST) => Error::Exists,
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => Error::NoSpace,
            Some(libc::ENAMETOOLONG) => Error::NameTooLong,
            _ => Error::Io(e),
        }
    }
}
