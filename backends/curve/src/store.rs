//! The store as one object: metadata, namespace, chunks and the snapshot store, shared by the
//! client API, the snapshot/clone service and the RBD layer of one process.

use crate::chunks::ChunkServer;
use crate::error::{CurveError, CurveResult};
use crate::file::OpenFile;
use crate::meta::{embedded::Embedded, MetaStore, Op};
use crate::namespace::{FileInfo, FileStatus, FileType, Namespace, UserInfo};
use crate::options::Options;
use parking_lot::Mutex;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

pub struct CurveStore {
    pub opts: Options,
    pub meta: Arc<dyn MetaStore>,
    pub ns: Namespace,
    pub chunks: ChunkServer,
    /// Where the snapshot service keeps dumped chunks (CurveBS: an S3 bucket).
    pub snapstore: PathBuf,
}

impl CurveStore {
    /// Opens (creating if new) the store `opts` describe: once per directory in a process,
    /// whose first opening's options then hold (the store keeps per-process state such as
    /// POSIX locks and chunk caches, which two instances on one directory would break).
    pub fn open(opts: Options) -> CurveResult<Arc<CurveStore>> {
        static STORES: Mutex<Vec<(PathBuf, Weak<CurveStore>)>> = Mutex::new(Vec::new());
        opts.check()?;
        rbdshim_backend_file::fsutil::mkdir_all(&opts.dir)?;
        let canon = std::fs::canonicalize(&opts.dir)?;
        let mut stores = STORES.lock();
        stores.retain(|(_, w)| w.strong_count() > 0);
        if let Some(s) = stores.iter().find(|(d, _)| *d == canon).and_then(|(_, w)| w.upgrade()) {
            return Ok(s);
        }
        let opts = Options { dir: canon.clone(), ..opts };
        let meta: Arc<dyn MetaStore> = if opts.etcd.is_empty() {
            Arc::new(Embedded::open(&opts.dir.join("meta"))?)
        } else {
            Arc::new(crate::meta::etcd::Etcd::new(&opts.etcd, &opts.etcd_prefix, opts.lease, opts.meta_timeout)?)
        };
        let store = Self::with_meta(opts, meta)?;
        stores.push((canon, Arc::downgrade(&store)));
        Ok(store)
    }

    pub fn with_meta(opts: Options, meta: Arc<dyn MetaStore>) -> CurveResult<Arc<CurveStore>> {
        let snapstore = opts.dir.join("snapstore");
        rbdshim_backend_file::fsutil::mkdir_all(&snapstore)?;
        Ok(Arc::new(CurveStore {
            chunks: ChunkServer::open(&opts.dir)?,
            ns: Namespace::new(meta.clone(), opts.clone()),
            meta,
            snapstore,
            opts,
        }))
    }

    /// Creates a volume: its namespace entry, then its chunk space.
    pub fn create(&self, path: &str, user: &UserInfo, length: u64, chunk_size: Option<u64>) -> CurveResult<FileInfo> {
        let info = self.ns.create(path, user, length, chunk_size)?;
        if let Err(e) = self.chunks.create(info.id, info.chunk_size) {
            let _ = self.ns.unlink(path, user, false).and_then(|f| self.ns.delete_force_entry(&f));
            return Err(e);
        }
        Ok(info)
    }

    pub fn open_file(self: &Arc<Self>, path: &str, user: &UserInfo) -> CurveResult<Arc<OpenFile>> {
        let info = self.ns.lookup(path, user)?;
        if info.filetype != FileType::PageFile {
            return Err(CurveError::ParamError);
        }
        OpenFile::open(self.clone(), info)
    }

    /// Registers an open of file `id` by this process's session; returns the key to drop.
    pub(crate) fn register_open(&self, id: u64) -> CurveResult<String> {
        let session = self.meta.session()?;
        let key = format!("open/{id}/{session}/{:016x}", rand::random::<u64>());
        self.meta.txn(&[], &[Op::Put(key.clone(), Vec::new())])?;
        Ok(key)
    }

    /// Live sessions that have file `id` open (those of dead clients are forgotten here).
    pub fn open_sessions(&self, id: u64) -> CurveResult<BTreeSet<String>> {
        let mut live = BTreeSet::new();
        let mut dead = Vec::new();
        for (key, _) in self.meta.list(&format!("open/{id}/"))? {
            let Some(session) = key.split('/').nth(2) else { continue };
            if live.contains(session) {
                continue;
            }
            if self.meta.session_alive(session)? {
                live.insert(session.to_string());
            } else {
                dead.push(Op::Delete(key));
            }
        }
        if !dead.is_empty() {
            self.meta.txn(&[], &dead)?;
        }
        Ok(live)
    }

    /// Whether a client other than this process has file `id` open.
    pub fn open_elsewhere(&self, id: u64) -> CurveResult<bool> {
        let me = self.meta.session()?;
        Ok(self.open_sessions(id)?.iter().any(|s| *s != me))
    }

    /// `Unlink`: into the recycle bin, refused while any client has it open.
    pub fn unlink(&self, path: &str, user: &UserInfo) -> CurveResult<FileInfo> {
        let info = self.ns.lookup(path, user)?;
        if crate::snapshot::has_local_snapshots(self, info.id)? {
            return Err(CurveError::UnderSnapshot);
        }
        let open = !self.open_sessions(info.id)?.is_empty();
        self.ns.unlink(path, user, open)
    }

    /// `DeleteForce`: a file in the recycle bin goes, with its chunks.
    pub fn delete_force(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        let info = self.ns.delete_force(path, user)?;
        self.free(&info)
    }

    /// Frees what a forgotten file held: chunks, segments, and its hold on a clone source.
    pub(crate) fn free(&self, info: &FileInfo) -> CurveResult<()> {
        let segs: Vec<Op> =
            self.meta.list(&format!("seg/{}/", info.id))?.into_iter().map(|(k, _)| Op::Delete(k)).collect();
        if !segs.is_empty() {
            self.meta.txn(&[], &segs)?;
        }
        if info.status == FileStatus::Cloning {
            if let Some(src) = &info.clone_source {
                crate::snapshot::release_source(self, src)?;
            }
        }
        self.chunks.remove(info.id)
    }

    /// `IncreaseEpoch`: fences every client that opened the file before.
    pub fn increase_epoch(&self, path: &str, user: &UserInfo) -> CurveResult<u64> {
        let info = self.ns.lookup(path, user)?;
        self.increase_epoch_of(&info)
    }

    pub fn increase_epoch_of(&self, info: &FileInfo) -> CurveResult<u64> {
        let new = self.ns.modify(info, |f| {
            f.epoch += 1;
            Ok(())
        })?;
        self.chunks.set_epoch(new.id, new.epoch)?;
        Ok(new.epoch)
    }

    /// Records segment `seg` of file `id` as allocated (CurveBS's MDS allocates segments on
    /// first write). Returns whether it was new.
    pub(crate) fn allocate_segment(&self, id: u64, seg: u64) -> CurveResult<bool> {
        let key = format!("seg/{id}/{seg:016x}");
        self.meta.txn(&[crate::meta::Cmp::Value(key.clone(), None)], &[Op::Put(key, Vec::new())])
    }

    /// Allocated segments of file `id`.
    pub fn segments(&self, id: u64) -> CurveResult<usize> {
        Ok(self.meta.list(&format!("seg/{id}/"))?.len())
    }
}
