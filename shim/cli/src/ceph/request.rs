//! A parsed command line as the JSON command the monitor takes (`{"prefix": "osd pool get",
//! "pool": "rbd", "var": "size"}`), with the argument names of Ceph's command descriptions.

use super::args::{AppCmd, AuthCmd, Cmd, MonCmd, OsdCmd, PoolCmd};
use serde_json::{json, Map, Value};

/// The optional arguments of `osd pool create` after the pool name, in Ceph's order: each word
/// goes to the first remaining one whose type accepts it.
#[derive(Clone, Copy)]
enum Ty {
    Int,
    Float,
    Str,
    Choice(&'static [&'static str]),
    /// A `--flag`.
    Bool,
}

const CREATE_ARGS: &[(&str, Ty)] = &[
    ("pg_num", Ty::Int),
    ("pgp_num", Ty::Int),
    ("pool_type", Ty::Choice(&["replicated", "erasure"])),
    ("erasure_code_profile", Ty::Str),
    ("rule", Ty::Str),
    ("expected_num_objects", Ty::Int),
    ("size", Ty::Int),
    ("pg_num_min", Ty::Int),
    ("pg_num_max", Ty::Int),
    ("autoscale_mode", Ty::Choice(&["on", "off", "warn"])),
    ("bulk", Ty::Bool),
    ("target_size_bytes", Ty::Int),
    ("target_size_ratio", Ty::Float),
];

/// How `osd pool create` shows in help.
pub const CREATE_SIG: &str = "osd pool create <pool> [<pg_num:int>] [<pgp_num:int>] [replicated|erasure] \
     [<erasure_code_profile>] [<rule>] [<expected_num_objects:int>] [<size:int>] [<pg_num_min:int>] \
     [<pg_num_max:int>] [on|off|warn] [--bulk] [<target_size_bytes:int>] [<target_size_ratio:float>]";

fn accepts(ty: Ty, w: &str) -> Option<Value> {
    match ty {
        Ty::Int => w.parse::<i64>().ok().filter(|n| *n >= 0).map(|n| json!(n)),
        Ty::Float => w.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| json!(f)),
        Ty::Str => (!w.starts_with("--")).then(|| json!(w)),
        Ty::Choice(set) => set.contains(&w).then(|| json!(w)),
        Ty::Bool => None,
    }
}

/// Matches the words after `osd pool create <pool>` (also `--name value` and `--name=value`)
/// as Ceph does; an error is the "Invalid command" detail.
fn create_args(words: &[String], m: &mut Map<String, Value>) -> Result<(), String> {
    let mut next = 0;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if let Some(kw) = w.strip_prefix("--") {
            let (name, inline) = match kw.split_once('=') {
                Some((n, v)) => (n.replace('-', "_"), Some(v.to_string())),
                None => (kw.replace('-', "_"), None),
            };
            let Some((name, ty)) = CREATE_ARGS.iter().find(|(n, _)| *n == name) else {
                return Err(format!("Unexpected argument '{w}'"));
            };
            if matches!(ty, Ty::Bool) && inline.is_none() {
                m.insert(name.to_string(), json!(true));
                i += 1;
                continue;
            }
            let v = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    words.get(i).cloned().ok_or_else(|| format!("Unexpected argument '{w}'"))?
                }
            };
            let val = accepts(*ty, &v).ok_or_else(|| format!("{v} not valid for {name}"))?;
            m.insert(name.to_string(), val);
            i += 1;
            continue;
        }
        loop {
            let Some((name, ty)) = CREATE_ARGS.get(next) else {
                let rest: Vec<String> = words[i..].iter().map(|w| format!("'{w}'")).collect();
                return Err(format!("unused arguments: [{}]", rest.join(", ")));
            };
            next += 1;
            if let Some(v) = accepts(*ty, w) {
                m.insert(name.to_string(), v);
                break;
            }
        }
        i += 1;
    }
    Ok(())
}

fn s(v: &str) -> Value {
    json!(v)
}

/// The JSON command for a parsed command, or the "Invalid command" detail.
pub fn build(cmd: &Cmd) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    let prefix = match cmd {
        Cmd::Status => "status",
        Cmd::Health { detail } => {
            if let Some(d) = detail {
                put("detail", s(d));
            }
            "health"
        }
        Cmd::Fsid => "fsid",
        Cmd::Version => "version",
        Cmd::Versions => "versions",
        Cmd::Df { detail } => {
            if let Some(d) = detail {
                put("detail", s(d));
            }
            "df"
        }
        Cmd::Mon { cmd: MonCmd::Dump { epoch } } => {
            if let Some(e) = epoch {
                put("epoch", json!(e));
            }
            "mon dump"
        }
        Cmd::Osd { cmd: OsdCmd::Lspools } => "osd lspools",
        Cmd::Osd { cmd: OsdCmd::Pool { cmd } } => pool(cmd, &mut put)?,
        Cmd::Auth { cmd } => auth(cmd, &mut put),
    };
    m.insert("prefix".into(), s(prefix));
    Ok(m)
}

