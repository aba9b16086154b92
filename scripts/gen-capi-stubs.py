#!/usr/bin/env python3
"""Generates shim/capi/src/stubs.rs and COMPAT.md from Ceph 16.2's export lists and headers.

Every C function that Ceph 16.2.15's librados.so.2 and librbd.so.1 export must exist in our
library, or programs linked against Ceph (and Ceph's Python bindings, loaded with RTLD_NOW) fail
to load. The functions rbdshim implements are written by hand in shim/capi/src/; this script
gives every other exported function a stub that returns -EOPNOTSUPP (or the return type's
neutral value), with the prototype translated from Ceph's installed headers, and writes
COMPAT.md, the table of what is implemented and which known clients import what.

    scripts/gen-capi-stubs.py [--check] [--include DIR] [SYMBOLS_DIR]

SYMBOLS_DIR holds the symbol lists (default: shared/symbols beside the repository, that is
../shared/symbols relative to the repository root). --include is where Ceph's headers are
installed (default /usr/include: Debian's librbd-dev and librados-dev). --check writes nothing
and exits 1 if stubs.rs or COMPAT.md are not what this script would write.

Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPI_SRC = os.path.join(REPO, "shim", "capi", "src")
STUBS = os.path.join(CAPI_SRC, "stubs.rs")
TYPES = os.path.join(CAPI_SRC, "types.rs")
COMPAT = os.path.join(REPO, "COMPAT.md")
RUSTFMT_TOML = os.path.join(REPO, "rustfmt.toml")
MAX_WIDTH = 120

EXPORT_LISTS = [("librados", "librados-16.2-exports.txt"), ("librbd", "librbd-16.2-exports.txt")]
# Known clients, in the order COMPAT.md lists them: (label, list file).
CLIENT_LISTS = [
    ("qemu", "qemu-10.0-block-rbd.txt"),
    ("libvirt", "libvirt-9.0-storage-rbd.txt"),
    ("fio", "fio-3.33.txt"),
    ("tgt", "tgt-bs_rbd.txt"),
    ("rbd-fuse", "rbd-fuse.txt"),
    ("python3-rados", "python3-rados-16.2.txt"),
    ("python3-rbd", "python3-rbd-16.2.txt"),
]
UNION_LIST = "c-clients-union.txt"
HEADERS = ["rados/rados_types.h", "rados/librados.h", "rbd/librbd.h"]

# C scalar types and the Rust type each becomes; the libc ones are imported from libc.
SCALARS = {
    "char": "c_char",
    "signed char": "c_schar",
    "unsigned char": "c_uchar",
    "short": "c_short",
    "short int": "c_short",
    "unsigned short": "c_ushort",
    "unsigned short int": "c_ushort",
    "int": "c_int",
    "signed": "c_int",
    "signed int": "c_int",
    "unsigned": "c_uint",
    "unsigned int": "c_uint",
    "long": "c_long",
    "long int": "c_long",
    "unsigned long": "c_ulong",
    "unsigned long int": "c_ulong",
    "long long": "c_longlong",
    "long long int": "c_longlong",
    "unsigned long long": "c_ulonglong",
    "unsigned long long int": "c_ulonglong",
    "float": "f32",
    "double": "f64",
    "_Bool": "bool",
    "bool": "bool",
    "int8_t": "i8",
    "int16_t": "i16",
    "int32_t": "i32",
    "int64_t": "i64",
    "uint8_t": "u8",
    "uint16_t": "u16",
    "uint32_t": "u32",
    "uint64_t": "u64",
    "size_t": "size_t",
    "ssize_t": "ssize_t",
    "time_t": "time_t",
    "off_t": "off_t",
    "mode_t": "mode_t",
    "pid_t": "pid_t",
    "uid_t": "uid_t",
    "gid_t": "gid_t",
}
LIBC_TYPES = {
    "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint", "c_long", "c_ulong",
    "c_longlong", "c_ulonglong", "c_void", "size_t", "ssize_t", "time_t", "off_t", "mode_t",
    "pid_t", "uid_t", "gid_t", "timespec", "timeval", "iovec", "sockaddr",
}
# struct tags that libc defines.
LIBC_STRUCTS = {"timespec", "timeval", "iovec", "sockaddr"}
SIGNED = {"c_schar", "c_short", "c_int", "c_long", "c_longlong", "i8", "i16", "i32", "i64", "ssize_t",
          "time_t", "off_t", "pid_t"}
UNSIGNED = {"c_uchar", "c_ushort", "c_uint", "c_ulong", "c_ulonglong", "u8", "u16", "u32", "u64",
            "size_t", "mode_t", "uid_t", "gid_t"}
RUST_KEYWORDS = set(
    "as break const continue crate else enum extern false fn for if impl in let loop match mod move "
    "mut pub ref return self Self static struct super trait true type unsafe use where while async "
    "await dyn abstract become box do final macro override priv typeof unsized virtual yield try gen"
    .split()
)


def die(msg):
    sys.stderr.write(f"gen-capi-stubs: {msg}\n")
    sys.exit(2)


def read_list(path):
    try:
        with open(path, encoding="utf-8") as f:
            names = [line.strip() for line in f]
    except OSError as e:
        die(f"cannot read symbol list: {e}")
    # A version suffix (name@VERSION), should a list carry one, is not part of the C name.
    return sorted({n.split("@")[0] for n in names if n and not n.startswith("#")})


# ---------------------------------------------------------------------------------------------
# What is implemented: `extern "C" fn NAME` in shim/capi/src (stubs.rs excepted), including the
# functions that macro_rules! macros define from their first `$x:ident` argument.


def rust_sources(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".rs"):
                out.append(os.path.join(d, f))
    return out


def strip_rust_comments(text):
    # Line comments only: doc comments and `// SAFETY:` notes; the sources have no block comments
    # around code. Strings containing "//" are not a concern for the patterns searched here.
    return re.sub(r"//[^\n]*", "", text)


FN_RE = re.compile(r'extern\s+"C"\s+fn\s+([A-Za-z_][A-Za-z0-9_]*)\s*[(<]')
MACRO_RE = re.compile(r"macro_rules!\s*([A-Za-z_][A-Za-z0-9_]*)\s*\{")


def balanced(text, start, open_ch, close_ch):
    """Index just past the bracket matching text[start] (which is open_ch)."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == open_ch:
            depth += 1
        elif c == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced brackets")


