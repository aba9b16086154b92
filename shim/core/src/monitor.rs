//! Answers to the monitor commands clients send (`rados_mon_command`, the Python module's
//! `mon_command`, the `ceph` tool), shaped as Ceph 16.2 shapes them, from what the store knows.
//! One implementation for all front ends.
//!
//! A command is Ceph's JSON: `{"prefix": "osd pool get", "pool": "rbd", "var": "size",
//! "format": "json"}`. The reply is Ceph's triple: a status (0 or -errno), the output buffer
//! (JSON or XML when a format is asked for, else Ceph's plain text) and a status string (the
//! message Ceph's tool prints on stderr, "pool 'x' created", "unrecognized pool 'x'").

mod auth;
mod df;
mod pools;
mod status;
mod text;

pub use pools::{get_vars as pool_get_vars, set_vars as pool_set_vars};

use crate::auth::caps::Rights;
use crate::cluster::Cluster;
use crate::formatter::Format;
use crate::{Error, Result};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The one monitor this store presents (mon.rbdshim).
pub const MON_NAME: &str = "rbdshim";
/// The Ceph release this store answers as.
pub const CEPH_VERSION: &str = "16.2.15";

/// "ceph version 16.2.15 (rbdshim-0.1.0) pacific (stable)": Ceph's version line, with rbdshim
/// where Ceph puts its git hash.
pub fn version_line() -> String {
    format!("ceph version {CEPH_VERSION} (rbdshim-{}) pacific (stable)", env!("CARGO_PKG_VERSION"))
}

/// rados_ping_monitor: the monitor's reply to a ping, as JSON text; -ENOENT for another mon.
pub fn ping(cluster: &Arc<Cluster>, mon_id: &str) -> Result<String> {
    if mon_id != MON_NAME {
        return Err(Error::NotFound);
    }
    let reply = json!({
        "health": {"status": "HEALTH_OK", "checks": {}},
        "mon_status": {
            "name": MON_NAME,
            "rank": 0,
            "state": "leader",
            "quorum": [0],
            "monmap": {"fsid": cluster.fsid()?, "epoch": 1},
        },
    });
    Ok(reply.to_string())
}

/// A monitor's reply: status (0 or a negative errno), output buffer, status string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub ret: i32,
    pub outbuf: Vec<u8>,
    pub outs: String,
}

/// rados_mon_command: runs the JSON command `cmd` with input `inbuf` (`ceph ... -i FILE`).
/// Failures come back in the reply, with Ceph's message as the status string.
pub fn mon_command(cluster: &Arc<Cluster>, cmd: &str, inbuf: &[u8]) -> Reply {
    match run(cluster, cmd, inbuf) {
        Ok((outbuf, outs)) => Reply { ret: 0, outbuf, outs },
        Err(e) => Reply { ret: -e.errno(), outbuf: Vec::new(), outs: e.to_string() },
    }
}

/// Runs a JSON command; returns (output, status string), or the failure with Ceph's message
/// (an [`Error::Message`] for the failures Ceph explains). Unknown commands are -EINVAL.
pub fn command(cluster: &Arc<Cluster>, cmd: &str) -> Result<(Vec<u8>, String)> {
    run(cluster, cmd, &[])
}

/// The parsed command and what handlers need from it.
pub(crate) struct Cmd<'a> {
    pub cluster: &'a Arc<Cluster>,
    args: Map<String, Value>,
    pub fmt: Format,
    pub inbuf: &'a [u8],
}

/// What a handler answers: output buffer and status string.
pub(crate) type Answer = (Vec<u8>, String);

