//! `[pool/[namespace/]]image[@snap]` and `pool[/namespace]` as the rbd tool reads them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_cli::spec::{image_spec, pool_spec, Parts, Snap};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line is the spec, the next ones (if any) the --pool/--namespace/--image/--snap.
    let mut lines = text.split('\n');
    let spec = lines.next();
    let mut opt = || lines.next().filter(|l| !l.is_empty());
    let parts = Parts { spec, pool: opt(), ns: opt(), image: opt(), snap: opt() };
    for snap in [Snap::Required, Snap::Permitted, Snap::None] {
        if let Ok(s) = image_spec(&parts, "rbd", snap) {
            if snap == Snap::None {
                assert!(s.snap.is_none(), "a refused snapshot was accepted: {s:?}");
            }
        }
    }
    let _ = pool_spec(spec, parts.pool, parts.ns, "rbd");
});
