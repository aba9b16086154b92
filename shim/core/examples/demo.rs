//! A tour of the core on the backend named by RBDSHIM_BACKEND: create, write, snapshot, clone,
//! diff, flatten. Prints what it does and fails loudly if anything is off.

use rbdshim_core::{clone::clone, manage, Cluster, CreateOptions, Image};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = Cluster::new(None, None, false)?;
    cluster.connect()?;
    println!("store {} ({})", cluster.fsid()?, cluster.config().backend_spec());
    if cluster.pool_lookup("rbd").is_err() {
        cluster.pool_create("rbd")?;
    }
    let io = cluster.ioctx("rbd")?;
    manage::create(&io, "base", 1 << 30, &CreateOptions::default())?;
    let base = Image::open(&io, "base", None, false)?;
    base.write(1, b"hello from rbdshim")?;
    base.snap_create("gold")?;
    base.snap_protect("gold")?;
    base.write(1, b"HELLO")?;
    println!("base: {} bytes, features {}", base.size()?, rbdshim_core::features::to_string(base.features()?));
    clone(&io, "base", "gold", &io, "vm-disk", &CreateOptions::default())?;
    let disk = Image::open(&io, "vm-disk", None, false)?;
    let got = disk.read_vec(1, 18)?;
    assert_eq!(got, b"hello from rbdshim");
    println!("clone reads its parent's snapshot: {:?}", String::from_utf8_lossy(&got));
    disk.write(4 << 20, b"clone data")?;
    let mut extents = Vec::new();
    disk.diff_iterate(None, 0, 1 << 30, true, false, |o, l, e| {
        extents.push((o, l, e));
        0
    })?;
    println!("allocated extents (with parent): {extents:?}");
    disk.flatten()?;
    println!("flattened; parent now: {:?}", disk.parent_info().err().map(|e| e.errno()));
    let report = rbdshim_core::fsck::fsck(&cluster, false)?;
    println!("fsck: {} errors", report.errors.len());
    assert!(report.is_clean());
    Ok(())
}