def defined_functions(path):
    """The extern "C" function names defined in a Rust file (with repeats)."""
    with open(path, encoding="utf-8") as f:
        text = strip_rust_comments(f.read())
    names = []
    macros = {}
    for m in MACRO_RE.finditer(text):
        end = balanced(text, m.end() - 1, "{", "}")
        body = text[m.end():end - 1]
        fm = re.search(r'extern\s+"C"\s+fn\s+\$([A-Za-z_][A-Za-z0-9_]*)', body)
        if not fm:
            continue
        first = re.match(r"\s*\(\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*:\s*ident", body)
        if not first or first.group(1) != fm.group(1):
            die(f"{path}: macro {m.group(1)}! defines an extern \"C\" fn whose name is not its first argument")
        macros[m.group(1)] = True
    for m in FN_RE.finditer(text):
        names.append(m.group(1))
    for name in sorted(macros):
        for m in re.finditer(r"(?<![A-Za-z0-9_])" + name + r"!\s*[(\[{]\s*([A-Za-z_][A-Za-z0-9_]*)", text):
            names.append(m.group(1))
    return names


def implemented_symbols():
    found = set()
    for path in rust_sources(CAPI_SRC):
        if os.path.abspath(path) == os.path.abspath(STUBS):
            continue
        found.update(defined_functions(path))
    return found


# ---------------------------------------------------------------------------------------------
# Ceph's headers: function prototypes and the typedefs they use.