fn pool(cmd: &PoolCmd, put: &mut impl FnMut(&str, Value)) -> Result<&'static str, String> {
    Ok(match cmd {
        PoolCmd::Ls { detail } => {
            if let Some(d) = detail {
                put("detail", s(d));
            }
            "osd pool ls"
        }
        PoolCmd::Create { pool, rest, bulk } => {
            put("pool", s(pool));
            let mut m = Map::new();
            create_args(rest, &mut m)?;
            for (k, v) in m {
                put(&k, v);
            }
            if *bulk {
                put("bulk", json!(true));
            }
            "osd pool create"
        }
        PoolCmd::Rm { pool, pool2, yes_i_really_really_mean_it, yes_i_really_really_mean_it_not_faking } => {
            put("pool", s(pool));
            if let Some(p) = pool2 {
                put("pool2", s(p));
            }
            if *yes_i_really_really_mean_it {
                put("yes_i_really_really_mean_it", json!(true));
            }
            if *yes_i_really_really_mean_it_not_faking {
                put("yes_i_really_really_mean_it_not_faking", json!(true));
            }
            "osd pool rm"
        }
        PoolCmd::Get { pool, var } => {
            put("pool", s(pool));
            put("var", s(var));
            "osd pool get"
        }
        PoolCmd::Set { pool, var, val, yes_i_really_mean_it } => {
            put("pool", s(pool));
            put("var", s(var));
            put("val", s(val));
            if *yes_i_really_mean_it {
                put("yes_i_really_mean_it", json!(true));
            }
            "osd pool set"
        }
        PoolCmd::GetQuota { pool } => {
            put("pool", s(pool));
            "osd pool get-quota"
        }
        PoolCmd::SetQuota { pool, field, val } => {
            put("pool", s(pool));
            put("field", s(field));
            put("val", s(val));
            "osd pool set-quota"
        }
        PoolCmd::Application { cmd } => application(cmd, put),
    })
}

fn application(cmd: &AppCmd, put: &mut impl FnMut(&str, Value)) -> &'static str {
    match cmd {
        AppCmd::Enable { pool, app, yes_i_really_mean_it } | AppCmd::Disable { pool, app, yes_i_really_mean_it } => {
            put("pool", s(pool));
            put("app", s(app));
            if *yes_i_really_mean_it {
                put("yes_i_really_mean_it", json!(true));
            }
            if matches!(cmd, AppCmd::Enable { .. }) {
                "osd pool application enable"
            } else {
                "osd pool application disable"
            }
        }
        AppCmd::Get { pool, app, key } => {
            for (k, v) in [("pool", pool), ("app", app), ("key", key)] {
                if let Some(v) = v {
                    put(k, s(v));
                }
            }
            "osd pool application get"
        }
        AppCmd::Set { pool, app, key, value } => {
            for (k, v) in [("pool", pool), ("app", app), ("key", key), ("value", value)] {
                put(k, s(v));
            }
            "osd pool application set"
        }
        AppCmd::Rm { pool, app, key } => {
            for (k, v) in [("pool", pool), ("app", app), ("key", key)] {
                put(k, s(v));
            }
            "osd pool application rm"
        }
    }
}

fn with_caps(entity: &str, caps: &[String], put: &mut impl FnMut(&str, Value)) {
    put("entity", s(entity));
    if !caps.is_empty() {
        put("caps", json!(caps));
    }
}

fn auth(cmd: &AuthCmd, put: &mut impl FnMut(&str, Value)) -> &'static str {
    match cmd {
        AuthCmd::Ls => "auth ls",
        AuthCmd::Get { entity } => {
            put("entity", s(entity));
            "auth get"
        }
        AuthCmd::GetKey { entity } => {
            put("entity", s(entity));
            "auth get-key"
        }
        AuthCmd::Export { entity } => {
            if let Some(e) = entity {
                put("entity", s(e));
            }
            "auth export"
        }
        AuthCmd::Import => "auth import",
        AuthCmd::Add { entity, caps } => {
            with_caps(entity, caps, put);
            "auth add"
        }
        AuthCmd::GetOrCreate { entity, caps } => {
            with_caps(entity, caps, put);
            "auth get-or-create"
        }
        AuthCmd::GetOrCreateKey { entity, caps } => {
            with_caps(entity, caps, put);
            "auth get-or-create-key"
        }
        AuthCmd::Caps { entity, caps } => {
            with_caps(entity, caps, put);
            "auth caps"
        }
        AuthCmd::Rm { entity } => {
            put("entity", s(entity));
            "auth rm"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(words: &[&str]) -> Result<Map<String, Value>, String> {
        let mut m = Map::new();
        create_args(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>(), &mut m)?;
        Ok(m)
    }

    #[test]
    fn pool_create_arguments_match_by_type() {
        let m = create(&["64"]).unwrap();
        assert_eq!(m["pg_num"], 64);
        let m = create(&["64", "32", "replicated"]).unwrap();
        assert_eq!(
            (m["pg_num"].clone(), m["pgp_num"].clone(), m["pool_type"].clone()),
            (json!(64), json!(32), json!("replicated"))
        );
        let m = create(&["erasure"]).unwrap();
        assert_eq!(m["pool_type"], "erasure");
        assert!(!m.contains_key("pg_num"));
        let m = create(&["--pg_num", "8", "--autoscale-mode=off"]).unwrap();
        assert_eq!((m["pg_num"].clone(), m["autoscale_mode"].clone()), (json!(8), json!("off")));
        assert_eq!(create(&["--bogus", "1"]).unwrap_err(), "Unexpected argument '--bogus'");
        assert_eq!(create(&["16", "--bulk", "on"]).unwrap()["bulk"], true);
        let e = create(&["8", "8", "replicated", "p", "r", "1", "3", "1", "2", "on", "10", "0.5", "x"]).unwrap_err();
        assert_eq!(e, "unused arguments: ['x']");
    }
}
