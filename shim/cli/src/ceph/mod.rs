//! `ceph`: status, health, fsid, version, df, mon dump, osd pool commands and auth, on rbdshim.
//!
//! As Ceph's tool does, it turns the command line into a JSON command, sends it to the
//! monitor (here [`rbdshim_core::monitor`], the same code `rados_mon_command` runs) and prints
//! the reply: the output on stdout (or into `-o FILE`), the status string on stderr, and on
//! failure "Error ENOENT: ..." with the errno as exit status. `-i FILE` is the command's input.

mod args;
mod reply;
mod request;
mod usage;

use crate::global::Globals;
use crate::{CliError, RunError};
use args::{Cli, Cmd};
use clap::Parser;
use serde_json::Value;

/// Runs one `ceph` command line (without the program name).
pub fn main(argv: Vec<String>) -> i32 {
    crate::run_tool("ceph", argv, run)
}

/// Moves configuration options (`--mon-allow-pool-delete=true`, `--rbd-cache false`) from the
/// command line to the cluster handle's configuration, as Ceph's tool lets librados take them.
fn take_conf_options(g: &mut Globals, rest: Vec<String>) -> Result<Vec<String>, CliError> {
    let mut left = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let a = &rest[i];
        if a == "--" {
            left.extend_from_slice(&rest[i..]);
            break;
        }
        let name = a.strip_prefix("--").map(|n| n.split('=').next().unwrap_or(n).replace('-', "_"));
        let is_option = name.is_some_and(|n| {
            let base = n.strip_prefix("no_").filter(|b| rbdshim_core::options::is_bool(b)).unwrap_or(&n);
            rbdshim_core::options::is_known(base)
        });
        if !is_option {
            left.push(a.clone());
            i += 1;
            continue;
        }
        // How many words the option takes (its value may be the next one).
        let pair: Vec<String> = rest[i..(i + 2).min(rest.len())].to_vec();
        let mut probe = rbdshim_core::config::Config::new(None, None, false)
            .map_err(|e| CliError::new(format!("Error initializing cluster client: {e}"), 0))?;
        let unused = probe
            .parse_conf_argv(&pair)
            .map_err(|e| CliError::new(format!("Error initializing cluster client: {a}: {e}"), 0))?;
        let used = (pair.len() - unused.len()).max(1);
        g.args.extend_from_slice(&rest[i..i + used]);
        i += used;
    }
    Ok(left)
}

fn run(mut g: Globals, rest: Vec<String>) -> Result<(), RunError> {
    let rest = take_conf_options(&mut g, rest)?;
    // -h anywhere asks for help about the command words given.
    let before_dashes = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
    let help = rest[..before_dashes].iter().any(|a| a == "-h" || a == "--help");
    if help {
        let args: Vec<String> = rest.into_iter().filter(|a| a != "-h" && a != "--help").collect();
        print!("{}", usage::help(&usage::command_words(&args)));
        return Ok(());
    }
    let cli = Cli::try_parse_from(std::iter::once("ceph".to_string()).chain(rest.iter().cloned()))
        .map_err(|e| usage::from_clap(e, &rest))?;
    if cli.version {
        println!("{}", rbdshim_core::monitor::version_line());
        return Ok(());
    }
    let cmd = match (&cli.cmd, cli.status) {
        (_, true) => &Cmd::Status,
        (Some(c), false) => c,
        (None, false) => return Err(usage::no_match(&[]).into()),
    };
    let mut json = request::build(cmd).map_err(|detail| usage::invalid(&usage::command_words(&rest), &detail))?;
    if let Some(f) = &cli.format {
        json.insert("format".into(), Value::String(f.clone()));
    }
    let json = Value::Object(json).to_string();
    let inbuf = match &cli.in_file {
        Some(p) => reply::read_input(p)?,
        None => Vec::new(),
    };
    let mut out_file = match &cli.out_file {
        Some(p) => Some(reply::open_output(p)?),
        None => None,
    };
    if cli.verbose {
        eprintln!("Submitting command:  {json}");
    }
    let cluster = g.configure().map_err(|e| {
        match rados_exception(e.errno) {
            Some((exc, what)) => {
                eprintln!("Error initializing cluster client: {exc}('{what} (error calling conf_read_file)')")
            }
            None => eprintln!("Error initializing cluster client: OSError('error calling conf_read_file')"),
        }
        CliError::silent(0)
    })?;
    cluster.connect().map_err(|e| connect_failed(e.errno()))?;
    let r = rbdshim_core::monitor::mon_command(&cluster, &json, &inbuf);
    let json_out = cli.format.as_deref().map(|f| f.starts_with("json")).unwrap_or(false);
    match reply::print(&r, json_out, out_file.as_mut())? {
        0 => Ok(()),
        code => Err(CliError::silent(code).into()),
    }
}

/// The Python binding's exception class and text for an errno (None: a plain OSError, which
/// adds no text of its own).
fn rados_exception(errno: i32) -> Option<(&'static str, &'static str)> {
    Some(match errno {
        libc::EACCES => ("PermissionDeniedError", "RADOS permission denied"),
        libc::EPERM => ("PermissionError", "RADOS permission error"),
        libc::ENOENT => ("ObjectNotFound", "RADOS object not found"),
        libc::EINVAL => ("InvalidArgumentError", "RADOS invalid argument"),
        libc::ETIMEDOUT => ("TimedOut", "RADOS timed out"),
        libc::EIO => ("IOError", "RADOS I/O error"),
        libc::ENOSPC => ("NoSpace", "RADOS no space"),
        _ => return None,
    })
}

/// Ceph's `ceph` prints the Python binding's exception for a failed connect and exits 13 when
/// permission was denied, 1 otherwise: "[errno 13] RADOS permission denied (error connecting
/// to the cluster)".
fn connect_failed(errno: i32) -> CliError {
    match rados_exception(errno) {
        Some((_, what)) => eprintln!("[errno {errno}] {what} (error connecting to the cluster)"),
        None => eprintln!("[errno {errno}] error connecting to the cluster"),
    }
    CliError::silent(if errno == libc::EACCES { libc::EACCES } else { 0 })
}