def preprocess(text):
    """Drops comments and preprocessor lines, and C++-only blocks (#ifdef __cplusplus)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"\\\n", " ", text)
    out = []
    stack = []  # per open conditional: (active, some branch taken)
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#"):
            d = s[1:].strip()
            word = re.match(r"[a-z]*", d).group(0)
            parent = all(a for a, _ in stack)
            if word in ("if", "ifdef", "ifndef"):
                cond = not (word == "ifdef" and d.split()[1:2] == ["__cplusplus"])
                cond = cond and not (word == "if" and "__cplusplus" in d)
                stack.append((parent and cond, cond))
            elif word == "elif" and stack:
                taken = stack[-1][1]
                stack.pop()
                parent = all(a for a, _ in stack)
                stack.append((parent and not taken, True))
            elif word == "else" and stack:
                taken = stack[-1][1]
                stack.pop()
                parent = all(a for a, _ in stack)
                stack.append((parent and not taken, True))
            elif word == "endif" and stack:
                stack.pop()
            continue
        if all(a for a, _ in stack):
            out.append(line)
    return "\n".join(out)


def statements(text):
    """Top-level statements, each ending at a `;` outside braces, whitespace collapsed."""
    out = []
    depth = 0
    cur = []
    for c in text:
        cur.append(c)
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == ";" and depth == 0:
            out.append(" ".join("".join(cur).split()))
            cur = []
    return out


def strip_attributes(s):
    s = re.sub(r"\bCEPH_(RBD|RADOS)_(API|DEPRECATED)\b", " ", s)
    while True:
        m = re.search(r"\b__attribute__\s*\(", s)
        if not m:
            break
        end = balanced(s, m.end() - 1, "(", ")")
        s = s[:m.start()] + " " + s[end:]
    s = re.sub(r"\bextern\b", " ", s)
    return " ".join(s.split())


def split_params(s):
    """Splits a parameter list at top-level commas."""
    out, depth, cur = [], 0, ""
    for c in s:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    if out == ["void"]:
        return []
    return out


class Header:
    """Declarations read from Ceph's headers."""

    def __init__(self):
        self.functions = {}  # name -> (return decl, [param decl])
        self.typedefs = {}  # name -> ("enum"|"struct"|"alias"|"callback", data)
        self.struct_tags = set()
        self.enum_tags = set()

    def read(self, path):
        with open(path, encoding="utf-8") as f:
            text = preprocess(f.read())
        text = re.sub(r'extern\s+"C"\s*\{', " ", text)
        for st in statements(text):
            self.statement(st)

    def statement(self, st):
        st = st.rstrip(";").strip()
        api = re.search(r"\bCEPH_(RBD|RADOS)_API\b", st)
        st = strip_attributes(st)
        if not st:
            return
        if st.startswith("typedef "):
            self.typedef(st[len("typedef "):])
            return
        m = re.match(r"(struct|enum)\s+([A-Za-z_]\w*)\s*\{", st)
        if m:
            (self.struct_tags if m.group(1) == "struct" else self.enum_tags).add(m.group(2))
            return
        if api:
            m = re.search(r"([A-Za-z_]\w*)\s*\(", st)
            if not m:
                return
            name = m.group(1)
            end = balanced(st, m.end() - 1, "(", ")")
            ret = st[:m.start()].strip()
            params = split_params(st[m.end():end - 1])
            if name not in self.functions:
                self.functions[name] = (ret, params)

    def typedef(self, s):
        m = re.match(r"(struct|enum)\s*([A-Za-z_]\w*)?\s*\{", s)
        if m:
            end = balanced(s, m.end() - 1, "{", "}")
            name = s[end:].strip()
            kind = m.group(1)
            if m.group(2):
                (self.struct_tags if kind == "struct" else self.enum_tags).add(m.group(2))
            self.typedefs[name] = (kind, None)
            return
        m = re.match(r"(.*?)\(\s*\*\s*([A-Za-z_]\w*)\s*\)\s*\((.*)\)$", s)
        if m:
            self.typedefs[m.group(2)] = ("callback", (m.group(1).strip(), split_params(m.group(3))))
            return
        m = re.match(r"(.*?)([A-Za-z_]\w*)$", s)
        if m:
            self.typedefs[m.group(2)] = ("alias", m.group(1).strip())


# ---------------------------------------------------------------------------------------------
# C declarations to Rust types.


def rust_ident(name):
    return name + "_" if name in RUST_KEYWORDS else name


