//! Capabilities: the text of `osd` and `mon` caps parsed into grants, and the question every
//! operation asks of them ("may this client do X in pool P, namespace N?").
//!
//! The grammar is Ceph's, for what clients are given in practice:
//!
//! ```text
//! osd: allow RIGHTS [pool[=]P] [namespace[=]N[*]] [object_prefix X] [tag APP K=V]
//!      allow [pool[=]P] [namespace[=]N] RIGHTS
//!      profile rbd | rbd-read-only | read-only | read-write [pool[=]P] [namespace[=]N]
//! mon: allow RIGHTS | allow service S RIGHTS | allow command "C" | profile NAME
//! RIGHTS: * | all | r, w, x in any combination | class-read | class-write | class NAME [METHOD]
//! ```
//!
//! Grants are separated by `,` or `;`. As in Ceph, librbd's image operations are class calls:
//! reading an image needs `r` and class-read (`x`), changing one `w` and class-write as well,
//! which `profile rbd` and `allow rwx` give and `allow r` does not.

use crate::{Error, Result};

/// What a grant allows, as bits (Ceph's `r`, `w`, class-read, class-write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights(u8);

impl Rights {
    pub const NONE: Rights = Rights(0);
    pub const R: Rights = Rights(1);
    pub const W: Rights = Rights(2);
    pub const CLS_R: Rights = Rights(4);
    pub const CLS_W: Rights = Rights(8);
    /// `x`: every class method.
    pub const X: Rights = Rights(4 | 8);
    /// The two class methods `profile rbd-read-only` adds, `child_attach` and `child_detach`:
    /// a clone may register with a parent its user only reads.
    pub const CHILD_ATTACH: Rights = Rights(16);
    pub const ALL: Rights = Rights(31);
    /// What librbd needs to read an image (its metadata are class reads).
    pub const IMAGE_READ: Rights = Rights(1 | 4);
    /// What librbd needs to change an image.
    pub const IMAGE_WRITE: Rights = Rights(15);
    /// What a clone needs of its parent: read it, and attach to it.
    pub fn may_attach_child(self) -> bool {
        self.contains(Rights::IMAGE_READ) && (self.contains(Rights::CHILD_ATTACH) || self.contains(Rights::CLS_W))
    }

    pub fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }
}

/// Which objects an OSD grant covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Match {
    pool: Option<String>,
    /// A trailing `*` matches any namespace starting with what precedes it.
    namespace: Option<String>,
    object_prefix: Option<String>,
    /// `tag APP KEY=VALUE` grants follow pool application metadata, which clients of rbd do not
    /// use: they are accepted and match nothing.
    tagged: bool,
    /// `network CIDR`: the grant holds for clients in it. Clients of this store report the
    /// loopback address (they reach no monitor), so it holds if the network contains it.
    off_network: bool,
}

impl Match {
    /// `ns` None: every namespace of the pool (only a grant without a namespace covers it).
    fn covers(&self, pool: &str, ns: Option<&str>, oid: Option<&str>) -> bool {
        if self.tagged || self.off_network {
            return false;
        }
        if self.pool.as_deref().is_some_and(|p| p != pool) {
            return false;
        }
        if let Some(n) = &self.namespace {
            let Some(ns) = ns else { return false };
            let ok = match n.strip_suffix('*') {
                Some(prefix) => ns.starts_with(prefix),
                None => n == ns,
            };
            if !ok {
                return false;
            }
        }
        match (&self.object_prefix, oid) {
            (None, _) => true,
            (Some(p), Some(oid)) => oid.starts_with(p.as_str()),
            // An image operation touches many objects; a prefix grant never covers them all.
            (Some(_), None) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct OsdGrant {
    rights: Rights,
    on: Match,
}

/// Parsed `osd` caps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsdCaps {
    grants: Vec<OsdGrant>,
}

/// Parsed `mon` caps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonCaps {
    /// (service or None for every service, rights).
    grants: Vec<(Option<String>, Rights)>,
    /// Commands allowed by name, with the argument values they are limited to
    /// (`allow command "auth get" with entity=client.x`).
    commands: Vec<(String, Vec<(String, String)>)>,
}

/// Whether `cidr` (`a.b.c.d/n`, or an address) contains the loopback address clients report.
/// A network that does not parse contains nothing.
fn contains_loopback(cidr: &str) -> Option<bool> {
    let (addr, bits) = match cidr.split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().ok().filter(|b| *b <= 32)?),
        None => (cidr, 32),
    };
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Some(u32::from(addr) & mask == u32::from(std::net::Ipv4Addr::LOCALHOST) & mask)
}

