//! The namespace (CurveBS's NameServer): a directory tree of volumes ("page files") and
//! directories, each with an owner, kept in the metadata store under
//! `ns/e/<parent id>/<name>` as CurveBS keys its entries.
//!
//! Every call names a user; ownership is checked along the whole path (each directory and the
//! target), as CurveBS's MDS does; the root user with its password may do anything. Deleting
//! moves a file to `/RecycleBin` (refused while it is open or being cloned), from where it can
//! be recovered or deleted for good.

use crate::error::{CurveError, CurveResult};
use crate::meta::{self, Cmp, MetaStore, Op};
use crate::options::Options;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const ROOT_ID: u64 = 0;
pub const RECYCLE_BIN: &str = "RecycleBin";
const NAME_MAX: usize = 255;

/// Who is asking (libcurve's `C_UserInfo_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub owner: String,
    pub password: String,
}

impl UserInfo {
    pub fn new(owner: &str) -> UserInfo {
        UserInfo { owner: owner.to_string(), password: String::new() }
    }

    pub fn with_password(owner: &str, password: &str) -> UserInfo {
        UserInfo { owner: owner.to_string(), password: password.to_string() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileType {
    Directory,
    PageFile,
}

/// CurveBS's `FileStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileStatus {
    Created = 0,
    Deleting = 1,
    Cloning = 2,
    CloneMetaInstalled = 3,
    Cloned = 4,
    BeingCloned = 5,
}

/// What `StatFile` reports, and what the namespace stores per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: u64,
    pub parent: u64,
    pub name: String,
    pub filetype: FileType,
    pub owner: String,
    pub length: u64,
    /// Creation time, microseconds since the epoch.
    pub ctime: u64,
    pub status: FileStatus,
    pub chunk_size: u64,
    pub segment_size: u64,
    pub block_size: u64,
    /// Snapshot sequence: writes carry it, and a chunk older than it is copied before it changes.
    pub seq: u64,
    /// In-cluster snapshots still held (sequence numbers, newest first).
    #[serde(default)]
    pub snaps: Vec<u64>,
    /// Write fence: a client that opened the file at an older epoch may no longer write.
    pub epoch: u64,
    /// Lazy clone: where chunks not yet copied come from.
    #[serde(default)]
    pub clone_source: Option<crate::snapshot::Source>,
    /// Lazy clones that still read from this file.
    #[serde(default)]
    pub clones: u64,
    /// Path the file had before it went to the recycle bin.
    #[serde(default)]
    pub original: Option<String>,
}

pub struct Namespace {
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) opts: Options,
}

fn entry_key(parent: u64, name: &str) -> String {
    format!("ns/e/{parent}/{name}")
}

