"""Prints, as JSON, the public surface of whichever `rados` and `rbd` modules are importable:
for each name its kind, and for classes their ancestry and method signatures. Run by
test_signatures.py with Debian's interpreter (Ceph's python3-rados/python3-rbd) and with ours."""

import inspect
import json
import sys


def signature(f):
    try:
        s = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    params = list(s.parameters.values())
    # Decorated Cython methods hide their parameters behind (*args, **kwargs): unknown.
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params) and len(params) <= 3:
        return None
    return [[p.name, None if p.default is p.empty else repr(p.default)] for p in params if p.name != "self"]


def describe(mod):
    out = {}
    for name in dir(mod):
        if name.startswith("_"):
            continue
        v = getattr(mod, name)
        if inspect.isclass(v):
            methods = {}
            for m in dir(v):
                if m.startswith("_") and m not in ("__init__", "__enter__", "__exit__"):
                    continue
                attr = getattr(v, m, None)
                if callable(attr):
                    methods[m] = signature(attr)
            bases = [b.__name__ for b in v.__mro__[1:] if b.__module__ == mod.__name__]
            out[name] = {"kind": "class", "bases": bases, "methods": methods,
                         "exception": issubclass(v, BaseException)}
        elif callable(v):
            out[name] = {"kind": "function", "signature": signature(v)}
        elif isinstance(v, (int, str)):
            out[name] = {"kind": "constant", "value": v}
    return out


if __name__ == "__main__":
    import rados
    import rbd

    json.dump({"rados": describe(rados), "rbd": describe(rbd)}, sys.stdout, sort_keys=True)