class Translator:
    def __init__(self, header, crate_types):
        self.h = header
        self.crate_types = crate_types  # names crate::types defines
        self.libc_used = set()
        self.crate_used = set()
        self.decls = {}  # name -> Rust item declared in stubs.rs
        self.by_value_structs = set()

    def declare(self, name):
        """The Rust name of a C type name (typedef or tag), declaring what it needs."""
        if name in self.crate_types:
            self.crate_used.add(name)
            return name
        if name in self.decls:
            return name
        td = self.h.typedefs.get(name)
        if td is None:
            if name in self.h.struct_tags:
                td = ("struct", None)
            elif name in self.h.enum_tags:
                td = ("enum", None)
            else:
                die(f"unknown C type {name!r}")
        kind, data = td
        self.decls[name] = None  # placeholder against recursion
        if kind == "enum":
            self.libc_used.add("c_int")
            self.decls[name] = f"pub type {name} = c_int;"
        elif kind == "struct":
            self.decls[name] = f"#[repr(C)]\npub struct {name} {{\n    _private: [u8; 0],\n}}"
        elif kind == "alias":
            self.decls[name] = f"pub type {name} = {self.type_of(data, position='alias')};"
        elif kind == "callback":
            ret, params = data
            self.decls[name] = f"pub type {name} = {self.fn_pointer(ret, params, named=True)};"
        return name

    def base(self, words, pointer):
        """Rust type of a declaration's base (specifiers without `const`)."""
        if words and words[0] in ("struct", "enum", "union"):
            tag = words[1]
            if words[0] == "struct" and tag in LIBC_STRUCTS:
                self.libc_used.add(tag)
                return tag, "struct"
            if words[0] == "enum":
                return self.declare(tag), "enum"
            return self.declare(tag), "struct"
        text = " ".join(words)
        if text == "void":
            if pointer:
                self.libc_used.add("c_void")
                return "c_void", "void"
            return "()", "void"
        if text in SCALARS:
            t = SCALARS[text]
            if t in LIBC_TYPES:
                self.libc_used.add(t)
            return t, "scalar"
        if len(words) == 1:
            name = words[0]
            rust = self.declare(name)
            kind = self.kind_of(name)
            return rust, kind
        die(f"cannot translate C type {text!r}")

    def is_type(self, words):
        if " ".join(words) in SCALARS:
            return True
        return len(words) == 2 and words[0] in ("struct", "enum", "union")

    def kind_of(self, name):
        """struct / enum / pointer / callback / scalar for a typedef name."""
        td = self.h.typedefs.get(name)
        if td is None:
            return "struct" if name in self.h.struct_tags else "enum"
        kind, data = td
        if kind == "alias":
            if "*" in data:
                return "pointer"
            words = data.split()
            if len(words) == 1 and words[0] in self.h.typedefs:
                return self.kind_of(words[0])
            if words and words[0] == "struct":
                return "struct"
            return "scalar"
        return kind

    def fn_pointer(self, ret, params, named):
        args = []
        for p in params:
            name, ty = self.param(p, index=None)
            args.append(f"{name}: {ty}" if (named and name) else ty)
        rt = self.type_of(ret, position="return")
        tail = "" if rt == "()" else f" -> {rt}"
        return f"Option<unsafe extern \"C\" fn({', '.join(args)}){tail}>"

    def param(self, decl, index):
        """(Rust name or None, Rust type) of one C parameter declaration."""
        decl = decl.strip()
        m = re.match(r"(.*?)\(\s*\*\s*([A-Za-z_]\w*)?\s*\)\s*\((.*)\)$", decl)
        if m:  # function pointer parameter
            name = m.group(2)
            ty = self.fn_pointer(m.group(1).strip(), split_params(m.group(3)), named=False)
            return (rust_ident(name) if name else None), ty
        name, ty = self.declarator(decl)
        if name is None and index is not None:
            name = f"arg{index}"
        return (rust_ident(name) if name else None), ty

    def declarator(self, decl):
        """Splits `const char *const *name[]` into its name and Rust type."""
        tokens = re.findall(r"[A-Za-z_]\w*|\*|\[[^\]]*\]", decl)
        spec, ptrs, name, arrays = [], [], None, 0
        base_const = False
        i = 0
        while i < len(tokens) and tokens[i] != "*" and not tokens[i].startswith("["):
            spec.append(tokens[i])
            i += 1
        while i < len(tokens):
            t = tokens[i]
            if t == "*":
                ptrs.append(False)
            elif t == "const":
                if ptrs:
                    ptrs[-1] = True
                else:
                    base_const = True
            elif t.startswith("["):
                arrays += 1
            else:
                name = t
            i += 1
        if "const" in spec:
            base_const = True
            spec = [w for w in spec if w != "const"]
        spec = [w for w in spec if w not in ("volatile", "restrict", "__restrict")]
        # Without a `*`, a trailing identifier in the specifiers is the parameter's name, unless
        # the specifiers are a type by themselves (`unsigned int`, `rados_t`, `struct timespec`).
        if name is None and len(spec) > 1 and not self.is_type(spec):
            name = spec[-1]
            spec = spec[:-1]
        pointer = bool(ptrs) or arrays > 0
        ty, kind = self.base(spec, pointer)
        consts = [base_const] + ptrs  # constness of each pointee, innermost first
        for level in range(len(ptrs)):
            ty = f"*{'const' if consts[level] else 'mut'} {ty}"
        for _ in range(arrays):
            ty = f"*{'const' if consts[len(ptrs)] else 'mut'} {ty}"
        if not pointer and kind == "struct" and ty not in LIBC_STRUCTS:
            self.by_value_structs.add(ty)
        return name, ty

    def type_of(self, decl, position):
        name, ty = self.declarator(decl)
        if name is not None:
            die(f"unexpected name in {position} type {decl!r}")
        return ty


