//! A client API shaped like libcurve's (`Init`, `Open`, `Create`, `Read`, `AioWrite`, ...), with
//! file descriptors and CurveBS's error codes, so that putting the real libcurve behind the RBD
//! layer later replaces this module and not its callers.

use crate::error::{CurveError, CurveResult};
use crate::file::OpenFile;
use crate::namespace::{FileInfo, UserInfo};
use crate::options::Options;
use crate::snapshot::{self, CloneFrom};
use crate::store::CurveStore;
use parking_lot::Mutex;
use rbdshim_backend::View;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

/// libcurve's `LIBCURVE_OP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AioOp {
    Read,
    Write,
    Discard,
}

/// libcurve's `CurveAioContext`: the request, and its result in `ret` (bytes, or a negative
/// error code) when the callback runs (on a thread of the client).
pub struct AioContext {
    pub offset: u64,
    pub length: u64,
    pub op: AioOp,
    pub buf: Vec<u8>,
    pub ret: i64,
    pub cb: Option<Box<dyn FnOnce(AioContext) + Send>>,
}

pub struct CurveClient {
    store: Arc<CurveStore>,
    fds: Mutex<HashMap<i32, Arc<OpenFile>>>,
    next_fd: AtomicI32,
}

fn ret<T>(r: CurveResult<T>, ok: impl FnOnce(T) -> i64) -> i64 {
    match r {
        Ok(v) => ok(v),
        Err(e) => -(e.code() as i64),
    }
}

impl CurveClient {
    /// `Init`: opens the store the options describe (nothing starts until first use).
    pub fn init(opts: Options) -> CurveResult<CurveClient> {
        Ok(CurveClient::with_store(CurveStore::open(opts)?))
    }

    pub fn with_store(store: Arc<CurveStore>) -> CurveClient {
        CurveClient { store, fds: Mutex::new(HashMap::new()), next_fd: AtomicI32::new(3) }
    }

    pub fn store(&self) -> &Arc<CurveStore> {
        &self.store
    }

    fn fd(&self, fd: i32) -> CurveResult<Arc<OpenFile>> {
        self.fds.lock().get(&fd).cloned().ok_or(CurveError::BadFd)
    }

    pub fn open(&self, path: &str, user: &UserInfo) -> CurveResult<i32> {
        let f = self.store.open_file(path, user)?;
        let fd = self.next_fd.fetch_add(1, Ordering::Relaxed);
        self.fds.lock().insert(fd, f);
        Ok(fd)
    }

    pub fn close(&self, fd: i32) -> CurveResult<()> {
        self.fds.lock().remove(&fd).map(|_| ()).ok_or(CurveError::BadFd)
    }

    pub fn create(&self, path: &str, user: &UserInfo, size: u64) -> CurveResult<()> {
        self.store.create(path, user, size, None).map(|_| ())
    }

    pub fn extend(&self, path: &str, user: &UserInfo, size: u64) -> CurveResult<()> {
        self.store.ns.extend(path, user, size).map(|_| ())
    }

    pub fn rename(&self, user: &UserInfo, old: &str, new: &str) -> CurveResult<()> {
        let info = self.store.ns.lookup(old, user)?;
        let open =
            info.filetype == crate::namespace::FileType::PageFile && !self.store.open_sessions(info.id)?.is_empty();
        self.store.ns.rename(user, old, new, open)
    }

    /// `Unlink`: to the recycle bin. Returns the file's path there.
    pub fn unlink(&self, path: &str, user: &UserInfo) -> CurveResult<String> {
        let f = self.store.unlink(path, user)?;
        Ok(format!("/{}/{}", crate::namespace::RECYCLE_BIN, f.name))
    }

    pub fn delete_force(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        self.store.delete_force(path, user)
    }

    pub fn recover(&self, path: &str, user: &UserInfo, file_id: u64) -> CurveResult<()> {
        self.store.ns.recover(path, user, file_id).map(|_| ())
    }

    pub fn stat_file(&self, path: &str, user: &UserInfo) -> CurveResult<FileInfo> {
        self.store.ns.lookup(path, user)
    }

    pub fn mkdir(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        self.store.ns.mkdir(path, user).map(|_| ())
    }

    pub fn rmdir(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        self.store.ns.rmdir(path, user)
    }