fn now_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// Splits an absolute path into its components; `/` alone is the root.
pub fn components(path: &str) -> CurveResult<Vec<&str>> {
    if !path.starts_with('/') {
        return Err(CurveError::ParamError);
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for p in &parts {
        if *p == "." || *p == ".." || p.len() > NAME_MAX || p.bytes().any(|b| b == 0) {
            return Err(CurveError::ParamError);
        }
    }
    Ok(parts)
}

fn encode(info: &FileInfo) -> Vec<u8> {
    serde_json::to_vec(info).unwrap_or_default()
}

fn decode(raw: &[u8]) -> CurveResult<FileInfo> {
    serde_json::from_slice(raw)
        .map_err(|e| CurveError::Store(rbdshim_backend::Error::Corrupt(format!("namespace entry: {e}"))))
}

impl Namespace {
    pub fn new(meta: Arc<dyn MetaStore>, opts: Options) -> Namespace {
        Namespace { meta, opts }
    }

    pub fn is_root(&self, user: &UserInfo) -> bool {
        user.owner == self.opts.root_owner && user.password == self.opts.root_password
    }

    fn root(&self) -> FileInfo {
        let mut root = self.entry(ROOT_ID, ROOT_ID, "/", FileType::Directory, &self.opts.root_owner, 0);
        root.ctime = 0;
        root
    }

    /// An entry with the store's defaults.
    fn entry(&self, id: u64, parent: u64, name: &str, filetype: FileType, owner: &str, length: u64) -> FileInfo {
        FileInfo {
            id,
            parent,
            name: name.to_string(),
            filetype,
            owner: owner.to_string(),
            length,
            ctime: now_us(),
            status: FileStatus::Created,
            chunk_size: self.opts.chunk_size,
            segment_size: self.opts.segment_size,
            block_size: self.opts.block_size,
            seq: 0,
            snaps: Vec::new(),
            epoch: 0,
            clone_source: None,
            clones: 0,
            original: None,
        }
    }

    fn get(&self, parent: u64, name: &str) -> CurveResult<Option<(FileInfo, Vec<u8>)>> {
        match self.meta.get(&entry_key(parent, name))? {
            None => Ok(None),
            Some(raw) => Ok(Some((decode(&raw)?, raw))),
        }
    }

    /// Walks `path`, checking `user` owns every component after the root. Returns the chain.
    fn walk(&self, path: &str, user: &UserInfo) -> CurveResult<Vec<FileInfo>> {
        let root = self.is_root(user);
        let mut chain = vec![self.root()];
        for part in components(path)? {
            let dir = chain.last().ok_or(CurveError::InternalError)?;
            if dir.filetype != FileType::Directory {
                return Err(CurveError::NotExist);
            }
            let (info, _) = self.get(dir.id, part)?.ok_or(CurveError::NotExist)?;
            // The recycle bin is root's, but everyone reaches their own files in it.
            let bin = dir.id == ROOT_ID && part == RECYCLE_BIN;
            if !root && !bin && info.owner != user.owner {
                return Err(CurveError::AuthFail);
            }
            chain.push(info);
        }
        Ok(chain)
    }

    /// The entry at `path`, after the owner checks.
    pub fn lookup(&self, path: &str, user: &UserInfo) -> CurveResult<FileInfo> {
        self.walk(path, user)?.pop().ok_or(CurveError::InternalError)
    }

    /// The directory that would hold `path` (checked), and the new entry's name.
    fn parent_of<'a>(&self, path: &'a str, user: &UserInfo) -> CurveResult<(FileInfo, &'a str)> {
        let parts = components(path)?;
        let name = *parts.last().ok_or(CurveError::ParamError)?;
        let parent_path = format!("/{}", parts[..parts.len() - 1].join("/"));
        let parent = self.lookup(&parent_path, user)?;
        if parent.filetype != FileType::Directory {
            return Err(CurveError::NotExist);
        }
        // Only root creates at the top level's reserved name.
        if parent.id == ROOT_ID && name == RECYCLE_BIN && !self.is_root(user) {
            return Err(CurveError::AuthFail);
        }
        Ok((parent, name))
    }

    fn insert(&self, info: &FileInfo) -> CurveResult<()> {
        let key = entry_key(info.parent, &info.name);
        if self.meta.txn(&[Cmp::Value(key.clone(), None)], &[Op::Put(key, encode(info))])? {
            Ok(())
        } else {
            Err(CurveError::Exists)
        }
    }

    fn new_entry(
        &self,
        parent: u64,
        name: &str,
        filetype: FileType,
        owner: &str,
        length: u64,
    ) -> CurveResult<FileInfo> {
        let id = meta::next_counter(self.meta.as_ref(), "ns/next_id")?;
        Ok(self.entry(id, parent, name, filetype, owner, length))
    }

    pub fn mkdir(&self, path: &str, user: &UserInfo) -> CurveResult<FileInfo> {
        let (parent, name) = self.parent_of(path, user)?;
        if self.get(parent.id, name)?.is_some() {
            return Err(CurveError::Exists);
        }
        let info = self.new_entry(parent.id, name, FileType::Directory, &user.owner, 0)?;
        self.insert(&info)?;
        Ok(info)
    }

    pub fn rmdir(&self, path: &str, user: &UserInfo) -> CurveResult<()> {
        let info = self.lookup(path, user)?;
        if info.filetype != FileType::Directory || info.id == ROOT_ID {
            return Err(CurveError::ParamError);
        }
        if !self.meta.list(&format!("ns/e/{}/", info.id))?.is_empty() {
            return Err(CurveError::NotEmpty);
        }
        self.remove_entry(&info)
    }

    pub fn listdir(&self, path: &str, user: &UserInfo) -> CurveResult<Vec<FileInfo>> {
        let dir = self.lookup(path, user)?;
        if dir.filetype != FileType::Directory {
            return Err(CurveError::NotExist);
        }
        self.meta.list(&format!("ns/e/{}/", dir.id))?.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Checks a volume length against the store's rules (CurveBS's CreateFile).
    pub fn check_length(&self, length: u64, segment: u64) -> CurveResult<()> {
        if length < self.opts.min_length || length > self.opts.max_length || length % segment != 0 {
            return Err(CurveError::LengthNotSupport);
        }
        Ok(())
    }

    pub fn create(&self, path: &str, user: &UserInfo, length: u64, chunk_size: Option<u64>) -> CurveResult<FileInfo> {
        let (parent, name) = self.parent_of(path, user)?;
        self.check_length(length, self.opts.segment_size)?;
        let chunk = chunk_size.unwrap_or(self.opts.chunk_size);
        if !chunk.is_power_of_two() || chunk < self.opts.block_size || self.opts.segment_size % chunk != 0 {
            return Err(CurveError::ParamError);
        }
        if self.get(parent.id, name)?.is_some() {
            return Err(CurveError::Exists);
        }
        let mut info = self.new_entry(parent.id, name, FileType::PageFile, &user.owner, length)?;
        info.chunk_size = chunk;
        self.insert(&info)?;
        Ok(info)
    }

    /// Replaces `old` (as read) with what `f` makes of it; fails if it changed meanwhile.
    pub fn modify(&self, old: &FileInfo, f: impl Fn(&mut FileInfo) -> CurveResult<()>) -> CurveResult<FileInfo> {
        let key = entry_key(old.parent, &old.name);
        loop {
            let (cur, raw) = self.get(old.parent, &old.name)?.ok_or(CurveError::NotExist)?;
            if cur.id != old.id {
                return Err(CurveError::NotExist);
            }
            let mut new = cur.clone();
            f(&mut new)?;
            if new == cur {
                return Ok(cur);
            }
            if self.meta.txn(&[Cmp::Value(key.clone(), Some(raw))], &[Op::Put(key.clone(), encode(&new))])? {
                return Ok(new);
            }
        }
    }

    /// The current entry of a file known by its last-seen info.
    pub fn refresh(&self, old: &FileInfo) -> CurveResult<FileInfo> {
        match self.get(old.parent, &old.name)? {
            Some((cur, _)) if cur.id == old.id => Ok(cur),
            _ => Err(CurveError::NotExist),
        }
    }

    /// The entry with id `id` under directory `parent` (for files known by id: clone sources).
    pub fn find_child(&self, parent: u64, id: u64) -> CurveResult<FileInfo> {
        for (_, v) in self.meta.list(&format!("ns/e/{parent}/"))? {
            let info = decode(&v)?;
            if info.id == id {
                return Ok(info);
            }
        }
        Err(CurveError::NotExist)
    }

    pub fn extend(&self, path: &str, user: &UserInfo, length: u64) -> CurveResult<FileInfo> {
        let info = self.lookup(path, user)?;
        if info.filetype != FileType::PageFile {
            return Err(CurveError::ParamError);
        }
        self.modify(&info, |f| {
            if length < f.length {
                return Err(CurveError::NoShrinkBiggerFile);
            }
            if length > self.opts.max_length || (length - f.length) % f.segment_size != 0 {
                return Err(CurveError::LengthNotSupport);
            }
            f.length = length;
            Ok(())
        })
    }

    /// Renames within the tree; `open` says whether a client has the file open. The recycle
    /// bin is reached only by Unlink, a directory never moves into itself, and a file that is
    /// open or part of a clone stays where its users find it.
    pub fn rename(&self, user: &UserInfo, old: &str, new: &str, open: bool) -> CurveResult<()> {
        let info = self.lookup(old, user)?;
        let (from, to) = (components(old)?, components(new)?);
        if to.first() == Some(&RECYCLE_BIN) || from.first() == Some(&RECYCLE_BIN) || to.starts_with(&from) {
            return Err(CurveError::ParamError);
        }
        if open {
            return Err(CurveError::FileOccupied);
        }
        if info.clones > 0 || info.status != FileStatus::Created {
            return Err(CurveError::StatusNotMatch);
        }
        let (parent, name) = self.parent_of(new, user)?;
        if info.filetype == FileType::Directory && self.walk(new, user).is_ok() {
            return Err(CurveError::Exists);
        }
        let mut moved = info.clone();
        moved.parent = parent.id;
        moved.name = name.to_string();
        self.move_entry(&info, &moved)
    }

    /// Moves an entry atomically: the stored one must still be `old` (else STATUS_NOT_MATCH:
    /// someone changed it since it was read), the new name free.
    fn move_entry(&self, old: &FileInfo, new: &FileInfo) -> CurveResult<()> {
        let (cur, raw) = self.get(old.parent, &old.name)?.ok_or(CurveError::NotExist)?;
        if cur != *old {
            return Err(CurveError::StatusNotMatch);
        }
        let (ok_key, new_key) = (entry_key(old.parent, &old.name), entry_key(new.parent, &new.name));
        let applied = self.meta.txn(
            &[Cmp::Value(ok_key.clone(), Some(raw)), Cmp::Value(new_key.clone(), None)],
            &[Op::Delete(ok_key), Op::Put(new_key, encode(new))],
        )?;
        if applied {
            Ok(())
        } else if self.get(new.parent, &new.name)?.is_some() {
            Err(CurveError::Exists)
        } else {
            Err(CurveError::StatusNotMatch)
        }
    }

    fn remove_entry(&self, info: &FileInfo) -> CurveResult<()> {
        let (cur, raw) = self.get(info.parent, &info.name)?.ok_or(CurveError::NotExist)?;
        if cur != *info {
            return Err(CurveError::StatusNotMatch);
        }
        let key = entry_key(info.parent, &info.name);
        if self.meta.txn(&[Cmp::Value(key.clone(), Some(raw))], &[Op::Delete(key)])? {
            Ok(())
        } else {
            Err(CurveError::StatusNotMatch)
        }
    }

    fn recycle_bin(&self) -> CurveResult<FileInfo> {
        if let Some((info, _)) = self.get(ROOT_ID, RECYCLE_BIN)? {
            return Ok(info);
        }
        let info = self.new_entry(ROOT_ID, RECYCLE_BIN, FileType::Directory, &self.opts.root_owner, 0)?;
        match self.insert(&info) {
            Ok(()) => Ok(info),
            Err(CurveError::Exists) => self.get(ROOT_ID, RECYCLE_BIN)?.map(|(i, _)| i).ok_or(CurveError::InternalError),
            Err(e) => Err(e),
        }
    }

    /// Moves a file to the recycle bin as `<name>-<id>-<unix time>`; `open` says whether a
    /// client has it open (the caller knows sessions).
    pub fn unlink(&self, path: &str, user: &UserInfo, open: bool) -> CurveResult<FileInfo> {
        let info = self.lookup(path, user)?;
        self.to_recycle_bin(&info, path, open)
    }

    /// [`Namespace::unlink`] of an entry already looked up (and owner-checked) at `path`.
    pub fn to_recycle_bin(&self, info: &FileInfo, path: &str, open: bool) -> CurveResult<FileInfo> {
        if info.filetype != FileType::PageFile {
            return Err(CurveError::ParamError);
        }
        if open {
            return Err(CurveError::FileOccupied);
        }
        if info.clones > 0 {
            return Err(CurveError::DeleteBeingCloned);
        }
        let bin = self.recycle_bin()?;
        let mut moved = info.clone();
        moved.parent = bin.id;
        moved.name = format!("{}-{}-{}", info.name, info.id, now_us() / 1_000_000);
        moved.original = Some(format!("/{}", components(path)?.join("/")));
        self.move_entry(info, &moved)?;
        Ok(moved)
    }

    /// Forgets a file in the recycle bin (the caller then frees its data).
    pub fn delete_force(&self, path: &str, user: &UserInfo) -> CurveResult<FileInfo> {
        let info = self.lookup(path, user)?;
        if info.parent != self.recycle_bin()?.id || info.filetype != FileType::PageFile {
            return Err(CurveError::NotSupport);
        }
        self.remove_entry(&info)?;
        Ok(info)
    }

    /// Forgets an entry wherever it is (undoing a create that failed half-way).
    pub fn delete_force_entry(&self, info: &FileInfo) -> CurveResult<()> {
        self.remove_entry(info)
    }

    /// Moves file `id`, deleted from `path`, back from the recycle bin.
    pub fn recover(&self, path: &str, user: &UserInfo, id: u64) -> CurveResult<FileInfo> {
        let bin = self.recycle_bin()?;
        let wanted = format!("/{}", components(path)?.join("/"));
        let (parent, name) = self.parent_of(path, user)?;
        for (_, v) in self.meta.list(&format!("ns/e/{}/", bin.id))? {
            let info = decode(&v)?;
            if info.original.as_deref() == Some(wanted.as_str()) && (id == 0 || info.id == id) {
                if !self.is_root(user) && info.owner != user.owner {
                    return Err(CurveError::AuthFail);
                }
                let mut back = info.clone();
                back.parent = parent.id;
                back.name = name.to_string();
                back.original = None;
                self.move_entry(&info, &back)?;
                return Ok(back);
            }
        }
        Err(CurveError::NotExist)
    }

    /// Only root hands a file or directory to another owner.
    pub fn change_owner(&self, path: &str, new_owner: &str, user: &UserInfo) -> CurveResult<()> {
        if !self.is_root(user) {
            return Err(CurveError::AuthFail);
        }
        if new_owner.is_empty() {
            return Err(CurveError::ParamError);
        }
        let info = self.lookup(path, user)?;
        self.modify(&info, |f| {
            f.owner = new_owner.to_string();
            Ok(())
        })?;
        Ok(())
    }
}
