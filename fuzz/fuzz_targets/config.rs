//! ceph.conf text and command-line options: never a panic, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_core::config::{parse_ini, Config};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_ini(&text);
    let Ok(mut c) = Config::new(None, None, false) else { return };
    if c.apply_ini(&text).is_ok() {
        // Whatever was accepted reads back, expanded, without a panic.
        for key in ["keyring", "key", "rbd_cache", "log_file", "mon_host"] {
            let _ = c.get(key);
        }
    }
    let args: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    let _ = c.parse_argv(&args);
});
