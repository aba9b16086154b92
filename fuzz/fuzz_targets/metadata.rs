//! On-disk metadata: the core's image records (headers with snapshots, parents, children,
//! metadata) and the curve store's embedded metadata log. A damaged record is an error, never
//! a panic, and what decodes encodes back to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_backend_curve::meta::embedded::Embedded;
use rbdshim_core::header::Header;
use std::sync::OnceLock;

/// The curve log's header (the file starts with it; the fuzzed bytes follow).
const LOG_MAGIC: &[u8] = b"rbdshim-cmeta-1\n";

fn log_dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("rbdshim-fuzz-meta-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("a directory for the log");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::decode(data) {
        let again = Header::decode(&h.encode()).expect("an encoded header decodes");
        assert_eq!(again.encode(), h.encode());
    }
    // The same bytes as the records of a curve metadata log: read whole, or refused.
    let dir = log_dir();
    let mut log = LOG_MAGIC.to_vec();
    log.extend_from_slice(data);
    if std::fs::write(dir.join("log"), &log).is_ok() {
        if let Ok(m) = Embedded::open(dir) {
            let _ = m.check();
        }
    }
});
