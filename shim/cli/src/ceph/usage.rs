//! What `ceph` says about its commands: their signatures in Ceph's notation (from the clap
//! definitions), `-h` help, and Ceph's complaints about a command line that matches no command
//! ("no valid command found; 10 closest matches:", "Invalid command: ...").

use super::args::Cli;
use super::request::CREATE_SIG;
use crate::CliError;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory};

/// Global options that take a value (their value is not a command word).
const OPTS_WITH_VALUE: &[&str] = &["-f", "--format", "-o", "--out-file", "-i", "--in-file", "--connect-timeout"];

/// One command: its words, Ceph-style signature and help.
pub struct Sig {
    pub words: Vec<String>,
    pub sig: String,
    pub help: String,
}

fn chunk(a: &Arg) -> String {
    let values: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
    let mut s = if !values.is_empty() {
        values.join("|")
    } else {
        let name = a.get_value_names().and_then(|v| v.first()).map(|s| s.to_string());
        format!("<{}>", name.unwrap_or_else(|| a.get_id().to_string()))
    };
    if a.get_num_args().map(|r| r.max_values() > 1).unwrap_or(false) || matches!(a.get_action(), ArgAction::Append) {
        s += "...";
    }
    if !a.is_required_set() {
        s = format!("[{s}]");
    }
    s
}

/// How Ceph names an argument in "missing required parameter pool(<poolname>)".
fn desc(a: &Arg) -> String {
    let id = a.get_id().to_string();
    let values: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
    if values.len() == 1 {
        return values[0].clone();
    }
    if !values.is_empty() {
        return format!("{id}({})", values.join("|"));
    }
    let name = a.get_value_names().and_then(|v| v.first()).map(|s| s.to_string()).unwrap_or_default();
    let ty = if name.ends_with(":int") {
        "<int>"
    } else if id.starts_with("pool") {
        "<poolname>"
    } else {
        "<string>"
    };
    format!("{id}({ty})")
}

fn leaf_sig(words: &[String], cmd: &Command) -> String {
    let joined = words.join(" ");
    if joined == "osd pool create" {
        return CREATE_SIG.to_string();
    }
    let mut parts = vec![joined];
    for a in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        parts.push(chunk(a));
    }
    for a in cmd.get_arguments().filter(|a| !a.is_positional() && !a.is_global_set() && !a.is_hide_set()) {
        if let Some(l) = a.get_long() {
            parts.push(format!("[--{l}]"));
        }
    }
    parts.join(" ")
}

fn collect(cmd: &Command, words: &mut Vec<String>, out: &mut Vec<Sig>) {
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands() {
            let names: Vec<String> = std::iter::once(sub.get_name().to_string())
                .chain(sub.get_visible_aliases().map(str::to_string))
                .collect();
            for n in names {
                words.push(n);
                collect(sub, words, out);
                words.pop();
            }
        }
    } else if !words.is_empty() {
        out.push(Sig {
            words: words.clone(),
            sig: leaf_sig(words, cmd),
            help: cmd.get_about().map(|a| a.to_string()).unwrap_or_default(),
        });
    }
}

/// Every command's signature, in definition order.
pub fn signatures() -> Vec<Sig> {
    let mut out = Vec::new();
    collect(&Cli::command(), &mut Vec::new(), &mut out);
    out
}

/// The command words of a command line: those naming subcommands, from the start, skipping
/// options (and the values of those that take one).
pub fn command_words(args: &[String]) -> Vec<String> {
    let root = Cli::command();
    let mut cmd = &root;
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a.starts_with('-') && a.len() > 1 {
            if OPTS_WITH_VALUE.contains(&a.as_str()) {
                i += 1;
            }
            continue;
        }
        match cmd.find_subcommand(a) {
            Some(sub) => {
                words.push(sub.get_name().to_string());
                cmd = sub;
            }
            None => break,
        }
    }
    words
}

