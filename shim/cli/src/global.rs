//! Options every command accepts wherever they appear (`--id cinder --conf F --cluster ceph`),
//! CEPH_ARGS, and connecting to the store with them.

use crate::error::Ctx;
use crate::{CliError, CliResult};
use rbdshim_core::{Cluster, IoCtx};
use std::sync::Arc;

/// Global options that take a value, in every spelling Ceph's tools accept.
const WITH_VALUE: &[&str] = &[
    "-c",
    "--conf",
    "--cluster",
    "--id",
    "--user",
    "-i",
    "-n",
    "--name",
    "-k",
    "--keyring",
    "--keyfile",
    "--key",
    "-m",
    "--mon-host",
    "--mon_host",
    "--rbdshim-backend",
    "--rbdshim_backend",
    "--rbd-default-pool",
    "--rbd_default_pool",
    "--client-mount-timeout",
    "--client_mount_timeout",
    "--log-file",
    "--log_file",
];

/// The command line split into global options (for the configuration) and the rest (for
/// the command parser). CEPH_ARGS comes first, as Ceph treats it.
#[derive(Debug, Default, Clone)]
pub struct Globals {
    pub args: Vec<String>,
}

pub fn split_args(argv: Vec<String>) -> CliResult<(Globals, Vec<String>)> {
    split_args_for("rbd", argv)
}

/// [`split_args`] for one tool: for `ceph`, `-i` is the input file (`--in-file`), not `--id`.
pub fn split_args_for(tool: &str, argv: Vec<String>) -> CliResult<(Globals, Vec<String>)> {
    let mut all: Vec<String> =
        std::env::var("CEPH_ARGS").map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default();
    let ceph_args = all.len();
    all.extend(argv);
    let mut g = Globals::default();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let a = &all[i];
        if a == "--" {
            rest.extend(all[i..].iter().cloned());
            break;
        }
        let flag = a.split_once('=').filter(|_| a.starts_with("--")).map(|(f, _)| f).unwrap_or(a);
        if WITH_VALUE.contains(&flag) && !(tool == "ceph" && flag == "-i") {
            g.args.push(a.clone());
            if flag == a.as_str() {
                i += 1;
                let v = all
                    .get(i)
                    .ok_or_else(|| CliError::usage(format!("error: the argument for option '{a}' is missing")))?;
                g.args.push(v.clone());
            }
        } else if i < ceph_args {
            // CEPH_ARGS holds configuration only; anything else there is a config option.
            g.args.push(a.clone());
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    Ok((g, rest))
}

impl Globals {
    pub fn conf_path(&self) -> Option<&str> {
        let mut it = self.args.iter();
        let mut found = None;
        while let Some(a) = it.next() {
            match a.as_str() {
                "-c" | "--conf" => found = it.next().map(String::as_str),
                s if s.starts_with("--conf=") => found = Some(&s["--conf=".len()..]),
                _ => {}
            }
        }
        found
    }

    /// A connected cluster handle: the configuration file (--conf, else Ceph's default
    /// places; none at all is fine, as for Ceph's tools), then the other options.
    pub fn connect(&self) -> CliResult<Arc<Cluster>> {
        let c = self.configure()?;
        c.connect().ctx(|| "error connecting to the cluster".into())?;
        Ok(c)
    }

    /// A configured, not yet connected handle. A configuration that cannot be read is an
    /// error carrying the reason (the file's parse error) and its errno.
    pub fn configure(&self) -> CliResult<Arc<Cluster>> {
        let conf_err = |e: rbdshim_core::Error| CliError::new(e.to_string(), e.errno());
        let c = Cluster::new(None, None, false).ctx(|| "error creating cluster handle".into())?;
        let mut others = Vec::new();
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-c" | "--conf" => {
                    it.next();
                }
                s if s.starts_with("--conf=") => {}
                _ => others.push(a.clone()),
            }
        }
        // Name and cluster first: they choose the configuration file and its sections.
        c.config_mut().parse_argv(&others).map_err(conf_err)?;
        match self.conf_path() {
            Some(p) => c.conf_read_file(Some(p)).map_err(conf_err)?,
            None => match c.conf_read_file(None) {
                Ok(()) | Err(rbdshim_core::Error::NotFound) => {}
                Err(e) => return Err(conf_err(e)),
            },
        }
        // Command-line values win over the file's.
        c.config_mut().parse_argv(&others).map_err(conf_err)?;
        Ok(c)
    }

    /// The pool used when a spec names none (rbd_default_pool, "rbd").
    pub fn default_pool(c: &Cluster) -> String {
        c.conf_get("rbd_default_pool").unwrap_or_else(|_| "rbd".to_string())
    }
}

/// Opens pool `pool`, namespace `ns`, with Ceph's messages.
pub fn ioctx(c: &Arc<Cluster>, pool: &str, ns: &str, tool: &str) -> CliResult<IoCtx> {
    let io = c.ioctx(pool).map_err(|e| CliError::new(format!("{tool}: error opening pool '{pool}'"), e.errno()))?;
    if !ns.is_empty() {
        io.set_namespace(Some(ns));
        if !rbdshim_core::manage::namespace_exists(&io, ns).unwrap_or(false) {
            return Err(CliError::new(format!("{tool}: error opening namespace '{ns}'"), libc::ENOENT));
        }
    }
    Ok(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn globals_are_pulled_out_anywhere() {
        let (g, rest) =
            split_args(s(&["import", "--pool", "vms", "f", "d", "--id", "cinder", "--conf=/x", "--cluster", "ceph"]))
                .unwrap();
        assert_eq!(rest, s(&["import", "--pool", "vms", "f", "d"]));
        assert_eq!(g.args, s(&["--id", "cinder", "--conf=/x", "--cluster", "ceph"]));
        assert_eq!(g.conf_path(), Some("/x"));
        assert!(split_args(s(&["ls", "--id"])).is_err());
    }

    #[test]
    fn ceph_reads_dash_i_as_its_input_file() {
        let (g, rest) = split_args_for("ceph", s(&["auth", "import", "-i", "k", "-n", "client.admin"])).unwrap();
        assert_eq!(rest, s(&["auth", "import", "-i", "k"]));
        assert_eq!(g.args, s(&["-n", "client.admin"]));
        let (g, _) = split_args(s(&["ls", "-i", "cinder"])).unwrap();
        assert_eq!(g.args, s(&["-i", "cinder"]));
    }
}
