"""Our modules against Ceph's (Debian's python3-rados / python3-rbd): for every name we
implement, the same kind, class ancestry, constant value and parameters (names and defaults)
where Ceph's own methods expose them."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DEBIAN_PY = "/usr/bin/python3"


def surface(python, env):
    out = subprocess.run([python, os.path.join(HERE, "ceph_surface.py")], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def both():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONNOUSERSITE"] = "1"
    try:
        ceph = surface(DEBIAN_PY, env)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.fail("Ceph's python3-rados/python3-rbd are needed (scripts/setup.sh installs them): %s" % e)
    ours = surface(sys.executable, dict(os.environ))
    return ceph, ours


@pytest.mark.parametrize("module", ["rados", "rbd"])
def test_surface_matches_ceph(both, module):
    ceph, ours = both[0][module], both[1][module]
    problems = []
    for name, mine in sorted(ours.items()):
        theirs = ceph.get(name)
        if theirs is None:
            continue  # our own additions (none are public API) are not compared
        if mine["kind"] != theirs["kind"]:
            problems.append("%s: %s here, %s in Ceph" % (name, mine["kind"], theirs["kind"]))
            continue
        if mine["kind"] == "constant" and mine["value"] != theirs["value"]:
            problems.append("%s = %r here, %r in Ceph" % (name, mine["value"], theirs["value"]))
        if mine["kind"] == "class":
            if mine["bases"] != theirs["bases"]:
                problems.append("%s bases %s here, %s in Ceph" % (name, mine["bases"], theirs["bases"]))
            for m, sig in mine["methods"].items():
                their_sig = theirs["methods"].get(m)
                if sig is None or their_sig is None:
                    continue
                # Cython methods expose parameter names but not always defaults.
                same_names = [p[0] for p in sig] == [p[0] for p in their_sig]
                same_defaults = all(t[1] is None or t[1] == m_[1] for m_, t in zip(sig, their_sig))
                if not (same_names and same_defaults):
                    problems.append("%s.%s%s here, %s in Ceph" % (name, m, sig, their_sig))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", ["rados", "rbd"])
def test_report_what_is_missing(both, module, capsys):
    ceph, ours = both[0][module], both[1][module]
    missing = sorted(n for n in ceph if n not in ours)
    with capsys.disabled():
        print("\n%s: %d of Ceph's %d public names implemented; missing: %s"
              % (module, len(ceph) - len(missing), len(ceph), ", ".join(missing)))