fn find<'a>(root: &'a Command, words: &[String]) -> Option<&'a Command> {
    let mut cmd = root;
    for w in words {
        cmd = cmd.find_subcommand(w)?;
    }
    Some(cmd)
}

/// Ceph's wrapping of help columns: break before `width` where no word is cut, indenting
/// continuation lines by one space.
fn wrap(s: &str, width: usize) -> Vec<String> {
    let keep = |c: char| c.is_ascii_alphabetic() || "{[<>]}".contains(c);
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut rest = &chars[..];
    let mut w = width;
    while !rest.is_empty() {
        if rest.len() <= w {
            let lead = if out.is_empty() { "" } else { " " };
            out.push(format!("{lead}{}", rest.iter().collect::<String>()));
            break;
        }
        let mut split = w;
        while split > 0 && keep(rest[split - 1]) {
            split -= 1;
        }
        if split == 0 {
            split = w;
        }
        let lead = if out.is_empty() { "" } else { " " };
        out.push(format!("{lead}{}", rest[..split].iter().collect::<String>().trim_start()));
        if out.len() == 1 {
            w -= 1;
        }
        rest = &rest[split..];
    }
    out
}

/// The two-column listing of commands whose signature starts with `partial`.
pub fn format_help(partial: &str) -> String {
    let mut sigs = signatures();
    sigs.sort_by(|a, b| a.sig.cmp(&b.sig));
    let (sig_width, help_width) = (39, 40);
    let mut out = String::new();
    for s in sigs.iter().filter(|s| !s.help.is_empty() && s.sig.starts_with(partial)) {
        let mut sl = wrap(&s.sig, sig_width);
        let mut hl = wrap(&s.help, help_width);
        let n = sl.len().max(hl.len());
        sl.resize(n, String::new());
        hl.resize(n, String::new());
        for (a, b) in sl.iter().zip(&hl) {
            out += format!("{a:sig_width$} {b}").trim_end();
            out.push('\n');
        }
    }
    out
}

const GENERAL: &str = "usage: ceph [-h] [-c CEPHCONF] [-i INPUT_FILE] [-o OUTPUT_FILE]
            [--id CLIENT_ID] [--name CLIENT_NAME] [--cluster CLUSTER] [-s]
            [--version] [--verbose] [--concise]
            [-f {json,json-pretty,xml,xml-pretty,plain}]
            [--connect-timeout CLUSTER_TIMEOUT]

Ceph administration tool

optional arguments:
  -h, --help            request mon help
  -c CEPHCONF, --conf CEPHCONF
                        ceph configuration file
  -i INPUT_FILE, --in-file INPUT_FILE
                        input file, or \"-\" for stdin
  -o OUTPUT_FILE, --out-file OUTPUT_FILE
                        output file, or \"-\" for stdout
  --id CLIENT_ID, --user CLIENT_ID
                        client id for authentication
  --name CLIENT_NAME, -n CLIENT_NAME
                        client name for authentication
  --cluster CLUSTER     cluster name
  -s, --status          show cluster status
  --version, -v         display version
  --verbose             make verbose
  --concise             make less verbose
  -f {json,json-pretty,xml,xml-pretty,plain}, --format {json,json-pretty,xml,xml-pretty,plain}
  --connect-timeout CLUSTER_TIMEOUT
                        set a timeout for connecting to the cluster
";

/// `ceph [words] -h`: general usage, then the commands starting with `words`.
pub fn help(words: &[String]) -> String {
    let hdr = |s: &str| format!("\n {s} \n {}\n", "=".repeat(s.len()));
    let mut out = hdr("General usage:");
    out += GENERAL;
    out += &hdr("Monitor commands:");
    out += &format_help(&words.join(" "));
    out
}

fn print_invalid(detail: &str, sig: &Sig) -> CliError {
    eprintln!("Invalid command: {detail}");
    eprintln!("{} :  {}", sig.sig, sig.help);
    eprintln!("Error EINVAL: invalid command");
    CliError::silent(libc::EINVAL)
}

