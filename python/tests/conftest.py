"""Fixtures every test file shares: a fresh store per test, a connected cluster with a pool
"rbd", and an I/O context on it.

The store is the file backend's, or the curve backend's when RBDSHIM_TEST_STORE=curve (with its
metadata in the etcd cluster RBDSHIM_TEST_ETCD names, if set)."""

import os
import tempfile
import uuid

import pytest

import rados


def backend_spec(path):
    """The backend spec of a fresh store in directory `path`."""
    if os.environ.get("RBDSHIM_TEST_STORE") == "curve":
        etcd = os.environ.get("RBDSHIM_TEST_ETCD")
        if etcd:
            return "curve:%s?etcd=%s&prefix=py-%s/&lease_ms=2000" % (path, etcd, uuid.uuid4().hex)
        return "curve:" + path
    return "file:" + path


@pytest.fixture()
def store(monkeypatch):
    """A fresh, empty store selected for every Rados handle made in the test."""
    with tempfile.TemporaryDirectory() as d:
        monkeypatch.setenv("RBDSHIM_BACKEND", backend_spec(d))
        monkeypatch.delenv("CEPH_ARGS", raising=False)
        yield d


@pytest.fixture()
def cluster(store):
    with rados.Rados(conffile=None) as c:
        c.create_pool("rbd")
        yield c


@pytest.fixture()
def ioctx(cluster):
    with cluster.open_ioctx("rbd") as io:
        yield io
