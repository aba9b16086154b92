"""The scenarios qemu-tests/test-ceph-python.sh runs with Ceph's own python3-rados/python3-rbd
(over our C libraries) run here with our modules: both must pass."""

import os
import subprocess
import sys
import tempfile

import pytest

from conftest import backend_spec

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.mark.parametrize("script", ["ceph_scenario.py", "ceph_objects.py"])
def test_scenario_on_our_modules(script):
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "ceph.conf")
        with open(conf, "w") as f:
            f.write("[global]\nmon host = 127.0.0.1\n")
        env = dict(os.environ, CEPH_CONF=conf, RBDSHIM_BACKEND=backend_spec(os.path.join(d, "store")))
        r = subprocess.run([sys.executable, os.path.join(ROOT, "qemu-tests", "py", script)], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        import rados

        assert rados.__file__.startswith(os.path.join(ROOT, "target", "py")) or "target/py" in rados.__file__