def neutral_value(ty, tr):
    """The body of a stub returning ty."""
    if ty == "()":
        return None
    if ty.startswith("*mut "):
        return "std::ptr::null_mut()"
    if ty.startswith("*const "):
        return "std::ptr::null()"
    if ty == "bool":
        return "false"
    resolved = ty
    if ty in tr.decls or ty in tr.crate_types:
        kind = tr.kind_of(ty)
        if kind == "pointer":
            return "std::ptr::null_mut()"
        if kind == "enum":
            return "-libc::EOPNOTSUPP"
        if kind == "scalar":
            alias = tr.h.typedefs[ty][1]
            resolved = SCALARS.get(alias, alias)
        else:
            die(f"no neutral value for return type {ty}")
    if resolved in ("c_int", "i32"):
        return "-libc::EOPNOTSUPP"
    if resolved in ("i64", "c_long", "c_longlong"):
        return f"-{ty}::from(libc::EOPNOTSUPP)"
    if resolved in SIGNED:
        return f"-(libc::EOPNOTSUPP as {ty})"
    if resolved in UNSIGNED:
        return "0"
    if resolved in ("f32", "f64"):
        return "0.0"
    die(f"no neutral value for return type {ty}")


# ---------------------------------------------------------------------------------------------
# Output.


def fn_item(name, params, ret, body):
    head = f'pub unsafe extern "C" fn {name}('
    tail = ")" + ("" if ret == "()" else f" -> {ret}")
    one = head + ", ".join(params) + tail
    opening = " {}" if body is None else " {"
    if len(one + opening) <= MAX_WIDTH:
        sig = one
    else:
        sig = head + "\n" + "".join(f"    {p},\n" for p in params) + tail
    if body is None:
        # rustfmt puts the closing brace of an empty body on its own line after a long signature.
        empty = "{}" if sig == one else "{\n}"
        return f"#[no_mangle]\n{sig} {empty}\n"
    return f"#[no_mangle]\n{sig} {{\n    {body}\n}}\n"


def use_item(path, names):
    names = sorted(names)
    one = f"use {path}::{{{', '.join(names)}}};"
    if len(names) == 1:
        return f"use {path}::{names[0]};"
    if len(one) <= MAX_WIDTH:
        return one
    lines, cur = [], "   "
    for n in names:
        piece = f" {n},"
        if len(cur) + len(piece) > MAX_WIDTH:
            lines.append(cur)
            cur = "   "
        cur += piece
    lines.append(cur)
    return f"use {path}::{{\n" + "\n".join(lines) + "\n};"


