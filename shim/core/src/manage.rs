//! Image management: create, remove, rename, list, trash and namespaces.
//!
//! Crash ordering: creation writes the volume, then the header, then the directory entry, so a
//! name is never visible before its image is whole; removal deletes the directory entry first.
//! What an interruption leaves behind is invisible and swept by `fsck`.

use crate::auth::caps::Rights;
use crate::features::{self, DEFAULT_ORDER, MAX_ORDER, MIN_ORDER};
use crate::header::{dir_key, header_key, trash_key, Header, Timestamp, TrashRec, HEADER_FORMAT};
use crate::image::update_other_header;
use crate::ioctx::IoCtx;
use crate::naming::{check_image_name, check_namespace_name, new_image_id};
use crate::{Error, Result};
use rbdshim_backend::{Backend, Loc, PoolId, PutMode, VolumeSpec};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Creation options (rbd_create4's image options).
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// 0 or None: the default (22).
    pub order: Option<u8>,
    pub features: Option<u64>,
    pub stripe_unit: Option<u64>,
    pub stripe_count: Option<u64>,
    pub data_pool: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DirEntry {
    id: String,
}

pub(crate) fn lookup_id(ioctx: &IoCtx, name: &str) -> Result<String> {
    let loc = ioctx.checked_loc(Rights::IMAGE_READ)?;
    let raw = ioctx.backend().record_get(&loc, &dir_key(name))?.ok_or(Error::NotFound)?;
    let e: DirEntry = serde_json::from_slice(&raw)?;
    Ok(e.id)
}

pub(crate) fn name_of(backend: &dyn Backend, loc: &Loc, id: &str) -> Result<String> {
    let raw = backend.record_get(loc, &header_key(id))?.ok_or(Error::NotFound)?;
    Ok(Header::decode(&raw)?.name)
}

pub(crate) fn read_header(backend: &dyn Backend, loc: &Loc, id: &str) -> Result<Header> {
    let raw = backend.record_get(loc, &header_key(id))?.ok_or(Error::NotFound)?;
    Header::decode(&raw)
}

/// Validates order, features and striping; returns (order, features, unit, count).
fn resolve_options(ioctx: &IoCtx, opts: &CreateOptions) -> Result<(u8, u64, u64, u64)> {
    let cfg = ioctx.cluster().config().clone();
    let order = match opts.order {
        None | Some(0) => cfg.get_u64("rbd_default_order").map(|o| o as u8).unwrap_or(DEFAULT_ORDER),
        Some(o) => o,
    };
    if !(MIN_ORDER..=MAX_ORDER).contains(&order) {
        return Err(Error::Domain);
    }
    let mut feats = match opts.features {
        Some(f) => f,
        None => cfg.get("rbd_default_features").and_then(|s| features::from_string(&s)).unwrap_or(features::DEFAULT),
    };
    features::validate(feats)?;
    let obj = 1u64 << order;
    let unit = opts.stripe_unit.filter(|u| *u != 0).unwrap_or(obj);
    let count = opts.stripe_count.filter(|c| *c != 0).unwrap_or(1);
    if unit > obj || !obj.is_multiple_of(unit) {
        return Err(Error::InvalidArgument("stripe unit must divide the object size"));
    }
    if unit != obj || count != 1 {
        feats |= features::STRIPINGV2;
    } else if opts.features.map(|f| f & features::STRIPINGV2 == 0).unwrap_or(true) {
        feats &= !features::STRIPINGV2;
    }
    if opts.data_pool.as_deref().is_some_and(|p| !p.is_empty()) {
        feats |= features::DATA_POOL;
    }
    Ok((order, feats, unit, count))
}

pub(crate) fn new_header_for_clone(name: &str, size: u64, order: u8, feats: u64, unit: u64, count: u64) -> Header {
    new_header("", name, size, order, feats, unit, count)
}

fn new_header(id: &str, name: &str, size: u64, order: u8, feats: u64, unit: u64, count: u64) -> Header {
    let now = Timestamp::now();
    Header {
        format: HEADER_FORMAT,
        id: id.to_string(),
        name: name.to_string(),
        size,
        order,
        features: feats,
        op_features: 0,
        flags: 0,
        stripe_unit: unit,
        stripe_count: count,
        create_timestamp: now,
        modify_timestamp: now,
        access_timestamp: now,
        snap_seq: 0,
        snaps: Vec::new(),
        parent: None,
        children: Vec::new(),
        metadata: BTreeMap::new(),
        lockers: Vec::new(),
        lock_tag: String::new(),
        lock_exclusive: false,
        trash: None,
        snap_limit: None,
        data_pool: None,
    }
}

/// Creates an image and returns its id.
pub fn create(ioctx: &IoCtx, name: &str, size: u64, opts: &CreateOptions) -> Result<String> {
    let (order, feats, unit, count) = resolve_options(ioctx, opts)?;
    let mut header = new_header("", name, size, order, feats, unit, count);
    header.data_pool = data_pool_id(ioctx, opts)?;
    create_with(ioctx, name, header)
}

/// The id of the data pool asked for (-ENOENT if there is no such pool).
pub(crate) fn data_pool_id(ioctx: &IoCtx, opts: &CreateOptions) -> Result<Option<PoolId>> {
    match opts.data_pool.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Ok(Some(ioctx.cluster().pool_lookup(p)?)),
        None => Ok(None),
    }
}