/// "Invalid command: ..." for the command `words` names.
pub fn invalid(words: &[String], detail: &str) -> CliError {
    match signatures().into_iter().find(|s| s.words == words) {
        Some(sig) => print_invalid(detail, &sig),
        None => no_match(words),
    }
}

/// "no valid command found": the closest commands are those sharing the most leading words.
pub fn no_match(words: &[String]) -> CliError {
    let sigs = signatures();
    let best = sigs.iter().map(|s| s.words.iter().zip(words).take_while(|(a, b)| a == b).count()).max().unwrap_or(0);
    let close: Vec<&Sig> = sigs
        .iter()
        .filter(|s| s.words.iter().zip(words).take_while(|(a, b)| a == b).count() == best)
        .take(10)
        .collect();
    eprintln!("no valid command found; {} closest matches:", close.len());
    for s in close {
        eprintln!("{}", s.sig);
    }
    eprintln!("Error EINVAL: invalid command");
    CliError::silent(libc::EINVAL)
}

fn ctx_str(e: &clap::Error, k: ContextKind) -> Option<String> {
    match e.get(k)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        other => Some(other.to_string()),
    }
}

/// Turns clap's complaint about `args` into Ceph's.
pub fn from_clap(e: clap::Error, args: &[String]) -> CliError {
    let words = command_words(args);
    let root = Cli::command();
    let cmd = find(&root, &words);
    let arg_named = |name: &str| -> Option<Arg> {
        let cmd = cmd?;
        let want = name.trim_start_matches(['-']).trim_matches(['<', '>', '[', ']', '.']);
        let want = want.split([' ', '=']).next().unwrap_or(want);
        cmd.get_arguments()
            .chain(root.get_arguments())
            .find(|a| {
                a.get_id().as_str().eq_ignore_ascii_case(want)
                    || a.get_long() == Some(want)
                    || a.get_value_names().map(|v| v.iter().any(|n| n.as_str() == want)).unwrap_or(false)
            })
            .cloned()
    };
    let global = |a: &Arg| a.is_global_set() || root.get_arguments().any(|r| r.get_id() == a.get_id());
    match e.kind() {
        ErrorKind::InvalidSubcommand
        | ErrorKind::MissingSubcommand
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => no_match(&words),
        ErrorKind::MissingRequiredArgument => {
            let missing = ctx_str(&e, ContextKind::InvalidArg).unwrap_or_default();
            let first = missing.split(", ").next().unwrap_or("").to_string();
            let d = arg_named(&first).map(|a| desc(&a)).unwrap_or(first);
            invalid(&words, &format!("missing required parameter {d}"))
        }
        ErrorKind::UnknownArgument => {
            let a = ctx_str(&e, ContextKind::InvalidArg).unwrap_or_default();
            if a.starts_with("--") {
                invalid(&words, &format!("Unexpected argument '{a}'"))
            } else {
                // Words after a complete command.
                let pos = args.iter().position(|x| *x == a).unwrap_or(args.len());
                let rest: Vec<String> =
                    args[pos..].iter().filter(|w| !w.starts_with('-')).map(|w| format!("'{w}'")).collect();
                if cmd.map(|c| c.has_subcommands()).unwrap_or(true) {
                    no_match(&words)
                } else {
                    invalid(&words, &format!("unused arguments: [{}]", rest.join(", ")))
                }
            }
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let arg = ctx_str(&e, ContextKind::InvalidArg).unwrap_or_default();
            let value = ctx_str(&e, ContextKind::InvalidValue).unwrap_or_default();
            match arg_named(&arg) {
                Some(a) if global(&a) => argparse_error(&arg, &value, &a),
                Some(a) if !a.get_possible_values().is_empty() => {
                    let set: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
                    invalid(&words, &format!("{value} not in {}", set.join("|")))
                }
                Some(a) if desc(&a).ends_with("(<int>)") => {
                    invalid(&words, &format!("{value} doesn't represent an int"))
                }
                _ => invalid(&words, &format!("{value} not valid for {arg}")),
            }
        }
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            let arg = ctx_str(&e, ContextKind::InvalidArg).unwrap_or_default();
            match arg_named(&arg).filter(global) {
                Some(a) => argparse_error(&arg, "", &a),
                None => invalid(&words, &format!("bad arguments for {arg}")),
            }
        }
        _ => {
            let _ = e.print();
            CliError::silent(libc::EINVAL)
        }
    }
}

