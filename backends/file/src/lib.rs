//! The `file` backend: an rbdshim store in a local directory.
//!
//! It owns the on-disk layout (docs/file-backend-format.md), crash-safe record updates
//! (write to a temporary file, sync, rename), sparse volumes with object-granular copy-on-write
//! snapshots ([`volume`]), the cross-process coordination built on POSIX locks and a shared page
//! ([`coord`]), the rados-style object store ([`objects`]) and the consistency check.
//!
//! Nothing here starts a thread; all files are opened on first use, so a process that forks
//! keeps working in both parent and child.

mod coord;
pub mod fsutil;
mod objects;
mod objmap;
mod volume;

use fsutil::{decode, encode, mkdir_all, open_rw};
use parking_lot::Mutex;
use rbdshim_backend::*;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

pub use coord::FileCoordinator;
pub use objects::FileObjects;
pub use volume::{create as create_volume, fsck as fsck_volume, FileVolume};

const FORMAT: u64 = 1;

pub struct FileBackend {
    root: PathBuf,
    fsid: String,
    volumes: Mutex<HashMap<PathBuf, Weak<FileVolume>>>,
    coords: Mutex<HashMap<PathBuf, Weak<FileCoordinator>>>,
    locks: Arc<KeyedLocks>,
    objects: objects::FileObjects,
}

/// Process-wide mutexes keyed by path, paired with a POSIX lock on the same path, so that a
/// critical section excludes both other threads and other processes.
#[derive(Default)]
pub(crate) struct KeyedLocks {
    map: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
}

pub(crate) struct KeyedGuard {
    _file: fs::File,
    _guard: parking_lot::lock_api::ArcMutexGuard<parking_lot::RawMutex, ()>,
}

impl RecordGuard for KeyedGuard {}

impl KeyedLocks {
    pub(crate) fn lock(&self, path: &Path) -> Result<KeyedGuard> {
        let m = self.map.lock().entry(path.to_path_buf()).or_default().clone();
        let guard = m.lock_arc();
        // Only this guard opens the file in this process while it is held (the mutex above),
        // so closing it on drop releases exactly this lock.
        let file = open_rw(path, true)?;
        fsutil::posix_lock(&file, true)?;
        Ok(KeyedGuard { _file: file, _guard: guard })
    }
}

