"""Real OpenStack code (Debian's packages, run by Debian's interpreter, unmodified) on our
rados and rbd modules and a fresh file store. Each driver scenario is a script in openstack/."""

import os
import subprocess
import tempfile

import pytest

from conftest import backend_spec

HERE = os.path.dirname(os.path.abspath(__file__))
OURS = os.path.abspath(os.path.join(HERE, "..", "..", "target", "py"))
# Our `rbd` and `ceph` tools (cargo's build directory), ahead of any others on PATH.
TOOLS = os.path.abspath(os.path.join(HERE, "..", "..", "target", os.environ.get("RBDSHIM_CLI_PROFILE", "debug")))


def run_scenario(script):
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "ceph.conf")
        with open(conf, "w") as f:
            f.write("[global]\nmon host = 127.0.0.1\n")
        env = dict(os.environ, RBDSHIM_BACKEND=backend_spec(os.path.join(d, "store")), PYTHONPATH=OURS,
                   RBDSHIM_PY=OURS, PYTHONNOUSERSITE="1", PATH=TOOLS + os.pathsep + os.environ["PATH"])
        assert os.access(os.path.join(TOOLS, "rbd"), os.X_OK), "build the CLI first (cargo build -p rbdshim-cli)"
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "openstack", script), conf],
                           env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr


def test_glance_store_rbd_add_get_delete():
    run_scenario("glance_rbd.py")


def test_nova_rbd_utils_clone_resize_snapshots_flatten_cleanup():
    run_scenario("nova_rbd.py")


def test_cinder_rbd_driver_create_snapshot_clone_extend_stats_delete():
    run_scenario("cinder_rbd.py")
