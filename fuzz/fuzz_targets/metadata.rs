//! The core's on-disk image records (headers with snapshots, parents, children, metadata):
//! a damaged record is an error, never a panic, and what decodes encodes back to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_core::header::Header;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::decode(data) {
        let again = Header::decode(&h.encode()).expect("an encoded header decodes");
        assert_eq!(again.encode(), h.encode());
    }
});
