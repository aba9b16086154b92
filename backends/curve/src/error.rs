//! CurveBS's client error codes (`LIBCURVE_ERROR`), and their mapping onto the backend
//! contract's errors (which the core maps onto errno once).

use rbdshim_backend::Error;
use std::fmt;

/// A libcurve error; [`CurveError::code`] is the value libcurve returns negated.
#[derive(Debug)]
pub enum CurveError {
    Exists,
    Failed,
    DisableIo,
    AuthFail,
    Deleting,
    NotExist,
    UnderSnapshot,
    NotUnderSnapshot,
    DeleteError,
    NotAllocate,
    NotSupport,
    NotEmpty,
    NoShrinkBiggerFile,
    SessionNotExists,
    FileOccupied,
    ParamError,
    InternalError,
    NoSpace,
    NotAligned,
    BadFd,
    LengthNotSupport,
    StatusNotMatch,
    DeleteBeingCloned,
    EpochTooOld,
    /// The metadata store did not answer in time (etcd without quorum).
    TimedOut,
    /// The chunk store failed underneath (disk error, corrupt data), kept whole for the caller.
    Store(Error),
}

pub type CurveResult<T> = Result<T, CurveError>;

impl CurveError {
    /// libcurve's `LIBCURVE_ERROR` value (returned negated by its C API).
    pub fn code(&self) -> i32 {
        match self {
            CurveError::Exists => 1,
            CurveError::Failed => 2,
            CurveError::DisableIo => 3,
            CurveError::AuthFail => 4,
            CurveError::Deleting => 5,
            CurveError::NotExist => 6,
            CurveError::UnderSnapshot => 7,
            CurveError::NotUnderSnapshot => 8,
            CurveError::DeleteError => 9,
            CurveError::NotAllocate => 10,
            CurveError::NotSupport => 11,
            CurveError::NotEmpty => 12,
            CurveError::NoShrinkBiggerFile => 13,
            CurveError::SessionNotExists => 14,
            CurveError::FileOccupied => 15,
            CurveError::ParamError => 16,
            CurveError::InternalError => 17,
            CurveError::NoSpace => 21,
            CurveError::NotAligned => 22,
            CurveError::BadFd => 23,
            CurveError::LengthNotSupport => 24,
            CurveError::StatusNotMatch => 26,
            CurveError::DeleteBeingCloned => 27,
            CurveError::EpochTooOld => 31,
            // libcurve has no timeout code: its RPCs retry and report FAILED at the end.
            CurveError::TimedOut => 2,
            CurveError::Store(e) if e.errno() == libc::ENOSPC => 21,
            CurveError::Store(_) => 20,
        }
    }

    /// libcurve's name for the code (`LibCurveErrorName`).
    pub fn name(&self) -> &'static str {
        match self.code() {
            1 => "EXISTS",
            2 => "FAILED",
            3 => "DISABLEIO",
            4 => "AUTHFAIL",
            5 => "DELETING",
            6 => "NOTEXIST",
            7 => "UNDER_SNAPSHOT",
            8 => "NOT_UNDERSNAPSHOT",
            9 => "DELETE_ERROR",
            10 => "NOT_ALLOCATE",
            11 => "NOT_SUPPORT",
            12 => "NOT_EMPTY",
            13 => "NO_SHRINK_BIGGER_FILE",
            14 => "SESSION_NOTEXISTS",
            15 => "FILE_OCCUPIED",
            16 => "PARAM_ERROR",
            17 => "INTERNAL_ERROR",
            20 => "DISK_FAIL",
            21 => "NO_SPACE",
            22 => "NOT_ALIGNED",
            23 => "BAD_FD",
            24 => "LENGTH_NOT_SUPPORT",
            26 => "STATUS_NOT_MATCH",
            27 => "DELETE_BEING_CLONED",
            31 => "EPOCH_TOO_OLD",
            _ => "UNKNOWN",
        }
    }
}

impl PartialEq for CurveError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (CurveError::TimedOut, CurveError::TimedOut) => true,
            (CurveError::TimedOut, _) | (_, CurveError::TimedOut) => false,
            (a, b) => a.code() == b.code(),
        }
    }
}

impl fmt::Display for CurveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CurveError::Store(e) => write!(f, "{}: {e}", self.name()),
            CurveError::TimedOut => write!(f, "metadata store did not answer in time"),
            _ => write!(f, "{}", self.name()),
        }
    }
}

impl std::error::Error for CurveError {}

impl From<Error> for CurveError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => CurveError::NotExist,
            Error::Exists => CurveError::Exists,
            Error::TimedOut => CurveError::TimedOut,
            e => CurveError::Store(e),
        }
    }
}

impl From<std::io::Error> for CurveError {
    fn from(e: std::io::Error) -> Self {
        CurveError::Store(e.into())
    }
}

/// What an RBD front end sees (research: NOTEXIST → ENOENT, FILE_OCCUPIED → EBUSY, ...).
impl From<CurveError> for Error {
    fn from(e: CurveError) -> Self {
        match e {
            CurveError::Exists => Error::Exists,
            CurveError::NotExist => Error::NotFound,
            CurveError::FileOccupied | CurveError::UnderSnapshot | CurveError::DeleteBeingCloned => Error::Busy,
            CurveError::Deleting | CurveError::StatusNotMatch => Error::Busy,
            CurveError::NotEmpty => Error::NotEmpty,
            CurveError::AuthFail => Error::PermissionDenied,
            CurveError::NoSpace => Error::NoSpace,
            CurveError::NotAligned => Error::InvalidArgument("IO not aligned to the volume's block size"),
            CurveError::ParamError => Error::InvalidArgument("invalid parameter"),
            CurveError::LengthNotSupport => Error::InvalidArgument("volume length not supported"),
            CurveError::NoShrinkBiggerFile => Error::NotSupported,
            CurveError::NotSupport => Error::NotSupported,
            CurveError::TimedOut => Error::TimedOut,
            CurveError::EpochTooOld => Error::Io(std::io::Error::from_raw_os_error(libc::ESTALE)),
            CurveError::Store(e) => e,
            other => Error::Io(std::io::Error::other(other.name())),
        }
    }
}