/// Writes volume, header and name for a prepared header (id filled in here).
pub(crate) fn create_with(ioctx: &IoCtx, name: &str, mut header: Header) -> Result<String> {
    check_image_name(name)?;
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    let caps = backend.caps();
    features::check_size(header.features, header.order, header.size, caps.max_volume_size)?;
    if backend.record_get(&loc, &dir_key(name))?.is_some() {
        return Err(Error::Exists);
    }
    let id = new_image_id();
    header.id = id.clone();
    header.name = name.to_string();
    let physical = rbdshim_backend::adapt::physical_size(&caps, header.size);
    let owner = Some(ioctx.cluster().user());
    backend.volume_create(&loc, &id, VolumeSpec { size: physical, order: header.order, owner })?;
    let undo = |backend: &dyn Backend| {
        let _ = backend.record_delete(&loc, &header_key(&id));
        let _ = backend.volume_remove(&loc, &id);
    };
    if let Err(e) = backend.record_put(&loc, &header_key(&id), &header.encode(), PutMode::Create) {
        undo(&**backend);
        return Err(e.into());
    }
    let entry = serde_json::to_vec(&DirEntry { id: id.clone() })?;
    if let Err(e) = backend.record_put(&loc, &dir_key(name), &entry, PutMode::Create) {
        undo(&**backend);
        return Err(e.into());
    }
    Ok(id)
}

/// Image names in the ioctx's pool and namespace, sorted.
pub fn list(ioctx: &IoCtx) -> Result<Vec<String>> {
    Ok(list2(ioctx)?.into_iter().map(|(_, n)| n).collect())
}