impl FileBackend {
    /// Opens the store in `root`, creating it if the directory is new or empty.
    pub fn open(root: &Path) -> Result<FileBackend> {
        mkdir_all(&root.join("pools"))?;
        mkdir_all(&root.join("locks"))?;
        mkdir_all(&root.join("cluster").join("records"))?;
        let locks = Arc::new(KeyedLocks::default());
        let store = root.join("store.json");
        let fsid = {
            let _g = locks.lock(&root.join("locks").join("store"))?;
            match fsutil::read_opt(&store)? {
                Some(raw) => {
                    let v: serde_json::Value = serde_json::from_slice(&raw)
                        .map_err(|e| Error::Corrupt(format!("{}: {e}", store.display())))?;
                    if v.get("format").and_then(|f| f.as_u64()) != Some(FORMAT) {
                        return Err(Error::Corrupt(format!("{}: unsupported format", store.display())));
                    }
                    v.get("fsid")
                        .and_then(|f| f.as_str())
                        .ok_or_else(|| Error::Corrupt(format!("{}: no fsid", store.display())))?
                        .to_string()
                }
                None => {
                    let fsid = new_uuid();
                    let body = serde_json::json!({"format": FORMAT, "fsid": fsid, "next_pool_id": 1});
                    fsutil::write_atomic(&store, body.to_string().as_bytes())?;
                    fsid
                }
            }
        };
        Ok(FileBackend {
            root: root.to_path_buf(),
            fsid,
            volumes: Mutex::new(HashMap::new()),
            coords: Mutex::new(HashMap::new()),
            objects: objects::FileObjects::new(root.to_path_buf(), locks.clone()),
            locks,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn pool_dir(&self, pool: PoolId) -> PathBuf {
        self.root.join("pools").join(pool.to_string())
    }

    fn ns_dir(&self, loc: &Loc) -> Result<PathBuf> {
        let d = self.pool_dir(loc.pool).join("ns").join(encode(&loc.ns));
        if !d.is_dir() {
            return Err(Error::NotFound);
        }
        Ok(d)
    }

    fn volume_dir(&self, loc: &Loc, id: &str) -> Result<PathBuf> {
        Ok(self.ns_dir(loc)?.join("volumes").join(encode(id)))
    }

    fn records_dir(&self, loc: &Loc) -> Result<PathBuf> {
        Ok(self.ns_dir(loc)?.join("records"))
    }

    fn cluster_records_dir(&self) -> PathBuf {
        self.root.join("cluster").join("records")
    }

    fn read_pool_name(&self, pool: PoolId) -> Result<Option<String>> {
        let Some(raw) = fsutil::read_opt(&self.pool_dir(pool).join("pool.json"))? else { return Ok(None) };
        let v: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|e| Error::Corrupt(format!("pool {pool}: {e}")))?;
        Ok(v.get("name").and_then(|n| n.as_str()).map(str::to_string))
    }

    fn make_ns(&self, pool: PoolId, ns: &str) -> Result<()> {
        let d = self.pool_dir(pool).join("ns").join(encode(ns));
        for sub in ["records", "volumes", "objects"] {
            mkdir_all(&d.join(sub))?;
        }
        fsutil::write_atomic(&d.join("NAME"), ns.as_bytes())
    }
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Splits a record file into (key, value).
fn decode_record(raw: &[u8]) -> Result<(String, Vec<u8>)> {
    if raw.len() < 4 {
        return Err(Error::Corrupt("short record".into()));
    }
    let klen = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as usize;
    if raw.len() < 4 + klen {
        return Err(Error::Corrupt("truncated record".into()));
    }
    let key = String::from_utf8(raw[4..4 + klen].to_vec()).map_err(|_| Error::Corrupt("record key".into()))?;
    Ok((key, raw[4 + klen..].to_vec()))
}

/// One record per file in `dir` (pool records and cluster records alike), written atomically;
/// files are owner-only, as everything in the store.
fn dir_record_get(dir: &Path, key: &str) -> Result<Option<Vec<u8>>> {
    let Some(raw) = fsutil::read_opt(&dir.join(encode(key)))? else { return Ok(None) };
    let (k, v) = decode_record(&raw)?;
    if k != key {
        return Err(Error::Corrupt(format!("record {key:?} holds key {k:?}")));
    }
    Ok(Some(v))
}

fn dir_record_put(dir: &Path, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
    let path = dir.join(encode(key));
    let body = encode_record(key, value);
    match mode {
        PutMode::Create => fsutil::create_atomic(&path, &body),
        PutMode::Replace => {
            if !path.exists() {
                return Err(Error::NotFound);
            }
            fsutil::write_atomic(&path, &body)
        }
        PutMode::Upsert => fsutil::write_atomic(&path, &body),
    }
}

fn dir_record_delete(dir: &Path, key: &str) -> Result<()> {
    fs::remove_file(dir.join(encode(key)))?;
    fsutil::sync_dir(dir);
    Ok(())
}

fn dir_record_list(dir: &Path, prefix: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in list_dir(dir)? {
        let key = match decode(&f) {
            Some(k) => k,
            None => match fsutil::read_opt(&dir.join(&f))? {
                Some(raw) => decode_record(&raw)?.0,
                None => continue,
            },
        };
        if key.starts_with(prefix) {
            out.push(key);
        }
    }
    out.sort();
    Ok(out)
}

/// Checks the records of one directory: each file holds the key its name encodes; temporary
/// files of interrupted writes are left-overs.
fn fsck_records(dir: &Path, repair: bool, report: &mut FsckReport) -> Result<()> {
    for rec in list_dir(dir)? {
        let p = dir.join(&rec);
        match fsutil::read_opt(&p)?.map(|raw| decode_record(&raw)) {
            Some(Ok((k, _))) if encode(&k) == rec => {}
            Some(Ok((k, _))) => report.errors.push(format!("{}: holds key {k:?}", p.display())),
            Some(Err(e)) => report.errors.push(format!("{}: {e}", p.display())),
            None => {}
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for leftover in entries {
        let p = leftover?.path();
        if p.file_name().map(|n| n.to_string_lossy().starts_with(".tmp.")).unwrap_or(false) && !fsutil::is_recent(&p) {
            report.repaired.push(format!("{}: temporary file", p.display()));
            if repair {
                fsutil::remove_quiet(&p)?;
            }
        }
    }
    Ok(())
}

fn encode_record(key: &str, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + key.len() + value.len());
    v.extend_from_slice(&(key.len() as u32).to_le_bytes());
    v.extend_from_slice(key.as_bytes());
    v.extend_from_slice(value);
    v
}

fn list_dir(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd {
                let name = e?.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    out.push(name);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    Ok(out)
}

impl Backend for FileBackend {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn caps(&self) -> Caps {
        Caps::default()
    }

    fn fsid(&self) -> String {
        self.fsid.clone()
    }

    fn pool_create(&self, name: &str) -> Result<PoolId> {
        let _g = self.locks.lock(&self.root.join("locks").join("store"))?;
        if self.pool_list()?.iter().any(|(_, n)| n == name) {
            return Err(Error::Exists);
        }
        let store = self.root.join("store.json");
        let raw = fsutil::read_opt(&store)?.ok_or_else(|| Error::Corrupt("store.json vanished".into()))?;
        let mut v: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|e| Error::Corrupt(format!("store.json: {e}")))?;
        let id = v.get("next_pool_id").and_then(|n| n.as_i64()).unwrap_or(1);
        v["next_pool_id"] = serde_json::json!(id + 1);
        fsutil::write_atomic(&store, v.to_string().as_bytes())?;
        // Build the pool under a hidden name and rename it into place: a crash leaves no half pool.
        let tmp = self.root.join("pools").join(format!(".new-{id}"));
        mkdir_all(&tmp)?;
        fsutil::write_atomic(&tmp.join("pool.json"), serde_json::json!({ "name": name }).to_string().as_bytes())?;
        let d = tmp.join("ns").join(encode(""));
        for sub in ["records", "volumes", "objects"] {
            mkdir_all(&d.join(sub))?;
        }
        fsutil::write_atomic(&d.join("NAME"), b"")?;
        fs::rename(&tmp, self.pool_dir(id))?;
        fsutil::sync_dir(&self.root.join("pools"));
        Ok(id)
    }

    fn pool_remove(&self, name: &str) -> Result<()> {
        let _g = self.locks.lock(&self.root.join("locks").join("store"))?;
        let (id, _) = self.pool_list()?.into_iter().find(|(_, n)| n == name).ok_or(Error::NotFound)?;
        let doomed = self.root.join("pools").join(format!(".deleting-{id}"));
        fs::rename(self.pool_dir(id), &doomed)?;
        fsutil::sync_dir(&self.root.join("pools"));
        fs::remove_dir_all(&doomed)?;
        Ok(())
    }

    fn pool_list(&self) -> Result<Vec<(PoolId, String)>> {
        let mut out = Vec::new();
        for name in list_dir(&self.root.join("pools"))? {
            let Ok(id) = name.parse::<PoolId>() else { continue };
            if let Some(n) = self.read_pool_name(id)? {
                out.push((id, n));
            }
        }
        out.sort();
        Ok(out)
    }

    fn namespace_create(&self, pool: PoolId, ns: &str) -> Result<()> {
        if self.read_pool_name(pool)?.is_none() {
            return Err(Error::NotFound);
        }
        let _g = self.locks.lock(&self.root.join("locks").join(format!("pool-{pool}")))?;
        if self.namespace_exists(&Loc::new(pool, ns))? {
            return Err(Error::Exists);
        }
        self.make_ns(pool, ns)
    }

    fn namespace_remove(&self, pool: PoolId, ns: &str) -> Result<()> {
        if ns.is_empty() {
            return Err(Error::InvalidArgument("the default namespace cannot be removed"));
        }
        let _g = self.locks.lock(&self.root.join("locks").join(format!("pool-{pool}")))?;
        let d = self.ns_dir(&Loc::new(pool, ns))?;
        for sub in ["records", "volumes", "objects"] {
            if !list_dir(&d.join(sub))?.is_empty() {
                return Err(Error::Busy);
            }
        }
        let doomed = self.pool_dir(pool).join("ns").join(format!(".deleting-{}", encode(ns)));
        fs::rename(&d, &doomed)?;
        fs::remove_dir_all(&doomed)?;
        Ok(())
    }

    fn namespace_list(&self, pool: PoolId) -> Result<Vec<String>> {
        if self.read_pool_name(pool)?.is_none() {
            return Err(Error::NotFound);
        }
        let mut out = Vec::new();
        for f in list_dir(&self.pool_dir(pool).join("ns"))? {
            let name = match decode(&f) {
                Some(n) => n,
                None => String::from_utf8_lossy(
                    &fsutil::read_opt(&self.pool_dir(pool).join("ns").join(&f).join("NAME"))?.unwrap_or_default(),
                )
                .into_owned(),
            };
            if !name.is_empty() {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    fn namespace_exists(&self, loc: &Loc) -> Result<bool> {
        Ok(self.pool_dir(loc.pool).join("ns").join(encode(&loc.ns)).join("NAME").exists())
    }

    fn record_get(&self, loc: &Loc, key: &str) -> Result<Option<Vec<u8>>> {
        dir_record_get(&self.records_dir(loc)?, key)
    }

    fn record_put(&self, loc: &Loc, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        dir_record_put(&self.records_dir(loc)?, key, value, mode)
    }

    fn record_delete(&self, loc: &Loc, key: &str) -> Result<()> {
        dir_record_delete(&self.records_dir(loc)?, key)
    }

    fn record_list(&self, loc: &Loc, prefix: &str) -> Result<Vec<String>> {
        dir_record_list(&self.records_dir(loc)?, prefix)
    }

    fn record_lock(&self, loc: &Loc, key: &str) -> Result<Box<dyn RecordGuard>> {
        let name = format!("rec-{}", encode(&format!("{}\0{}\0{}", loc.pool, loc.ns, key)));
        Ok(Box::new(self.locks.lock(&self.root.join("locks").join(name))?))
    }

    fn cluster_record_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        dir_record_get(&self.cluster_records_dir(), key)
    }

    fn cluster_record_put(&self, key: &str, value: &[u8], mode: PutMode) -> Result<()> {
        dir_record_put(&self.cluster_records_dir(), key, value, mode)
    }

    fn cluster_record_delete(&self, key: &str) -> Result<()> {
        dir_record_delete(&self.cluster_records_dir(), key)
    }

    fn cluster_record_list(&self, prefix: &str) -> Result<Vec<String>> {
        dir_record_list(&self.cluster_records_dir(), prefix)
    }

    fn cluster_record_lock(&self, key: &str) -> Result<Box<dyn RecordGuard>> {
        let name = format!("cluster-{}", encode(key));
        Ok(Box::new(self.locks.lock(&self.root.join("locks").join(name))?))
    }

    fn volume_create(&self, loc: &Loc, id: &str, spec: VolumeSpec) -> Result<()> {
        let dir = self.volume_dir(loc, id)?;
        let parent = dir.parent().ok_or(Error::NotFound)?.to_path_buf();
        let tmp = parent.join(format!(".new-{}-{}", encode(id), rand::random::<u32>()));
        mkdir_all(&tmp)?;
        volume::create(&tmp, spec.order)?;
        match fs::rename(&tmp, &dir) {
            Ok(()) => {
                fsutil::sync_dir(&parent);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&tmp);
                if dir.exists() {
                    Err(Error::Exists)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    fn volume_remove(&self, loc: &Loc, id: &str) -> Result<()> {
        let dir = self.volume_dir(loc, id)?;
        if !dir.exists() {
            return Err(Error::NotFound);
        }
        self.volumes.lock().remove(&dir);
        self.coords.lock().remove(&dir);
        let doomed = dir.with_file_name(format!(".deleting-{}-{}", encode(id), rand::random::<u32>()));
        fs::rename(&dir, &doomed)?;
        fs::remove_dir_all(&doomed)?;
        Ok(())
    }

    fn volume_open(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Volume>> {
        let dir = self.volume_dir(loc, id)?;
        let mut map = self.volumes.lock();
        if let Some(v) = map.get(&dir).and_then(Weak::upgrade) {
            return Ok(v);
        }
        let v = Arc::new(FileVolume::open(&dir)?);
        map.insert(dir, Arc::downgrade(&v));
        Ok(v)
    }

    fn coordinator(&self, loc: &Loc, id: &str) -> Result<Arc<dyn Coordinator>> {
        let dir = self.volume_dir(loc, id)?;
        let mut map = self.coords.lock();
        if let Some(c) = map.get(&dir).and_then(Weak::upgrade) {
            return Ok(c);
        }
        if !dir.join("volume").exists() {
            return Err(Error::NotFound);
        }
        let c = Arc::new(FileCoordinator::open(&dir)?);
        map.insert(dir, Arc::downgrade(&c));
        Ok(c)
    }

    fn objects(&self) -> &dyn ObjectStore {
        &self.objects
    }

    fn usage(&self) -> Result<Usage> {
        fsutil::usage(&self.root)
    }

    fn pool_used(&self, pool: PoolId) -> Result<u64> {
        if self.read_pool_name(pool)?.is_none() {
            return Err(Error::NotFound);
        }
        Ok(fsutil::data_bytes(&self.pool_dir(pool)))
    }

    fn fsck(&self, repair: bool) -> Result<FsckReport> {
        let mut report = FsckReport::default();
        fsck_records(&self.cluster_records_dir(), repair, &mut report)?;
        for name in list_dir(&self.root.join("pools"))?.into_iter().chain(
            fs::read_dir(self.root.join("pools"))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.')),
        ) {
            let path = self.root.join("pools").join(&name);
            let Ok(id) = name.parse::<PoolId>() else {
                if fsutil::is_recent(&path) {
                    continue;
                }
                report.repaired.push(format!("{}: interrupted pool creation or removal", path.display()));
                if repair {
                    fs::remove_dir_all(&path)?;
                }
                continue;
            };
            match self.read_pool_name(id) {
                Ok(Some(_)) => {}
                Ok(None) => report.errors.push(format!("{}: pool without pool.json", path.display())),
                Err(e) => report.errors.push(format!("{}: {e}", path.display())),
            }
            for ns in list_dir(&path.join("ns"))? {
                let nsdir = path.join("ns").join(&ns);
                fsck_records(&nsdir.join("records"), repair, &mut report)?;
                for vol in fs::read_dir(nsdir.join("volumes"))? {
                    let p = vol?.path();
                    let hidden = p.file_name().map(|n| n.to_string_lossy().starts_with('.')).unwrap_or(false);
                    if hidden && fsutil::is_recent(&p) {
                        continue;
                    }
                    if hidden {
                        report.repaired.push(format!("{}: interrupted volume creation or removal", p.display()));
                        if repair {
                            fs::remove_dir_all(&p)?;
                        }
                        continue;
                    }
                    volume::fsck(&p, repair, &mut report)?;
                }
            }
        }
        Ok(report)
    }
}
