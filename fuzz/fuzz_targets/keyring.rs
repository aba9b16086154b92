//! Keyrings, keys and capability texts: errors, never panics; what parses writes back the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_core::auth::caps::{MonCaps, OsdCaps};
use rbdshim_core::auth::{parse_keyring, write_keyring, Key};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = parse_keyring(&text) {
        let out = write_keyring(entries.iter().map(|(n, a)| (n, a)));
        let again = parse_keyring(&out).expect("a written keyring parses");
        assert_eq!(again.len(), entries.len());
        for ((n1, a1), (n2, a2)) in entries.iter().zip(&again) {
            assert_eq!(n1, n2);
            assert_eq!(a1.key, a2.key);
            assert_eq!(a1.caps, a2.caps);
        }
    }
    if let Ok(k) = Key::from_base64(text.trim()) {
        assert_eq!(Key::from_base64(&k.to_base64()).expect("round trip"), k);
    }
    if let Ok(c) = OsdCaps::parse(&text) {
        let _ = c.rights("rbd", Some(""), None);
        let _ = c.rights("rbd", None, Some("obj"));
    }
    if let Ok(c) = MonCaps::parse(&text) {
        let _ = c.allows("osd", rbdshim_core::auth::caps::Rights::R, "osd pool ls", &|_| None);
        let _ = c.allows("auth", rbdshim_core::auth::caps::Rights::ALL, "auth get", &|k| Some(k.to_string()));
    }
});
