//! The store's consistency check: the metadata decodes, every volume's chunks are sound, and
//! chunk space no namespace entry owns (left by an interrupted create or delete) is reported
//! and, with repair, freed.

use crate::namespace::FileInfo;
use crate::store::CurveStore;
use rbdshim_backend::{FsckReport, Result};
use std::collections::HashSet;

pub fn check(store: &CurveStore, repair: bool) -> Result<FsckReport> {
    let mut report = FsckReport::default();
    let mut ids = HashSet::new();
    for (key, raw) in store.meta.list("ns/e/")? {
        match serde_json::from_slice::<FileInfo>(&raw) {
            Ok(info) => {
                ids.insert(info.id);
            }
            Err(e) => report.errors.push(format!("namespace entry {key}: {e}")),
        }
    }
    for id in store.chunks.ids()? {
        let dir = store.chunks.volume_dir(id);
        if ids.contains(&id) {
            rbdshim_backend_file::fsck_volume(&dir, repair, &mut report)?;
        } else {
            report.repaired.push(format!("chunks of volume {id}: no namespace entry"));
            if repair {
                store.chunks.remove(id)?;
            }
        }
    }
    Ok(report)
}
