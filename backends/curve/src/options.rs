//! The store's rules, with CurveBS's defaults (MDS `mds.curvefs.*`, client `global.*`), and the
//! backend spec that selects them: `DIR[?key=value&...]`.

use crate::error::{CurveError, CurveResult};
use std::path::PathBuf;
use std::time::Duration;

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const TIB: u64 = 1 << 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Where chunk data (and, for the embedded metadata store, the metadata) lives.
    pub dir: PathBuf,
    /// etcd endpoints (`host:port`); empty: the embedded metadata store under `dir`.
    pub etcd: Vec<String>,
    /// Where this store's keys live in etcd (several stores may share one cluster).
    pub etcd_prefix: String,
    /// Unit of placement and copy-on-write (`defaultChunkSize`).
    pub chunk_size: u64,
    /// Unit of space allocation; volume lengths are multiples of it (`defaultSegmentSize`).
    pub segment_size: u64,
    /// Smallest volume (`minFileLength`).
    pub min_length: u64,
    /// Largest volume (`maxFileLength`).
    pub max_length: u64,
    /// IO offsets and lengths must be multiples of this (`blockSize`: 4096, or 512).
    pub block_size: u64,
    /// The owner allowed everything when it presents `root_password` (`mds.auth.rootUserName`).
    pub root_owner: String,
    pub root_password: String,
    /// A client's session lasts this long unless refreshed (`mds.leaseTimeUs`).
    pub lease: Duration,
    /// How long a metadata request may take before it fails with a timeout.
    pub meta_timeout: Duration,
    /// The owner the RBD layer acts as, when the connecting user does not say.
    pub owner: String,
}

impl Options {
    pub fn new(dir: impl Into<PathBuf>) -> Options {
        Options {
            dir: dir.into(),
            etcd: Vec::new(),
            etcd_prefix: "rbdshim/".into(),
            chunk_size: 16 * MIB,
            segment_size: GIB,
            min_length: 10 * GIB,
            max_length: 20 * TIB,
            block_size: 4 * KIB,
            root_owner: "root".into(),
            root_password: "root_password".into(),
            lease: Duration::from_secs(5),
            meta_timeout: Duration::from_secs(10),
            owner: "admin".into(),
        }
    }

    /// Parses `DIR[?key=value&...]`, the part of `curve:...` after the colon.
    pub fn parse(spec: &str) -> CurveResult<Options> {
        let (dir, query) = match spec.split_once('?') {
            Some((d, q)) => (d, q),
            None => (spec, ""),
        };
        if dir.is_empty() {
            return Err(CurveError::ParamError);
        }
        let mut o = Options::new(dir);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or(CurveError::ParamError)?;
            match k {
                "etcd" => o.etcd = v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                "prefix" => o.etcd_prefix = v.to_string(),
                "chunk_size" => o.chunk_size = size(v)?,
                "segment_size" => o.segment_size = size(v)?,
                "min_length" => o.min_length = size(v)?,
                "max_length" => o.max_length = size(v)?,
                "block_size" => o.block_size = size(v)?,
                "root_owner" => o.root_owner = v.to_string(),
                "root_password" => o.root_password = v.to_string(),
                "lease_ms" => o.lease = Duration::from_millis(size(v)?),
                "timeout_ms" => o.meta_timeout = Duration::from_millis(size(v)?),
                "owner" => o.owner = v.to_string(),
                _ => return Err(CurveError::ParamError),
            }
        }
        o.check()?;
        Ok(o)
    }

    /// The rules must be consistent: powers of two where CurveBS needs them, sizes nested.
    pub fn check(&self) -> CurveResult<()> {
        let pow2 = |x: u64| x.is_power_of_two();
        // Every size is non-zero before anything is divided by it.
        let ok = (self.block_size == 512 || self.block_size == 4096)
            && pow2(self.chunk_size)
            && self.segment_size >= self.chunk_size
            && self.chunk_size >= self.block_size
            && self.segment_size % self.chunk_size == 0
            && self.min_length % self.segment_size == 0
            && self.min_length >= self.segment_size
            && self.max_length >= self.min_length
            && !self.owner.is_empty();
        if ok {
            Ok(())
        } else {
            Err(CurveError::ParamError)
        }
    }
}

/// `4096`, `16M`, `1G`, `20T` (binary units, as CurveBS's configuration).
fn size(v: &str) -> CurveResult<u64> {
    let (num, mult) = match v.chars().last() {
        Some('K') | Some('k') => (&v[..v.len() - 1], KIB),
        Some('M') | Some('m') => (&v[..v.len() - 1], MIB),
        Some('G') | Some('g') => (&v[..v.len() - 1], GIB),
        Some('T') | Some('t') => (&v[..v.len() - 1], TIB),
        _ => (v, 1),
    };
    num.parse::<u64>().ok().and_then(|n| n.checked_mul(mult)).ok_or(CurveError::ParamError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_curvebs_defaults() {
        let o = Options::parse("/x").unwrap();
        assert_eq!((o.chunk_size, o.segment_size, o.min_length, o.block_size), (16 * MIB, GIB, 10 * GIB, 4096));
        assert_eq!(o.max_length, 20 * TIB);
        assert!(o.etcd.is_empty());
    }

    #[test]
    fn spec_options() {
        let o =
            Options::parse("/x?etcd=127.0.0.1:2379,127.0.0.1:2479&block_size=512&min_length=2G&owner=glance").unwrap();
        assert_eq!(o.etcd, vec!["127.0.0.1:2379", "127.0.0.1:2479"]);
        assert_eq!((o.block_size, o.min_length, o.owner.as_str()), (512, 2 * GIB, "glance"));
        for bad in [
            "",
            "/x?block_size=1000",
            "/x?nosuch=1",
            "/x?min_length=1M",
            "/x?chunk_size=3M",
            "/x?owner=",
            "/x?segment_size=0",
            "/x?chunk_size=0",
            "/x?min_length=0",
        ] {
            assert_eq!(Options::parse(bad), Err(CurveError::ParamError), "{bad}");
        }
    }
}
