//! The chunk store (CurveBS's chunkservers): each volume's chunks under `chunks/<file id>/`,
//! kept by the file backend's volume engine with one engine object per chunk, so that chunk
//! copy-on-write follows the sequence numbers writes carry, as CurveBS's chunks do.
//!
//! Each volume also has an `epoch` file: the write fence chunkservers learn from the MDS. A
//! write that carries an older epoch is refused.

use crate::error::{CurveError, CurveResult};
use parking_lot::Mutex;
use rbdshim_backend_file::{create_volume, FileVolume};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

pub struct ChunkServer {
    dir: PathBuf,
    open: Mutex<HashMap<u64, Weak<Chunks>>>,
}

/// One volume's chunks, shared by every handle of this process.
pub struct Chunks {
    pub vol: FileVolume,
    epoch: File,
    /// Serialises copy-on-read fills of lazy clones with writes to the same chunk.
    pub fill_locks: Vec<Mutex<()>>,
    /// Held by a flatten from start to finish: a second one (the background fill and a
    /// caller's) waits and then finds the work done.
    pub flatten: Mutex<()>,
}

const FILL_STRIPES: usize = 64;

impl Chunks {
    /// The fence: writes carrying an older epoch than this are refused.
    pub fn epoch(&self) -> CurveResult<u64> {
        let mut b = [0u8; 8];
        match self.epoch.read_at(&mut b, 0)? {
            8 => Ok(u64::from_le_bytes(b)),
            _ => Ok(0),
        }
    }

    pub fn check_epoch(&self, mine: u64) -> CurveResult<()> {
        if self.epoch()? > mine {
            return Err(CurveError::EpochTooOld);
        }
        Ok(())
    }

    pub fn fill_lock(&self, chunk: u64) -> parking_lot::MutexGuard<'_, ()> {
        self.fill_locks[(chunk % FILL_STRIPES as u64) as usize].lock()
    }
}

impl ChunkServer {
    pub fn open(dir: &Path) -> CurveResult<ChunkServer> {
        rbdshim_backend_file::fsutil::mkdir_all(&dir.join("chunks"))?;
        Ok(ChunkServer { dir: dir.join("chunks"), open: Mutex::new(HashMap::new()) })
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(id.to_string())
    }

    pub fn create(&self, id: u64, chunk_size: u64) -> CurveResult<()> {
        let dir = self.path(id);
        if dir.exists() {
            // Left by a create whose namespace entry never landed: the id is new, so it is ours.
            std::fs::remove_dir_all(&dir)?;
        }
        rbdshim_backend_file::fsutil::mkdir_all(&dir)?;
        create_volume(&dir, chunk_size.trailing_zeros() as u8)?;
        Ok(())
    }

    pub fn get(&self, id: u64) -> CurveResult<Arc<Chunks>> {
        let mut map = self.open.lock();
        if let Some(c) = map.get(&id).and_then(Weak::upgrade) {
            return Ok(c);
        }
        let dir = self.path(id);
        let vol = FileVolume::open(&dir)?;
        let epoch = rbdshim_backend_file::fsutil::open_rw(&dir.join("epoch"), true)?;
        let c = Arc::new(Chunks {
            vol,
            epoch,
            fill_locks: (0..FILL_STRIPES).map(|_| Mutex::new(())).collect(),
            flatten: Mutex::new(()),
        });
        map.insert(id, Arc::downgrade(&c));
        Ok(c)
    }

    pub fn set_epoch(&self, id: u64, epoch: u64) -> CurveResult<()> {
        let c = self.get(id)?;
        c.epoch.write_all_at(&epoch.to_le_bytes(), 0)?;
        c.epoch.sync_data()?;
        Ok(())
    }

    pub fn remove(&self, id: u64) -> CurveResult<()> {
        self.open.lock().remove(&id);
        match std::fs::remove_dir_all(self.path(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Chunk volumes present on disk (fsck).
    pub fn ids(&self) -> CurveResult<Vec<u64>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir)? {
            if let Some(id) = e?.file_name().to_str().and_then(|n| n.parse().ok()) {
                out.push(id);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    pub fn volume_dir(&self, id: u64) -> PathBuf {
        self.path(id)
    }
}
