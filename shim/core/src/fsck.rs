//! Consistency check across the store and the RBD records kept in it.

use crate::cluster::Cluster;
use crate::header::{header_key, Header};
use crate::Result;
use rbdshim_backend::{FsckReport, Loc};

/// Checks the backend, then every image: names point to headers that decode and name them
/// back, clone links resolve, every header has its volume. With `repair`, removes left-overs
/// of interrupted operations (orphaned headers and volumes, stale child links).
pub fn fsck(cluster: &Cluster, repair: bool) -> Result<FsckReport> {
    let backend = cluster.backend()?;
    // It reads every pool and may remove left-overs: an administrator's (mon `allow *`).
    if !cluster.mon_allows("mon", crate::auth::caps::Rights::ALL, "fsck", &|_| None) {
        return Err(crate::Error::PermissionDenied);
    }
    let mut report = backend.fsck(repair)?;
    for (pool, _) in backend.pool_list()? {
        let mut namespaces = vec![String::new()];
        namespaces.extend(backend.namespace_list(pool)?);
        for ns in namespaces {
            let loc = Loc::new(pool, &ns);
            let mut named = std::collections::HashSet::new();
            for key in backend.record_list(&loc, "dir/")? {
                let name = &key["dir/".len()..];
                let raw = match backend.record_get(&loc, &key) {
                    Ok(Some(raw)) => raw,
                    Ok(None) => continue,
                    Err(e) => {
                        report.errors.push(format!("pool {pool} ns {ns:?}: {key:?}: {e}"));
                        continue;
                    }
                };
                let id = match serde_json::from_slice::<serde_json::Value>(&raw) {
                    Ok(v) => v.get("id").and_then(|i| i.as_str()).unwrap_or("").to_string(),
                    Err(e) => {
                        report.errors.push(format!("pool {pool} ns {ns:?}: directory entry {name:?}: {e}"));
                        continue;
                    }
                };
                named.insert(id.clone());
                let raw = match backend.record_get(&loc, &header_key(&id)) {
                    Ok(Some(raw)) => raw,
                    Ok(None) => {
                        report.errors.push(format!("pool {pool} ns {ns:?}: image {name:?} has no header"));
                        continue;
                    }
                    Err(e) => {
                        report.errors.push(format!("pool {pool} ns {ns:?}: image {name:?}: {e}"));
                        continue;
                    }
                };
                match Header::decode(&raw) {
                    Ok(h) if h.name != name => {
                        report.errors.push(format!("pool {pool}: image {name:?} header names {:?}", h.name))
                    }
                    Ok(h) => {
                        if backend.volume_open(&loc, &id).is_err() {
                            report.errors.push(format!("pool {pool}: image {name:?} has no volume"));
                        }
                        if let Some(p) = &h.parent {
                            if crate::manage::read_header(&*backend, &Loc::new(p.pool, &p.ns), &p.image_id).is_err() {
                                report.errors.push(format!("pool {pool}: clone {name:?} lost its parent"));
                            }
                        }
                    }
                    Err(e) => report.errors.push(format!("pool {pool}: image {name:?}: {e}")),
                }
            }
            for key in backend.record_list(&loc, "trash/")? {
                named.insert(key["trash/".len()..].to_string());
            }
            for key in backend.record_list(&loc, "header/")? {
                let id = &key["header/".len()..];
                if !named.contains(id) {
                    // A creation in progress writes the header before the name: leave young ones.
                    let young = crate::manage::read_header(&*backend, &loc, id)
                        .map(|h| crate::header::Timestamp::now().sec.saturating_sub(h.create_timestamp.sec) < 60)
                        .unwrap_or(false);
                    if young {
                        continue;
                    }
                    report.repaired.push(format!("pool {pool} ns {ns:?}: orphaned image {id}"));
                    if repair {
                        backend.record_delete(&loc, &key)?;
                        let _ = backend.volume_remove(&loc, id);
                    }
                } else if repair {
                    match crate::clone::prune_children(&*backend, &loc, id) {
                        Ok(0) => {}
                        Ok(n) => report.repaired.push(format!("pool {pool}: image {id}: {n} stale child links")),
                        Err(e) => report.errors.push(format!("pool {pool}: image {id}: {e}")),
                    }
                }
            }
        }
    }
    Ok(report)
}
