//! Image, snapshot and pool specifications as Ceph's tools read them:
//! `[pool/[namespace/]]image[@snap]` and `pool[/namespace]`, completed by --pool,
//! --namespace, --image and --snap when the spec leaves a part out.

use crate::{CliError, CliResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    pub pool: String,
    pub ns: String,
    pub image: String,
    pub snap: Option<String>,
}

/// Whether a command needs, allows or refuses a snapshot name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snap {
    Required,
    Permitted,
    None,
}

/// The parts given on the command line, from options and the positional spec.
#[derive(Debug, Clone, Default)]
pub struct Parts<'a> {
    pub spec: Option<&'a str>,
    pub pool: Option<&'a str>,
    pub ns: Option<&'a str>,
    pub image: Option<&'a str>,
    pub snap: Option<&'a str>,
}

/// Splits `[pool/[ns/]]image[@snap]`: (pool, ns, image, snap).
fn split(spec: &str) -> CliResult<(Option<&str>, Option<&str>, &str, Option<&str>)> {
    let (path, snap) = match spec.split_once('@') {
        Some((p, s)) => (p, Some(s)),
        None => (spec, None),
    };
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [image] => Ok((None, None, image, snap)),
        [pool, image] => Ok((Some(pool), None, image, snap)),
        [pool, ns, image] => Ok((Some(pool), Some(ns), image, snap)),
        _ => Err(CliError::usage(format!("rbd: invalid spec '{spec}'"))),
    }
}

pub fn image_spec(p: &Parts<'_>, default_pool: &str, snap: Snap) -> CliResult<ImageSpec> {
    let (sp, sn, si, ss) = match p.spec {
        Some(s) => {
            let (a, b, c, d) = split(s)?;
            (a, b, Some(c), d)
        }
        None => (None, None, None, None),
    };
    let pool = sp.or(p.pool).unwrap_or(default_pool);
    let ns = sn.or(p.ns).unwrap_or("");
    let image = si.filter(|s| !s.is_empty()).or(p.image).unwrap_or("");
    let snap_name = ss.or(p.snap);
    if pool.is_empty() {
        return Err(CliError::usage("rbd: pool name was not specified"));
    }
    if image.is_empty() {
        return Err(CliError::usage("rbd: image name was not specified"));
    }
    match (snap, snap_name) {
        (Snap::Required, None) | (Snap::Required, Some("")) => {
            return Err(CliError::usage("rbd: snapshot name was not specified"))
        }
        (Snap::None, Some(_)) => {
            return Err(CliError::usage("rbd: snapshot name specified for a command that doesn't use it"))
        }
        _ => {}
    }
    Ok(ImageSpec {
        pool: pool.to_string(),
        ns: ns.to_string(),
        image: image.to_string(),
        snap: snap_name.filter(|s| !s.is_empty()).map(str::to_string),
    })
}

/// `pool[/ns]` (for ls, du, trash, ...): (pool, ns).
pub fn pool_spec(
    spec: Option<&str>,
    pool: Option<&str>,
    ns: Option<&str>,
    default_pool: &str,
) -> CliResult<(String, String)> {
    let (sp, sn) = match spec {
        Some(s) => match s.split_once('/') {
            Some((p, n)) if !n.contains('/') => (Some(p), Some(n)),
            Some(_) => return Err(CliError::usage(format!("rbd: invalid spec '{s}'"))),
            None => (Some(s), None),
        },
        None => (None, None),
    };
    let pool = sp.or(pool).unwrap_or(default_pool);
    if pool.is_empty() {
        return Err(CliError::usage("rbd: pool name was not specified"));
    }
    Ok((pool.to_string(), sn.or(ns).unwrap_or("").to_string()))
}

impl std::fmt::Display for ImageSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/", self.pool)?;
        if !self.ns.is_empty() {
            write!(f, "{}/", self.ns)?;
        }
        write!(f, "{}", self.image)?;
        if let Some(s) = &self.snap {
            write!(f, "@{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(spec: &str) -> Parts<'_> {
        Parts { spec: Some(spec), ..Default::default() }
    }

    #[test]
    fn specs_split_as_ceph_does() {
        let s = image_spec(&parts("p/n/i@s"), "rbd", Snap::Permitted).unwrap();
        assert_eq!((s.pool.as_str(), s.ns.as_str(), s.image.as_str(), s.snap.as_deref()), ("p", "n", "i", Some("s")));
        let s = image_spec(&parts("p/i"), "rbd", Snap::None).unwrap();
        assert_eq!((s.pool.as_str(), s.ns.as_str(), s.image.as_str()), ("p", "", "i"));
        let with_pool = Parts { spec: Some("i"), pool: Some("vms"), ..Default::default() };
        assert_eq!(image_spec(&with_pool, "rbd", Snap::None).unwrap().pool, "vms");
        assert_eq!(image_spec(&parts("i"), "rbd", Snap::None).unwrap().pool, "rbd");
        let by_opts = Parts { image: Some("i"), snap: Some("s"), ..Default::default() };
        assert_eq!(image_spec(&by_opts, "rbd", Snap::Required).unwrap().snap.as_deref(), Some("s"));
        assert_eq!(image_spec(&parts("p/i"), "rbd", Snap::Required).unwrap_err().errno, libc::EINVAL);
        assert!(image_spec(&parts("p/i@s"), "rbd", Snap::None).is_err());
        assert!(image_spec(&parts("a/b/c/d"), "rbd", Snap::None).is_err());
        assert!(image_spec(&Parts::default(), "rbd", Snap::None).is_err());
        assert_eq!(pool_spec(Some("p/n"), None, None, "rbd").unwrap(), ("p".into(), "n".into()));
        assert_eq!(pool_spec(None, Some("q"), None, "rbd").unwrap(), ("q".into(), "".into()));
    }
}