def type_item(decl):
    """rustfmt's layout of `pub type X = Option<unsafe extern "C" fn(...)>;` when too long."""
    if len(decl) <= MAX_WIDTH or "\n" in decl:
        return decl
    m = re.match(r'(pub type \w+ =) (Option<unsafe extern "C" fn)\((.*)\)(.*)>;$', decl)
    if not m:
        return decl
    args = [a.strip() for a in split_params(m.group(3))]
    return f"{m.group(1)} Option<\n    {m.group(2)[7:]}(\n" + "".join(f"        {a},\n" for a in args) + f"    ){m.group(4)},\n>;"


def generate_stubs(header, exports, implemented, crate_types):
    tr = Translator(header, crate_types)
    missing_header = []
    fns = []
    for name in sorted(set(exports["librados"]) | set(exports["librbd"])):
        if name in implemented:
            continue
        proto = header.functions.get(name)
        if proto is None:
            missing_header.append(name)
            tr.libc_used.add("c_int")
            fns.append((name, [], "c_int", "-libc::EOPNOTSUPP", True))
            continue
        ret_decl, param_decls = proto
        params = []
        for i, p in enumerate(param_decls):
            pname, pty = tr.param(p, index=i)
            params.append(f"{pname}: {pty}")
        ret = tr.type_of(ret_decl, position="return")
        fns.append((name, params, ret, neutral_value(ret, tr), False))
    if tr.by_value_structs:
        die(f"structs passed by value need their layout: {sorted(tr.by_value_structs)}")

    out = [
        "//! Entry points of Ceph 16.2 that rbdshim does not support: each returns -EOPNOTSUPP (or",
        "//! the type's neutral value) so that every program linked against Ceph loads.",
        "//! Generated by scripts/gen-capi-stubs.py; do not edit by hand.",
    ]
    if fns:
        out.append("")
        out.append("#![allow(unused_variables, non_camel_case_types, clippy::too_many_arguments)]")
        out.append("")
        uses = []
        if tr.crate_used:
            uses.append(use_item("crate::types", tr.crate_used))
        if tr.libc_used:
            uses.append(use_item("libc", tr.libc_used))
        out.extend(uses)
        decls = sorted((n, d) for n, d in tr.decls.items() if d)
        if decls:
            out.append("")
            out.append("// C types of Ceph's headers that only these stubs use.")
            out.append("")
            out.append("\n\n".join(type_item(d) for _, d in decls))
        for name, params, ret, body, unknown in fns:
            out.append("")
            if unknown:
                out.append("/// Not declared in Ceph 16.2's public headers: the prototype is unknown.")
            out.append(fn_item(name, params, ret, body).rstrip("\n"))
    text = "\n".join(out) + "\n"
    return rustfmt(text), missing_header, len(fns)


def rustfmt(text):
    """Normalizes with rustfmt when it is installed (the output is meant to be rustfmt-clean)."""
    exe = shutil.which("rustfmt")
    if not exe:
        return text
    cmd = [exe, "--edition", "2021", "--emit", "stdout", "--quiet"]
    if os.path.exists(RUSTFMT_TOML):
        cmd += ["--config-path", RUSTFMT_TOML]
    try:
        r = subprocess.run(cmd, input=text, capture_output=True, text=True, check=False)
    except OSError:
        return text
    if r.returncode != 0:
        die(f"rustfmt rejected the generated code:\n{r.stderr}")
    return r.stdout