/// The tool's own options are checked as Python's argparse checks them (exit status 2).
fn argparse_error(arg: &str, value: &str, a: &Arg) -> CliError {
    let names: Vec<String> =
        a.get_short().map(|s| format!("-{s}")).into_iter().chain(a.get_long().map(|l| format!("--{l}"))).collect();
    let names = if names.is_empty() { arg.to_string() } else { names.join("/") };
    let values: Vec<String> = a.get_possible_values().iter().map(|v| format!("'{}'", v.get_name())).collect();
    eprintln!("usage: ceph [-h] [-c CEPHCONF] [-i INPUT_FILE] [-o OUTPUT_FILE] ...");
    if value.is_empty() {
        eprintln!("ceph: error: argument {names}: expected one argument");
    } else if values.is_empty() {
        eprintln!("ceph: error: argument {names}: invalid value: '{value}'");
    } else {
        eprintln!("ceph: error: argument {names}: invalid choice: '{value}' (choose from {})", values.join(", "));
    }
    CliError::silent(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn signatures_in_ceph_notation() {
        let sigs = signatures();
        let get = |w: &str| sigs.iter().find(|s| s.words.join(" ") == w).map(|s| s.sig.clone()).unwrap();
        assert_eq!(
            get("osd pool rm"),
            "osd pool rm <pool> [<pool2>] [--yes-i-really-really-mean-it] [--yes-i-really-really-mean-it-not-faking]"
        );
        assert_eq!(get("osd pool delete"), "osd pool delete <pool> [<pool2>] [--yes-i-really-really-mean-it] [--yes-i-really-really-mean-it-not-faking]");
        assert_eq!(get("df"), "df [detail]");
        assert_eq!(get("mon dump"), "mon dump [<epoch:int>]");
        assert_eq!(get("auth caps"), "auth caps <entity> <caps>...");
        assert_eq!(get("auth get-or-create"), "auth get-or-create <entity> [<caps>...]");
        assert_eq!(get("osd pool set-quota"), "osd pool set-quota <pool> max_objects|max_bytes <val>");
        assert!(get("osd pool get").starts_with("osd pool get <pool> size|min_size|pg_num|"));
        assert!(sigs.iter().all(|s| !s.help.is_empty()), "every command has help");
    }

    #[test]
    fn command_words_skip_options() {
        assert_eq!(command_words(&s(&["-f", "json", "osd", "pool", "ls", "detail"])), s(&["osd", "pool", "ls"]));
        assert_eq!(command_words(&s(&["osd", "--format=json", "pool", "frob"])), s(&["osd", "pool"]));
        assert_eq!(command_words(&s(&["auth", "del", "client.x"])), s(&["auth", "rm"]));
    }

    #[test]
    fn help_wraps_like_ceph() {
        assert_eq!(wrap("short", 10), vec!["short"]);
        assert_eq!(
            wrap("osd pool create <pool> [<pg_num:int>]", 20),
            vec!["osd pool create ", " <pool> [<pg_num:", " int>]"]
        );
        let h = format_help("osd pool get-quota");
        assert!(h.starts_with("osd pool get-quota <pool>"), "{h}");
        assert!(h.contains("obtain object or byte limits for pool"));
    }
}