    pub fn listdir(&self, path: &str, user: &UserInfo) -> CurveResult<Vec<FileInfo>> {
        self.store.ns.listdir(path, user)
    }

    pub fn change_owner(&self, path: &str, new_owner: &str, user: &UserInfo) -> CurveResult<()> {
        self.store.ns.change_owner(path, new_owner, user)
    }

    pub fn increase_epoch(&self, path: &str, user: &UserInfo) -> CurveResult<u64> {
        self.store.increase_epoch(path, user)
    }

    /// Live clients that have the file open (CurveBS lists them as the file's mount points).
    pub fn open_clients(&self, path: &str, user: &UserInfo) -> CurveResult<Vec<String>> {
        let info = self.store.ns.lookup(path, user)?;
        Ok(self.store.open_sessions(info.id)?.into_iter().collect())
    }

    pub fn read(&self, fd: i32, buf: &mut [u8], off: u64) -> CurveResult<usize> {
        self.fd(fd)?.read(View::Head, off, buf)?;
        Ok(buf.len())
    }

    pub fn write(&self, fd: i32, data: &[u8], off: u64) -> CurveResult<usize> {
        let f = self.fd(fd)?;
        f.write(&f.snapc()?, off, data)?;
        Ok(data.len())
    }

    pub fn discard(&self, fd: i32, off: u64, len: u64) -> CurveResult<()> {
        let f = self.fd(fd)?;
        f.discard(&f.snapc()?, off, len, false)
    }

    fn aio(&self, fd: i32, mut ctx: AioContext) -> CurveResult<()> {
        let f = self.fd(fd)?;
        // Like libcurve, completions run on a client thread, never in the caller.
        std::thread::Builder::new()
            .name("curve-aio".into())
            .spawn(move || {
                let (off, len) = (ctx.offset, ctx.length);
                ctx.ret = match ctx.op {
                    AioOp::Read => {
                        ctx.buf.resize(len as usize, 0);
                        ret(f.read(View::Head, off, &mut ctx.buf), |_| len as i64)
                    }
                    AioOp::Write => {
                        let data = std::mem::take(&mut ctx.buf);
                        let r = f.snapc().and_then(|s| f.write(&s, off, &data[..(len as usize).min(data.len())]));
                        ctx.buf = data;
                        ret(r, |_| len as i64)
                    }
                    AioOp::Discard => ret(f.snapc().and_then(|s| f.discard(&s, off, len, false)), |_| 0),
                };
                if let Some(cb) = ctx.cb.take() {
                    cb(ctx);
                }
            })
            .map(|_| ())
            .map_err(CurveError::from)
    }

    pub fn aio_read(&self, fd: i32, ctx: AioContext) -> CurveResult<()> {
        self.aio(fd, AioContext { op: AioOp::Read, ..ctx })
    }

    pub fn aio_write(&self, fd: i32, ctx: AioContext) -> CurveResult<()> {
        if (ctx.buf.len() as u64) < ctx.length {
            return Err(CurveError::ParamError);
        }
        self.aio(fd, AioContext { op: AioOp::Write, ..ctx })
    }

    pub fn aio_discard(&self, fd: i32, ctx: AioContext) -> CurveResult<()> {
        self.aio(fd, AioContext { op: AioOp::Discard, ..ctx })
    }

    /// The snapshot service's `CreateSnapshot` (waits for the dump).
    pub fn create_snapshot(&self, path: &str, user: &UserInfo, name: &str) -> CurveResult<String> {
        snapshot::create_snapshot(&self.store, path, user, name)
    }

    pub fn delete_snapshot(&self, user: &UserInfo, uuid: &str) -> CurveResult<()> {
        snapshot::delete_snapshot(&self.store, user, uuid)
    }

    pub fn snapshot_info(&self, uuid: &str) -> CurveResult<snapshot::SnapshotInfo> {
        snapshot::snapshot_info(&self.store, uuid)
    }

    pub fn clone_volume(&self, user: &UserInfo, from: CloneFrom<'_>, dest: &str, lazy: bool) -> CurveResult<String> {
        snapshot::clone(&self.store, user, from, dest, lazy)
    }

    pub fn flatten(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        snapshot::flatten(&self.store, path, user)
    }

    pub fn clone_tasks(&self) -> CurveResult<Vec<snapshot::CloneTask>> {
        snapshot::clone_tasks(&self.store)
    }
}
