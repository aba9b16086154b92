//! The consistency check: clean stores pass, damaged metadata is reported and refused (never
//! misread), left-overs of interrupted operations are swept.

mod common;
use common::*;
use rbdshim_core::{fsck::fsck, manage, Image};

fn record_file(e: &Env, key: &str) -> std::path::PathBuf {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    e.dir.path().join("pools").join(e.io.pool_id().to_string()).join("ns/_/records").join(hex)
}

#[test]
fn clean_store_checks_clean() {
    let e = env();
    let img = e.create_order("a", 1 << 20, 12);
    img.write(0, &pattern(1, 50000)).unwrap();
    img.snap_create("s").unwrap();
    img.write(0, b"x").unwrap();
    img.snap_protect("s").unwrap();
    rbdshim_core::clone::clone(&e.io, "a", "s", &e.io, "c", &Default::default()).unwrap();
    let r = fsck(&e.cluster, false).unwrap();
    assert!(r.is_clean() && r.repaired.is_empty(), "{r:?}");
}

#[test]
fn damaged_header_is_reported_and_refused() {
    // Damages the file backend's record files (the curve store's own fsck tests damage its log).
    let e = env_on(Store::File);
    let img = e.create("a", 4096);
    let id = img.id().to_string();
    img.close().unwrap();
    drop(img);
    let path = record_file(&e, &format!("header/{id}"));
    let raw = std::fs::read(&path).unwrap();
    std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
    let r = fsck(&e.cluster, false).unwrap();
    assert!(!r.is_clean(), "truncated header must be reported");
    assert_eq!(errno(Image::open(&e.io, "a", None, true)), libc::EIO);
    std::fs::write(&path, b"\x05\0\0\0header{\"garbage").unwrap();
    assert!(!fsck(&e.cluster, false).unwrap().is_clean());
    assert_eq!(errno(Image::open(&e.io, "a", None, true)), libc::EIO);
}

#[test]
fn damaged_store_file_is_refused() {
    let e = env_on(Store::File);
    std::fs::write(e.dir.path().join("store.json"), b"{not json").unwrap();
    // What the next process to open the store sees.
    match rbdshim_backend_file::FileBackend::open(e.dir.path()) {
        Err(rbdshim_core::backend::Error::Corrupt(_)) => {}
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a damaged store.json was accepted"),
    }
}

#[test]
fn interrupted_creation_is_swept() {
    let e = env_on(Store::File);
    e.create("keep", 4096).close().unwrap();
    // What a crash between writing the header and the name leaves: a header nobody names.
    let id = Image::open(&e.io, "keep", None, true).unwrap().id().to_string();
    let raw = std::fs::read(record_file(&e, &format!("header/{id}"))).unwrap();
    let ghost = "0123456789ab";
    let text = String::from_utf8(raw[4 + 7 + id.len()..].to_vec()).unwrap().replace(&id, ghost);
    // ... from a crash a while ago (fsck leaves operations younger than a minute alone).
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["create_timestamp"]["sec"] = serde_json::json!(1000);
    let text = v.to_string();
    let key = format!("header/{ghost}");
    let mut body = (key.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(key.as_bytes());
    body.extend_from_slice(text.as_bytes());
    std::fs::write(record_file(&e, &key), body).unwrap();
    let r = fsck(&e.cluster, false).unwrap();
    assert!(r.is_clean(), "{r:?}");
    assert_eq!(r.repaired.len(), 1, "{r:?}");
    fsck(&e.cluster, true).unwrap();
    let r = fsck(&e.cluster, false).unwrap();
    assert!(r.repaired.is_empty(), "{r:?}");
    assert_eq!(manage::list(&e.io).unwrap(), vec!["keep"]);
}
