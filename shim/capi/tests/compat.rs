//! Every C function Ceph 16.2.15 exports exists in our library, once; COMPAT.md says truthfully
//! which are implemented; and every function the C clients (qemu, libvirt, fio, tgt) import is
//! implemented rather than stubbed.
//!
//! Reads the sources of this crate and the symbol lists of `shared/symbols/`, which live beside
//! the repository (`../shared/symbols` from the repository root), as for
//! scripts/gen-capi-stubs.py. RBDSHIM_SYMBOLS_DIR names another directory holding them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const STUB_STATUS: &str = "not supported (-EOPNOTSUPP)";
const IMPL_STATUS: &str = "implemented";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn symbols_dir() -> PathBuf {
    let dir = match std::env::var_os("RBDSHIM_SYMBOLS_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("../shared/symbols"),
    };
    if !dir.join("librados-16.2-exports.txt").is_file() {
        panic!(
            "symbol lists not found in {}: this test needs the directory shared/symbols (with \
             librados-16.2-exports.txt, librbd-16.2-exports.txt and c-clients-union.txt) beside the \
             repository, i.e. ../shared/symbols relative to the repository root, or its location in \
             RBDSHIM_SYMBOLS_DIR",
            dir.display()
        );
    }
    dir
}

fn read_list(name: &str) -> BTreeSet<String> {
    let path = symbols_dir().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        // A version suffix (name@VERSION) is not part of the C name.
        .map(|l| l.split('@').next().unwrap().to_string())
        .collect()
}

fn exports() -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut m = BTreeMap::new();
    m.insert("librados", read_list("librados-16.2-exports.txt"));
    m.insert("librbd", read_list("librbd-16.2-exports.txt"));
    m
}