/// Words of a grant: whitespace separated, `key=value` split in two, double quotes kept together.
fn words(grant: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    // A quoted word (double or single quotes) may be empty (`namespace=""`).
    let mut started = false;
    let mut quote: Option<char> = None;
    for c in grant.chars() {
        match c {
            c if Some(c) == quote => quote = None,
            c if quote.is_some() => cur.push(c),
            '"' | '\'' => (quote, started) = (Some(c), true),
            c if c.is_whitespace() || c == '=' => {
                if started || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(Error::InvalidArgument("unterminated quote"));
    }
    if started || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Parses `r`, `rw`, `rwx`, `*`, `class-read`, ... starting at `w[i]`; returns the rights and
/// the index after them (the same index when there are none).
fn rights(w: &[String], mut i: usize) -> (Rights, usize) {
    let mut r = Rights::NONE;
    while let Some(word) = w.get(i) {
        let add = match word.as_str() {
            "*" | "all" => Rights::ALL,
            "class-read" => Rights::CLS_R,
            "class-write" => Rights::CLS_W,
            "class" => {
                // `class NAME [METHOD]`: calls of one class. librbd's image calls are the rbd
                // class's: `class rbd` counts as class calls; other classes give images nothing.
                let rbd = w.get(i + 1).is_some_and(|n| n == "rbd");
                i += 2;
                if w.get(i).is_some_and(|m| !is_keyword(m) && !is_right(m)) {
                    i += 1;
                }
                if rbd {
                    r = r.union(Rights::X);
                }
                continue;
            }
            s if !s.is_empty() && s.chars().all(|c| matches!(c, 'r' | 'w' | 'x')) => {
                let mut v = Rights::NONE;
                for c in s.chars() {
                    v = v.union(match c {
                        'r' => Rights::R,
                        'w' => Rights::W,
                        _ => Rights::X,
                    });
                }
                v
            }
            _ => break,
        };
        r = r.union(add);
        i += 1;
    }
    (r, i)
}

fn is_keyword(w: &str) -> bool {
    matches!(w, "pool" | "namespace" | "object_prefix" | "tag" | "network" | "class" | "class-read" | "class-write")
}

fn is_right(w: &str) -> bool {
    matches!(w, "*" | "all") || (!w.is_empty() && w.chars().all(|c| matches!(c, 'r' | 'w' | 'x')))
}

/// Parses a match clause at `w[i..]`; returns it and the index after it.
fn match_clause(w: &[String], mut i: usize) -> Option<(Match, usize)> {
    let mut m = Match::default();
    while let Some(word) = w.get(i) {
        match word.as_str() {
            "pool" => m.pool = Some(w.get(i + 1)?.clone()),
            "namespace" => m.namespace = Some(w.get(i + 1)?.clone()),
            "object_prefix" => m.object_prefix = Some(w.get(i + 1)?.clone()),
            "network" => m.off_network = !contains_loopback(w.get(i + 1)?)?,
            "tag" => {
                // tag APP KEY=VALUE: three words after the keyword.
                w.get(i + 3)?;
                m.tagged = true;
                i += 2;
            }
            _ => break,
        }
        i += 2;
    }
    Some((m, i))
}

fn parse_failed(service: &str, grant: &str, text: &str) -> Error {
    Error::msg(libc::EINVAL, format!("{service} capability parse failed, stopped at '{}' of '{text}'", grant.trim()))
}

fn grants(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';']).filter(|g| !g.trim().is_empty())
}

impl OsdCaps {
    pub fn parse(text: &str) -> Result<OsdCaps> {
        let mut caps = OsdCaps::default();
        for g in grants(text) {
            let fail = || parse_failed("osd", g, text);
            let w = words(g).map_err(|_| fail())?;
            // `allow profile X` is another spelling of `profile X`.
            let w = if w.len() > 1 && w[0] == "allow" && w[1] == "profile" { w[1..].to_vec() } else { w };
            match w.first().map(String::as_str) {
                Some("allow") => {
                    // Rights then match, or match then rights.
                    // (A class grant may give images nothing and still be valid: what counts is
                    // that rights were written.)
                    let (r, i) = rights(&w, 1);
                    let (on, i, r) = if i > 1 {
                        let (on, i) = match_clause(&w, i).ok_or_else(fail)?;
                        (on, i, r)
                    } else {
                        let (on, m) = match_clause(&w, 1).ok_or_else(fail)?;
                        let (r, i) = rights(&w, m);
                        if i == m {
                            return Err(fail());
                        }
                        (on, i, r)
                    };
                    if i != w.len() {
                        return Err(fail());
                    }
                    caps.grants.push(OsdGrant { rights: r, on });
                }
                Some("profile") => {
                    let name = w.get(1).ok_or_else(fail)?;
                    let (on, i) = match_clause(&w, 2).ok_or_else(fail)?;
                    if i != w.len() || on.object_prefix.is_some() || on.tagged {
                        return Err(fail());
                    }
                    let rights = match name.as_str() {
                        "rbd" => Rights::ALL,
                        "rbd-read-only" => Rights::IMAGE_READ.union(Rights::CHILD_ATTACH),
                        // Plain object access, no class calls (so no image access either).
                        "read-write" => Rights::R.union(Rights::W),
                        "read-only" => Rights::R,
                        // Daemon profiles (osd, mds, bootstrap-*) and the like give a client
                        // nothing on data.
                        _ => Rights::NONE,
                    };
                    caps.grants.push(OsdGrant { rights, on });
                }
                _ => return Err(fail()),
            }
        }
        Ok(caps)
    }

    /// The rights granted on objects of pool `pool`, namespace `ns` (None: all of them; `oid`:
    /// one object, for the object API; None: an image as a whole).
    pub fn rights(&self, pool: &str, ns: Option<&str>, oid: Option<&str>) -> Rights {
        self.grants.iter().filter(|g| g.on.covers(pool, ns, oid)).fold(Rights::NONE, |r, g| r.union(g.rights))
    }
}

impl MonCaps {
    pub fn parse(text: &str) -> Result<MonCaps> {
        let mut caps = MonCaps::default();
        for g in grants(text) {
            let fail = || parse_failed("mon", g, text);
            let w = words(g).map_err(|_| fail())?;
            // `allow profile X` is another spelling of `profile X`.
            let w = if w.len() > 1 && w[0] == "allow" && w[1] == "profile" { w[1..].to_vec() } else { w };
            match w.first().map(String::as_str) {
                Some("allow") => match w.get(1).map(String::as_str) {
                    Some("service") => {
                        let svc = w.get(2).ok_or_else(fail)?;
                        let (r, i) = rights(&w, 3);
                        if r == Rights::NONE || i != w.len() {
                            return Err(fail());
                        }
                        caps.grants.push((Some(svc.clone()), r));
                    }
                    Some("command") => {
                        // `allow command "C" [with K=V ...]`: the command, limited to those
                        // argument values.
                        let name = w.get(2).ok_or_else(fail)?.clone();
                        let mut with = Vec::new();
                        match w.get(3).map(String::as_str) {
                            None => {}
                            Some("with") => {
                                let pairs = &w[4..];
                                if pairs.is_empty() || pairs.len() % 2 != 0 {
                                    return Err(fail());
                                }
                                for kv in pairs.chunks(2) {
                                    with.push((kv[0].clone(), kv[1].clone()));
                                }
                            }
                            Some(_) => return Err(fail()),
                        }
                        caps.commands.push((name, with));
                    }
                    _ => {
                        let (r, mut i) = rights(&w, 1);
                        let mut on_network = true;
                        if w.get(i).map(String::as_str) == Some("network") {
                            on_network = contains_loopback(w.get(i + 1).ok_or_else(fail)?).ok_or_else(fail)?;
                            i += 2;
                        }
                        if r == Rights::NONE || i != w.len() {
                            return Err(fail());
                        }
                        if on_network {
                            caps.grants.push((None, r));
                        }
                    }
                },
                Some("profile") => {
                    let name = w.get(1).ok_or_else(fail)?;
                    if w.len() != 2 {
                        return Err(fail());
                    }
                    if matches!(name.as_str(), "rbd" | "simple-rados-client" | "simple-rados-client-with-blocklist") {
                        for svc in ["mon", "osd", "pg"] {
                            caps.grants.push((Some(svc.to_string()), Rights::R));
                        }
                    }
                    if matches!(name.as_str(), "rbd" | "simple-rados-client-with-blocklist") {
                        caps.commands.push(("osd blocklist".into(), Vec::new()));
                    }
                }
                _ => return Err(fail()),
            }
        }
        Ok(caps)
    }

    /// Whether a command of `service` needing `need` is allowed (`prefix`: its name, and `arg`
    /// its arguments' values, for grants by command).
    pub fn allows(&self, service: &str, need: Rights, prefix: &str, arg: &dyn Fn(&str) -> Option<String>) -> bool {
        let by_command = |(name, with): &(String, Vec<(String, String)>)| {
            name == prefix && with.iter().all(|(k, v)| arg(k).as_deref() == Some(v.as_str()))
        };
        if self.commands.iter().any(by_command) {
            return true;
        }
        let have = self
            .grants
            .iter()
            .filter(|(s, _)| s.as_deref().is_none_or(|s| s == service))
            .fold(Rights::NONE, |r, (_, g)| r.union(*g));
        have.contains(need)
    }
}

/// What a connected client may do: its parsed caps. A cap text that does not parse grants
/// nothing, as in Ceph.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    pub osd: OsdCaps,
    pub mon: MonCaps,
}