def generate_compat(exports, implemented, clients, union, undeclared):
    all_syms = set(exports["librados"]) | set(exports["librbd"])
    n_impl = sum(1 for s in all_syms if s in implemented)
    lines = [
        "# C API compatibility with Ceph 16.2",
        "",
        "Every C function that Ceph 16.2.15's `librados.so.2` and `librbd.so.1` export exists in rbdshim's",
        "libraries, so programs linked against Ceph load, including Ceph's own Python bindings (which",
        "load with RTLD_NOW). A function is either `implemented`, or `not supported (-EOPNOTSUPP)`:",
        "it returns -EOPNOTSUPP (or NULL, 0 or false, or nothing, depending on its return type).",
        "",
        "Generated by `scripts/gen-capi-stubs.py` from the symbol lists in `shared/symbols/` (beside the",
        "repository) and Ceph's headers; do not edit by hand. The clients column says which known",
        "programs import the function: QEMU's rbd block driver (qemu), libvirt's rbd storage backend",
        "(libvirt), fio, tgt's rbd backing store (tgt), rbd-fuse, and Ceph's Python bindings",
        "(python3-rados, python3-rbd).",
        "",
    ]
    summary = f"**Summary:** {len(all_syms)} exported functions: {n_impl} implemented, "
    summary += f"{len(all_syms) - n_impl} not supported"
    parts = []
    for lib, syms in exports.items():
        k = sum(1 for s in syms if s in implemented)
        parts.append(f"{lib} {k} of {len(syms)} implemented")
    summary += " (" + "; ".join(parts) + ")."
    union_missing = [s for s in union if s not in implemented]
    summary += f" Functions the C clients (qemu, libvirt, fio, tgt) import: {len(union) - len(union_missing)}"
    summary += f" of {len(union)} implemented."
    lines.append(summary)
    if union_missing:
        lines.append("")
        lines.append("C client functions not implemented yet: " + ", ".join(f"`{s}`" for s in union_missing) + ".")
    if undeclared:
        lines.append("")
        lines.append(
            "Exported but not declared in Ceph 16.2's public headers (a stub of one of these takes no "
            "parameters and returns int): " + ", ".join(f"`{s}`" for s in undeclared) + "."
        )
    for lib, syms in exports.items():
        k = sum(1 for s in syms if s in implemented)
        lines += ["", f"## {lib}", "", f"{k} of {len(syms)} implemented.", ""]
        lines.append("| function | status | clients |")
        lines.append("|---|---|---|")
        for s in syms:
            status = "implemented" if s in implemented else "not supported (-EOPNOTSUPP)"
            users = ", ".join(label for label, names in clients if s in names)
            lines.append(f"| `{s}` | {status} | {users} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("symbols_dir", nargs="?", help="directory of the symbol lists (default: ../shared/symbols)")
    ap.add_argument("--include", default="/usr/include", help="where Ceph's headers are installed")
    ap.add_argument("--check", action="store_true", help="exit 1 if the generated files are out of date")
    args = ap.parse_args()

    sym_dir = args.symbols_dir or os.path.join(os.path.dirname(REPO), "shared", "symbols")
    if not os.path.isdir(sym_dir):
        die(f"no symbol lists in {sym_dir}: pass their directory, or put shared/symbols beside the repository")
    exports = {lib: read_list(os.path.join(sym_dir, f)) for lib, f in EXPORT_LISTS}
    clients = [(label, set(read_list(os.path.join(sym_dir, f)))) for label, f in CLIENT_LISTS]
    union = read_list(os.path.join(sym_dir, UNION_LIST))

    header = Header()
    for h in HEADERS:
        path = os.path.join(args.include, h)
        if not os.path.exists(path):
            die(f"missing {path}: install Ceph's headers (Debian: librbd-dev librados-dev)")
        header.read(path)

    with open(TYPES, encoding="utf-8") as f:
        types_text = f.read()
    crate_types = set(re.findall(r"^pub (?:type|struct) ([A-Za-z_]\w*)", types_text, flags=re.M))

    implemented = implemented_symbols()
    stubs, missing_header, n_stubs = generate_stubs(header, exports, implemented, crate_types)
    undeclared = sorted(s for lib in exports.values() for s in lib if s not in header.functions)
    compat = generate_compat(exports, implemented, clients, union, undeclared)

    stale = []
    for path, text in ((STUBS, stubs), (COMPAT, compat)):
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            stale.append(path)
            if not args.check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    total = len(set(exports["librados"]) | set(exports["librbd"]))
    rel = [os.path.relpath(p, REPO) for p in stale]
    if args.check:
        if stale:
            sys.stderr.write(f"gen-capi-stubs: out of date: {', '.join(rel)} (run scripts/gen-capi-stubs.py)\n")
            return 1
        print(f"gen-capi-stubs: up to date ({total - n_stubs} implemented, {n_stubs} stubs)")
        return 0
    print(f"gen-capi-stubs: {total - n_stubs} implemented, {n_stubs} stubs; wrote {', '.join(rel) or 'nothing'}")
    if undeclared:
        print(f"gen-capi-stubs: exported but not in Ceph's headers: {', '.join(undeclared)}")
    if missing_header:
        print(f"gen-capi-stubs: stubbed without a prototype: {', '.join(missing_header)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