impl Cmd<'_> {
    /// A string argument (the first one if a list was given).
    pub fn str(&self, k: &str) -> Option<&str> {
        match self.args.get(k)? {
            Value::String(s) => Some(s),
            Value::Array(a) => a.first().and_then(Value::as_str),
            _ => None,
        }
    }

    /// A required string argument.
    pub fn req(&self, k: &str) -> Result<&str> {
        self.str(k).ok_or_else(|| Error::msg(libc::EINVAL, format!("missing required parameter {k}")))
    }

    /// An integer argument, given as a number or as text.
    pub fn int(&self, k: &str) -> Result<Option<i64>> {
        match self.args.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| Error::msg(libc::EINVAL, format!("{k}: {n} is not an integer")))
            }
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::msg(libc::EINVAL, format!("{k}: '{s}' doesn't represent an int"))),
            Some(other) => Err(Error::msg(libc::EINVAL, format!("{k}: {other} is not an integer"))),
        }
    }

    /// A floating-point argument, given as a number or as text.
    pub fn float(&self, k: &str) -> Result<Option<f64>> {
        match self.args.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| Error::msg(libc::EINVAL, format!("{k}: '{s}' doesn't represent a float"))),
            Some(other) => Err(Error::msg(libc::EINVAL, format!("{k}: {other} is not a number"))),
        }
    }

    /// A flag (`--yes-i-really-mean-it`), given as true or "true".
    pub fn flag(&self, k: &str) -> bool {
        match self.args.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "--yes-i-really-mean-it" || s.starts_with("--yes-i-really"),
            _ => false,
        }
    }

    /// A list of strings (`caps`), given as a list or as one string.
    pub fn strs(&self, k: &str) -> Vec<String> {
        match self.args.get(k) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Output in the asked format: `v` for JSON and XML (`root` and `item` name the XML
    /// elements), `plain` otherwise.
    pub fn out(&self, v: &Value, root: &str, item: &str, plain: impl FnOnce() -> String) -> Vec<u8> {
        match self.fmt {
            Format::Plain => plain().into_bytes(),
            f => f.render(v, root, item).into_bytes(),
        }
    }

    /// Output of commands whose plain form is pretty JSON in Ceph (`application get`, `versions`).
    pub fn out_json_default(&self, v: &Value, root: &str, item: &str) -> Vec<u8> {
        let f = if self.fmt == Format::Plain { Format::JsonPretty } else { self.fmt };
        f.render(v, root, item).into_bytes()
    }
}

/// The service and rights a command needs of the client's mon caps (Ceph's command table:
/// reads `r`, pool changes `rw`, auth reads `rx`, auth changes and config `rwx`/`rw`).
fn required_caps(prefix: &str) -> (&'static str, Rights) {
    let rw = Rights::R.union(Rights::W);
    match prefix {
        "auth ls" | "auth list" | "auth get" | "auth get-key" | "auth print-key" | "auth print_key" | "auth export" => {
            ("auth", Rights::R.union(Rights::X))
        }
        p if p.starts_with("auth ") => ("auth", Rights::ALL),
        "config get" => ("config", Rights::R),
        p if p.starts_with("config ") => ("config", rw),
        "osd lspools" | "osd pool ls" | "osd pool get" | "osd pool get-quota" | "osd pool application get" => {
            ("osd", Rights::R)
        }
        p if p.starts_with("osd ") => ("osd", rw),
        _ => ("mon", Rights::R),
    }
}

fn run(cluster: &Arc<Cluster>, cmd: &str, inbuf: &[u8]) -> Result<Answer> {
    let v: Value = serde_json::from_str(cmd).map_err(|_| Error::msg(libc::EINVAL, "command is not JSON"))?;
    let Value::Object(args) = v else { return Err(Error::msg(libc::EINVAL, "command is not a JSON object")) };
    let prefix = args
        .get("prefix")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::msg(libc::EINVAL, "command without prefix"))?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Ceph falls back to plain text for a format it does not know.
    let fmt = Format::parse(args.get("format").and_then(Value::as_str)).unwrap_or(Format::Plain);
    // Unknown commands are -EINVAL whoever asks; known ones need the caps Ceph's table gives.
    let Some(handler) = handler(&prefix) else {
        return Err(Error::msg(libc::EINVAL, "command not known"));
    };
    let (service, need) = required_caps(&prefix);
    let arg = |k: &str| args.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
    if !cluster.mon_allows(service, need, &prefix, &arg) {
        return Err(Error::msg(libc::EACCES, "access denied"));
    }
    let c = Cmd { cluster, args, fmt, inbuf };
    handler(&c)
}

type Handler = fn(&Cmd) -> Result<Answer>;

/// The command named `prefix`, if this monitor knows it.
fn handler(prefix: &str) -> Option<Handler> {
    Some(match prefix {
        "status" => status::status,
        "health" => status::health,
        "fsid" => status::fsid,
        "version" => status::version,
        "versions" => status::versions,
        "mon dump" => status::mon_dump,
        "df" => df::df,
        "osd lspools" => pools::lspools,
        "osd pool ls" => pools::ls,
        "osd pool create" => pools::create,
        "osd pool rm" | "osd pool delete" => pools::delete,
        "osd pool get" => pools::get,
        "osd pool set" => pools::set,
        "osd pool get-quota" => pools::get_quota,
        "osd pool set-quota" => pools::set_quota,
        "osd pool application enable" => pools::application_enable,
        "osd pool application disable" => pools::application_disable,
        "osd pool application get" => pools::application_get,
        "osd pool application set" => pools::application_set,
        "osd pool application rm" => pools::application_rm,
        "auth ls" | "auth list" => auth::ls,
        "auth get" => auth::get,
        "auth get-key" | "auth print-key" | "auth print_key" => auth::get_key,
        "auth export" => auth::export,
        "auth get-or-create" => |c| auth::get_or_create(c, false),
        "auth get-or-create-key" => |c| auth::get_or_create(c, true),
        "auth add" => auth::add,
        "auth caps" => auth::caps,
        "auth rm" | "auth del" => auth::rm,
        "auth import" => auth::import,
        "config set" => auth::config_set,
        "config get" => auth::config_get,
        _ => return None,
    })
}
