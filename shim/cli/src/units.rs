//! Sizes and times as Ceph's tools parse and print them.

use crate::{CliError, CliResult};

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Parses "10", "10K", "4M", "1G", "2T", "1GiB", "512B". A bare number is in `default_shift`
/// units (20 for --size, which Ceph reads in MiB; 0 for byte counts).
pub fn parse_size(s: &str, default_shift: u32) -> CliResult<u64> {
    let bad = || CliError::usage(format!("rbd: invalid size value '{s}'"));
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return Err(bad());
    }
    let n: u64 = t[..digits].parse().map_err(|_| bad())?;
    let suffix = &t[digits..];
    let shift = match suffix {
        "" => default_shift,
        _ => {
            let unit = suffix.trim_end_matches('B').trim_end_matches('i');
            let unit = if suffix == "B" { "" } else { unit };
            match unit.to_ascii_uppercase().as_str() {
                "" => 0,
                "K" => 10,
                "M" => 20,
                "G" => 30,
                "T" => 40,
                "P" => 50,
                "E" => 60,
                _ => return Err(bad()),
            }
        }
    };
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

/// "0 B", "4 MiB", "1.5 GiB": Ceph's byte_u_t style (exact multiples without a fraction,
/// otherwise one decimal when it fits a short field).
pub fn bytes(v: u64) -> String {
    let mut idx = 0;
    let mut n = v;
    while n >= 1024 && idx < UNITS.len() - 1 {
        n /= 1024;
        idx += 1;
    }
    if idx == 0 {
        return format!("{v} B");
    }
    let mult = 1u64 << (10 * idx);
    if v % mult == 0 {
        return format!("{n} {}", UNITS[idx]);
    }
    let x = v as f64 / mult as f64;
    // The number gets at most three characters, with one decimal when it fits ("1.5 GiB",
    // "18 GiB"), as byte_u_t fits the value in a short field.
    let num = format!("{x:.1}");
    if num.len() <= 3 {
        return format!("{num} {}", UNITS[idx]);
    }
    format!("{x:.0} {}", UNITS[idx])
}

/// A timestamp as Ceph's tools print it in plain output: "Mon Nov 23 13:00:00 2026" (ctime,
/// local time).
pub fn ctime(sec: u64) -> String {
    let t = sec as libc::time_t;
    let mut tm: libc::tm = unsafe_zeroed_tm();
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r writes into our tm; strftime writes at most buf.len() bytes.
    let n = unsafe {
        libc::localtime_r(&t, &mut tm);
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%a %b %e %H:%M:%S %Y".as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn unsafe_zeroed_tm() -> libc::tm {
    // SAFETY: libc::tm is plain data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_ceph_suffixes() {
        assert_eq!(parse_size("10", 20).unwrap(), 10 << 20);
        assert_eq!(parse_size("10", 0).unwrap(), 10);
        assert_eq!(parse_size("4K", 0).unwrap(), 4096);
        assert_eq!(parse_size("1G", 20).unwrap(), 1 << 30);
        assert_eq!(parse_size("1GiB", 20).unwrap(), 1 << 30);
        assert_eq!(parse_size("2T", 20).unwrap(), 2 << 40);
        assert_eq!(parse_size("512B", 20).unwrap(), 512);
        for bad in ["", "x", "-1", "1X", "1.5G", "99999999999999999999", "16E"] {
            assert!(parse_size(bad, 20).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes_print_like_byte_u_t() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(4 << 20), "4 MiB");
        assert_eq!(bytes(1 << 30), "1 GiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes((1 << 30) + (1 << 28)), "1.2 GiB");
        assert_eq!(bytes(17 * (1 << 30) + (1 << 29)), "18 GiB");
    }
}