impl Grants {
    pub fn from_caps(caps: &std::collections::BTreeMap<String, String>) -> Grants {
        let text = |s: &str| caps.get(s).map(String::as_str).unwrap_or("");
        Grants {
            osd: OsdCaps::parse(text("osd")).unwrap_or_default(),
            mon: MonCaps::parse(text("mon")).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn osd(t: &str) -> OsdCaps {
        OsdCaps::parse(t).unwrap()
    }

    #[test]
    fn profiles_and_pools() {
        let c = osd("profile rbd pool=vms, profile rbd-read-only pool=images");
        assert_eq!(c.rights("vms", Some(""), None), Rights::ALL);
        assert_eq!(c.rights("images", Some(""), None), Rights::IMAGE_READ.union(Rights::CHILD_ATTACH));
        assert!(c.rights("images", Some(""), None).may_attach_child());
        assert!(!osd("allow r class-read pool=images").rights("images", Some(""), None).may_attach_child());
        assert_eq!(c.rights("volumes", Some(""), None), Rights::NONE);
        assert!(c.rights("images", Some(""), None).contains(Rights::IMAGE_READ));
        assert!(!c.rights("images", Some(""), None).contains(Rights::IMAGE_WRITE));
        assert_eq!(osd("profile rbd").rights("any", Some("ns"), None), Rights::ALL);
    }

    #[test]
    fn allow_forms() {
        assert_eq!(osd("allow *").rights("p", Some(""), None), Rights::ALL);
        assert_eq!(osd("allow r").rights("p", Some(""), None), Rights::R);
        assert_eq!(osd("allow rwx pool=a").rights("a", Some("x"), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow pool a rwx").rights("a", Some(""), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow rw pool a").rights("b", Some(""), None), Rights::NONE);
        assert_eq!(osd("allow r class-read pool=a").rights("a", Some(""), None), Rights::IMAGE_READ);
        assert_eq!(osd("allow rwx pool=a namespace=n").rights("a", Some(""), None), Rights::NONE);
        assert_eq!(osd("allow rwx pool=a namespace=\"\"").rights("a", Some(""), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow rwx pool=a namespace=\"\"").rights("a", Some("x"), None), Rights::NONE);
        assert_eq!(osd("allow rwx pool=a namespace=n*").rights("a", Some("nova"), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow rwx pool=a namespace=n").rights("a", Some("n"), None), Rights::IMAGE_WRITE);
        let c = osd("allow rwx object_prefix rbd_children; allow r");
        assert_eq!(c.rights("p", Some(""), Some("rbd_children")), Rights::IMAGE_WRITE);
        assert_eq!(c.rights("p", Some(""), Some("other")), Rights::R);
        assert_eq!(c.rights("p", Some(""), None), Rights::R);
        assert_eq!(osd("allow rw tag cephfs data=fs").rights("p", Some(""), None), Rights::NONE);
        assert_eq!(osd("").rights("p", Some(""), None), Rights::NONE);
    }

    #[test]
    fn bad_osd_caps() {
        for bad in ["allow", "allow bogus", "allow r pool", "permit r", "allow r pool=a junk", "profile", "allow \"r"] {
            let e = OsdCaps::parse(bad).unwrap_err();
            assert_eq!(e.errno(), libc::EINVAL, "{bad}");
            assert!(e.to_string().starts_with("osd capability parse failed"), "{e}");
        }
    }

    #[test]
    fn mon_caps() {
        let none = |_: &str| None;
        let m = MonCaps::parse("profile rbd").unwrap();
        assert!(m.allows("osd", Rights::R, "osd pool ls", &none));
        assert!(!m.allows("osd", Rights::R.union(Rights::W), "osd pool create", &none));
        assert!(!m.allows("auth", Rights::R, "auth ls", &none));
        assert!(m.allows("osd", Rights::W, "osd blocklist", &none));
        let all = MonCaps::parse("allow *").unwrap();
        assert!(all.allows("auth", Rights::ALL, "auth add", &none));
        // `allow r` reads, but auth reads need `rx` and pool changes `rw`.
        let r = MonCaps::parse("allow r").unwrap();
        assert!(r.allows("mon", Rights::R, "status", &none));
        assert!(!r.allows("auth", Rights::R.union(Rights::X), "auth ls", &none));
        assert!(!r.allows("osd", Rights::R.union(Rights::W), "osd pool create", &none));
        let s = MonCaps::parse("allow service osd rw, allow command \"auth get\" with entity=client.x").unwrap();
        assert!(s.allows("osd", Rights::W, "osd pool create", &none) && !s.allows("mon", Rights::R, "status", &none));
        let entity = |v: &'static str| move |k: &str| (k == "entity").then(|| v.to_string());
        assert!(s.allows("auth", Rights::ALL, "auth get", &entity("client.x")));
        assert!(!s.allows("auth", Rights::ALL, "auth get", &entity("client.admin")));
        assert!(!s.allows("auth", Rights::ALL, "auth get", &none));
        assert!(MonCaps::parse("allow").is_err() && MonCaps::parse("profile").is_err());
        assert!(MonCaps::parse("allow zz").is_err());
        assert!(MonCaps::parse("allow command 'x' with odd").is_err());
        assert!(MonCaps::parse("allow profile osd").is_ok() && OsdCaps::parse("allow profile rbd pool=a").is_ok());
        let plain = MonCaps::parse("profile simple-rados-client").unwrap();
        assert!(
            plain.allows("mon", Rights::R, "status", &none) && !plain.allows("osd", Rights::W, "osd blocklist", &none)
        );
        // Networks: clients here report the loopback address.
        assert!(MonCaps::parse("allow r network 127.0.0.0/8").unwrap().allows("mon", Rights::R, "status", &none));
        assert!(!MonCaps::parse("allow r network 10.0.0.0/8").unwrap().allows("mon", Rights::R, "status", &none));
    }

    #[test]
    fn other_grammar() {
        // Single quotes, networks, classes, the plain profiles.
        assert_eq!(osd("allow rwx pool='a b'").rights("a b", Some(""), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow rwx pool=a network 127.0.0.1/32").rights("a", Some(""), None), Rights::IMAGE_WRITE);
        assert_eq!(osd("allow rwx pool=a network 192.168.0.0/16").rights("a", Some(""), None), Rights::NONE);
        assert!(OsdCaps::parse("allow rwx network bogus").is_err());
        assert_eq!(osd("allow rw, allow class lock").rights("p", Some(""), None), Rights::R.union(Rights::W));
        assert_eq!(osd("allow r, allow class rbd").rights("p", Some(""), None), Rights::R.union(Rights::X));
        assert_eq!(osd("profile read-only").rights("p", Some(""), None), Rights::R);
        assert_eq!(osd("profile read-write").rights("p", Some(""), None), Rights::R.union(Rights::W));
    }
}