/// (id, name) pairs, sorted by name.
pub fn list2(ioctx: &IoCtx) -> Result<Vec<(String, String)>> {
    let loc = ioctx.checked_loc(Rights::IMAGE_READ)?;
    let backend = ioctx.backend();
    let mut out = Vec::new();
    for key in backend.record_list(&loc, "dir/")? {
        let Some(raw) = backend.record_get(&loc, &key)? else { continue };
        let e: DirEntry = serde_json::from_slice(&raw)?;
        out.push((e.id, key["dir/".len()..].to_string()));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// Why an image cannot be removed, checked in librbd's order.
fn check_removable(backend: &dyn Backend, loc: &Loc, id: &str) -> Result<()> {
    let h = read_header(backend, loc, id)?;
    let coord = backend.coordinator(loc, id)?;
    if !coord.is_locked_here() && coord.is_locked_anywhere()? {
        return Err(Error::Busy);
    }
    if !h.snaps.is_empty() {
        return Err(Error::NotEmpty);
    }
    if !coord.watchers()?.is_empty() {
        return Err(Error::Busy);
    }
    Ok(())
}

/// Removes an image: -ENOTEMPTY with snapshots, -EBUSY while open elsewhere.
pub fn remove(ioctx: &IoCtx, name: &str) -> Result<()> {
    check_image_name(name)?;
    let id = lookup_id(ioctx, name)?;
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    check_removable(&**backend, &loc, &id)?;
    let h = read_header(&**backend, &loc, &id)?;
    backend.record_delete(&loc, &dir_key(name))?;
    destroy(&**backend, &loc, &h)
}

/// Deletes header and data of an image no name points to, and unlinks it from its parent.
fn destroy(backend: &dyn Backend, loc: &Loc, h: &Header) -> Result<()> {
    if let Some(p) = &h.parent {
        unlink_child(backend, p.pool, &p.ns, &p.image_id, loc, &h.id);
    }
    backend.record_delete(loc, &header_key(&h.id))?;
    backend.volume_remove(loc, &h.id)?;
    Ok(())
}

/// Removes every link from parent `pid` to child `child_id` (best effort: a missing parent is
/// not an error, the link simply no longer exists).
pub(crate) fn unlink_child(backend: &dyn Backend, pool: i64, ns: &str, pid: &str, child_loc: &Loc, child_id: &str) {
    let ploc = Loc::new(pool, ns);
    let updated = update_other_header(backend, &ploc, pid, |ph| {
        ph.children.retain(|c| !(c.pool == child_loc.pool && c.ns == child_loc.ns && c.image_id == child_id));
        // A snapshot in the trash goes with its last child; its data is reclaimed by the
        // parent's next snapshot removal.
        let children = ph.children.clone();
        ph.snaps.retain(|s| s.trash_name.is_none() || children.iter().any(|c| c.snap_id == s.id));
        Ok(ph.clone())
    });
    if let Ok(ph) = updated {
        crate::snapshot::sync_snapshots(backend, &ploc, &ph);
    }
}

/// Renames an image within its pool and namespace.
pub fn rename(ioctx: &IoCtx, src: &str, dst: &str) -> Result<()> {
    check_image_name(src)?;
    check_image_name(dst)?;
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    let id = lookup_id(ioctx, src)?;
    let entry = serde_json::to_vec(&DirEntry { id: id.clone() })?;
    backend.record_put(&loc, &dir_key(dst), &entry, PutMode::Create)?;
    update_other_header(&**backend, &loc, &id, |h| {
        h.name = dst.to_string();
        Ok(())
    })?;
    backend.record_delete(&loc, &dir_key(src))?;
    Ok(())
}

/// An image in the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashEntry {
    pub id: String,
    pub name: String,
    pub source: u8,
    pub deletion_time: u64,
    pub deferment_end_time: u64,
}

/// Moves an image to the trash (its name becomes free; it can be restored by id).
pub fn trash_move(ioctx: &IoCtx, name: &str, delay_secs: u64) -> Result<String> {
    check_image_name(name)?;
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    let id = lookup_id(ioctx, name)?;
    let coord = backend.coordinator(&loc, &id)?;
    if !coord.is_locked_here() && coord.is_locked_anywhere()? {
        return Err(Error::Busy);
    }
    let now = Timestamp::now().sec;
    update_other_header(&**backend, &loc, &id, |h| {
        h.trash = Some(TrashRec { source: 0, deletion_time: now, deferment_end_time: now.saturating_add(delay_secs) });
        Ok(())
    })?;
    backend.record_put(&loc, &trash_key(&id), name.as_bytes(), PutMode::Upsert)?;
    backend.record_delete(&loc, &dir_key(name))?;
    Ok(id)
}

pub fn trash_list(ioctx: &IoCtx) -> Result<Vec<TrashEntry>> {
    let loc = ioctx.checked_loc(Rights::IMAGE_READ)?;
    let backend = ioctx.backend();
    let mut out = Vec::new();
    for key in backend.record_list(&loc, "trash/")? {
        let id = &key["trash/".len()..];
        let Ok(h) = read_header(&**backend, &loc, id) else { continue };
        let Some(t) = h.trash else { continue };
        out.push(TrashEntry {
            id: id.to_string(),
            name: h.name,
            source: t.source,
            deletion_time: t.deletion_time,
            deferment_end_time: t.deferment_end_time,
        });
    }
    Ok(out)
}

pub fn trash_get(ioctx: &IoCtx, id: &str) -> Result<TrashEntry> {
    trash_list(ioctx)?.into_iter().find(|e| e.id == id).ok_or(Error::NotFound)
}

/// Restores a trashed image under `name` (empty: its old name).
pub fn trash_restore(ioctx: &IoCtx, id: &str, name: &str) -> Result<()> {
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    let e = trash_get(ioctx, id)?;
    let name = if name.is_empty() { e.name.clone() } else { name.to_string() };
    check_image_name(&name)?;
    let entry = serde_json::to_vec(&DirEntry { id: id.to_string() })?;
    backend.record_put(&loc, &dir_key(&name), &entry, PutMode::Create)?;
    update_other_header(&**backend, &loc, id, |h| {
        h.trash = None;
        h.name = name.clone();
        Ok(())
    })?;
    backend.record_delete(&loc, &trash_key(id))?;
    Ok(())
}

/// Deletes a trashed image; before its deferment ends only with `force`.
pub fn trash_remove(ioctx: &IoCtx, id: &str, force: bool) -> Result<()> {
    let loc = ioctx.checked_loc(Rights::IMAGE_WRITE)?;
    let backend = ioctx.backend();
    let e = trash_get(ioctx, id)?;
    if !force && e.deferment_end_time > Timestamp::now().sec {
        return Err(Error::PermissionDenied);
    }
    check_removable(&**backend, &loc, id)?;
    let h = read_header(&**backend, &loc, id)?;
    backend.record_delete(&loc, &trash_key(id))?;
    destroy(&**backend, &loc, &h)
}

/// Removes every trashed image whose deferment ended before `expire_ts` (0: now).
pub fn trash_purge(ioctx: &IoCtx, expire_ts: u64) -> Result<()> {
    let limit = if expire_ts == 0 { Timestamp::now().sec } else { expire_ts };
    for e in trash_list(ioctx)? {
        if e.deferment_end_time <= limit {
            trash_remove(ioctx, &e.id, true)?;
        }
    }
    Ok(())
}

/// Namespaces are listed in the pool's default namespace (Ceph's `rbd_namespace` object):
/// managing them needs caps there, whatever namespace the context is set to.
fn require_on_default_namespace(ioctx: &IoCtx, need: Rights) -> Result<()> {
    ioctx.cluster().require_osd(ioctx.pool_name(), Some(""), None, need)
}

pub fn namespace_create(ioctx: &IoCtx, name: &str) -> Result<()> {
    check_namespace_name(name)?;
    require_on_default_namespace(ioctx, Rights::IMAGE_WRITE)?;
    Ok(ioctx.backend().namespace_create(ioctx.pool_id(), name)?)
}

/// Removes an empty namespace (-EBUSY while it holds images).
pub fn namespace_remove(ioctx: &IoCtx, name: &str) -> Result<()> {
    check_namespace_name(name)?;
    require_on_default_namespace(ioctx, Rights::IMAGE_WRITE)?;
    Ok(ioctx.backend().namespace_remove(ioctx.pool_id(), name)?)
}

pub fn namespace_list(ioctx: &IoCtx) -> Result<Vec<String>> {
    require_on_default_namespace(ioctx, Rights::IMAGE_READ)?;
    Ok(ioctx.backend().namespace_list(ioctx.pool_id())?)
}

pub fn namespace_exists(ioctx: &IoCtx, name: &str) -> Result<bool> {
    require_on_default_namespace(ioctx, Rights::IMAGE_READ)?;
    if name.is_empty() {
        return Ok(true);
    }
    check_namespace_name(name)?;
    Ok(ioctx.backend().namespace_exists(&Loc::new(ioctx.pool_id(), name))?)
}
