"""Fixtures every test file shares: a fresh file store per test, a connected cluster with a
pool "rbd", and an I/O context on it."""

import tempfile

import pytest

import rados


@pytest.fixture()
def store(monkeypatch):
    """A fresh, empty file store selected for every Rados handle made in the test."""
    with tempfile.TemporaryDirectory() as d:
        monkeypatch.setenv("RBDSHIM_BACKEND", "file:" + d)
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