fn all_exports() -> BTreeSet<String> {
    exports().into_values().flatten().collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn strip_line_comments(text: &str) -> String {
    text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect::<Vec<_>>().join("\n")
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The identifier at b[i..] (after whitespace), and the index past it.
fn ident_at(b: &[u8], i: usize) -> Option<(String, usize)> {
    let start = skip_ws(b, i);
    let mut end = start;
    while end < b.len() && is_ident_char(b[end]) {
        end += 1;
    }
    if end == start || b[start].is_ascii_digit() {
        return None;
    }
    Some((String::from_utf8(b[start..end].to_vec()).unwrap(), end))
}

/// Positions just past each `extern "C" fn` (any whitespace between the words).
fn extern_c_fns(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find("extern") {
        let at = from + k;
        from = at + 6;
        if at > 0 && is_ident_char(b[at - 1]) {
            continue;
        }
        let i = skip_ws(b, at + 6);
        if !text[i..].starts_with("\"C\"") {
            continue;
        }
        let i = skip_ws(b, i + 3);
        if text[i..].starts_with("fn") && b.get(i + 2).is_some_and(|c| !is_ident_char(*c)) {
            out.push(i + 2);
        }
    }
    out
}

/// Index past the bracket matching b[open].
fn matching(b: &[u8], open: usize) -> usize {
    let (o, c) = (b[open], if b[open] == b'{' { b'}' } else { b')' });
    let mut depth = 0;
    for (i, &x) in b.iter().enumerate().skip(open) {
        if x == o {
            depth += 1;
        } else if x == c {
            depth -= 1;
            if depth == 0 {
                return i + 1;
            }
        }
    }
    panic!("unbalanced brackets");
}

/// The extern "C" functions a source file defines (with repeats), including those that
/// macro_rules! macros define, named by their first `$x:ident` argument.
fn defined_functions(path: &Path) -> Vec<String> {
    let text = strip_line_comments(&fs::read_to_string(path).unwrap());
    let b = text.as_bytes();
    let mut names = Vec::new();
    for i in extern_c_fns(&text) {
        if let Some((name, end)) = ident_at(b, i) {
            let next = skip_ws(b, end);
            if matches!(b.get(next), Some(b'(') | Some(b'<')) {
                names.push(name);
            }
        }
    }
    // macro_rules! NAME { ($x:ident ...) => { ... extern "C" fn $x ... } }
    let mut macros = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find("macro_rules!") {
        let at = from + k + "macro_rules!".len();
        from = at;
        let Some((name, end)) = ident_at(b, at) else { continue };
        let open = skip_ws(b, end);
        if b.get(open) != Some(&b'{') {
            continue;
        }
        let body = &text[open + 1..matching(b, open) - 1];
        let bb = body.as_bytes();
        let fn_var = extern_c_fns(body).into_iter().find_map(|i| {
            let j = skip_ws(bb, i);
            (bb.get(j) == Some(&b'$')).then(|| ident_at(bb, j + 1).map(|(v, _)| v)).flatten()
        });
        let Some(fn_var) = fn_var else { continue };
        let m = skip_ws(bb, 0);
        let first = (bb.get(m) == Some(&b'(') && bb.get(skip_ws(bb, m + 1)) == Some(&b'$'))
            .then(|| ident_at(bb, skip_ws(bb, m + 1) + 1))
            .flatten();
        match first {
            Some((v, _)) if v == fn_var => macros.push(name),
            _ => panic!("{}: macro {name}! defines an extern \"C\" fn not named by its first argument", path.display()),
        }
    }
    for mac in macros {
        let pat = format!("{mac}!");
        let mut from = 0;
        while let Some(k) = text[from..].find(&pat) {
            let at = from + k;
            from = at + pat.len();
            if at > 0 && is_ident_char(b[at - 1]) {
                continue;
            }
            let open = skip_ws(b, at + pat.len());
            if matches!(b.get(open), Some(b'(') | Some(b'[') | Some(b'{')) {
                if let Some((name, _)) = ident_at(b, open + 1) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// Symbol -> the files (relative to shim/capi/src) defining it, for every extern "C" fn.
fn definitions() -> BTreeMap<String, Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut defs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        for name in defined_functions(&f) {
            defs.entry(name).or_default().push(rel.clone());
        }
    }
    defs
}

fn is_stub(files: &[String]) -> bool {
    files.iter().all(|f| f == "stubs.rs")
}

#[test]
fn every_export_is_defined() {
    let defs = definitions();
    let missing: Vec<_> = all_exports().into_iter().filter(|s| !defs.contains_key(s)).collect();
    assert!(
        missing.is_empty(),
        "{} exported functions of Ceph 16.2 are not defined (run scripts/gen-capi-stubs.py): {missing:?}",
        missing.len()
    );
}

#[test]
fn no_function_is_defined_twice() {
    let twice: Vec<_> = definitions().into_iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "functions defined more than once (if one is now implemented, run scripts/gen-capi-stubs.py): {twice:?}"
    );
}

#[test]
fn compat_md_is_truthful() {
    let path = repo_root().join("COMPAT.md");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut listed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `name` | status | clients |
        if cells.len() >= 4 && cells[1].starts_with('`') && cells[1].ends_with('`') && cells[1].len() > 2 {
            listed.entry(cells[1].trim_matches('`').to_string()).or_default().push(cells[2].to_string());
        }
    }
    let defs = definitions();
    let mut wrong = Vec::new();
    for (lib, syms) in exports() {
        for s in syms {
            let want = match defs.get(&s) {
                Some(files) if is_stub(files) => STUB_STATUS,
                Some(_) => IMPL_STATUS,
                None => "(not defined)",
            };
            match listed.get(&s).map(Vec::as_slice) {
                Some([got]) if got == want => {}
                got => wrong.push(format!("{lib} {s}: COMPAT.md says {got:?}, the sources say {want}")),
            }
        }
    }
    let exported = all_exports();
    wrong.extend(listed.keys().filter(|s| !exported.contains(*s)).map(|s| format!("{s}: not exported by Ceph")));
    assert!(wrong.is_empty(), "COMPAT.md is out of date (run scripts/gen-capi-stubs.py):\n{}", wrong.join("\n"));
}

#[test]
fn c_clients_need_no_stub() {
    let defs = definitions();
    let missing: Vec<_> = read_list("c-clients-union.txt")
        .into_iter()
        .filter(|s| !matches!(defs.get(s), Some(f) if !is_stub(f)))
        .collect();
    if !missing.is_empty() {
        eprintln!("functions the C clients import that are not implemented:");
        for s in &missing {
            eprintln!("  {s}");
        }
    }
    assert!(missing.is_empty(), "{} functions the C clients import are not implemented: {missing:?}", missing.len());
}
