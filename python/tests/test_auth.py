"""Users, keys and caps through the Python modules: Ceph's exceptions and errnos for a refused
connect (PermissionDeniedError 13, ObjectNotFound 2) and for operations outside a user's caps
(rbd.PermissionError and rados.PermissionError, errno 1)."""

import errno
import json

import pytest

import rados
import rbd

MIB = 1 << 20


def make_user(cluster, entity, caps):
    cmd = {"prefix": "auth get-or-create-key", "entity": entity, "caps": caps, "format": "json"}
    ret, out, _ = cluster.mon_command(json.dumps(cmd), b"")
    assert ret == 0
    return json.loads(out)["key"]


def connect(store, rados_id, **conf):
    # Never the host's keyrings: only what the test gives.
    conf.setdefault("keyring", store + "/none.keyring")
    c = rados.Rados(rados_id=rados_id, conffile=None, conf=conf)
    c.connect()
    return c


@pytest.fixture()
def pools(cluster):
    for p in ("images", "vms"):
        cluster.create_pool(p)
    return cluster


def test_connect_refusals(store, pools):
    key = make_user(pools, "client.glance", ["mon", "profile rbd", "osd", "profile rbd pool=images"])
    connect(store, "glance", key=key).shutdown()
    other = make_user(pools, "client.cinder", ["mon", "profile rbd"])
    with pytest.raises(rados.PermissionDeniedError) as e:
        connect(store, "glance", key=other)
    assert e.value.errno == errno.EACCES
    assert str(e.value) == "[errno 13] RADOS permission denied (error connecting to the cluster)"
    with pytest.raises(rados.PermissionDeniedError):
        connect(store, "nobody", key=key)
    with pytest.raises(rados.ObjectNotFound) as e:
        connect(store, "glance")
    assert e.value.errno == errno.ENOENT
    with open(store + "/glance.keyring", "w") as f:
        f.write("[client.glance]\n\tkey = %s\n" % key)
    connect(store, "glance", keyring=store + "/glance.keyring").shutdown()


def test_operations_outside_caps(store, pools):
    with pools.open_ioctx("vms") as io:
        rbd.RBD().create(io, "vm", MIB)
    key = make_user(pools, "client.glance", ["mon", "profile rbd", "osd", "profile rbd pool=images"])
    c = connect(store, "glance", key=key)
    with c.open_ioctx("images") as images, c.open_ioctx("vms") as vms:
        rbd.RBD().create(images, "img", MIB)
        with rbd.Image(images, "img") as img:
            img.write(b"x" * 512, 0)
        assert rbd.RBD().list(images) == ["img"]
        for call in (lambda: rbd.RBD().list(vms), lambda: rbd.RBD().create(vms, "x", MIB),
                     lambda: rbd.RBD().remove(vms, "vm"), lambda: rbd.Image(vms, "vm", read_only=True)):
            with pytest.raises(rbd.PermissionError) as e:
                call()
            assert e.value.errno == errno.EPERM
        with pytest.raises(rados.PermissionError) as e:
            vms.write_full("obj", b"data")
        assert e.value.errno == errno.EPERM
        with pytest.raises(rados.PermissionError):
            c.create_pool("mine")
        ret, _, outs = c.mon_command(json.dumps({"prefix": "osd pool create", "pool": "mine"}), b"")
        assert (ret, outs) == (-errno.EACCES, "access denied")
    c.shutdown()
    with pools.open_ioctx("vms") as io:
        assert rbd.RBD().list(io) == ["vm"]
        with pytest.raises(rados.ObjectNotFound):
            io.stat("obj")


def test_nova_clones_a_read_only_image(store, pools):
    with pools.open_ioctx("images") as io:
        rbd.RBD().create(io, "base", 4 * MIB, old_format=False, features=rbd.RBD_FEATURE_LAYERING)
        with rbd.Image(io, "base") as img:
            img.write(b"\x01" * 4096, 0)
            img.create_snap("snap")
            img.protect_snap("snap")
    key = make_user(pools, "client.nova",
                    ["mon", "profile rbd", "osd", "profile rbd pool=vms, profile rbd-read-only pool=images"])
    c = connect(store, "nova", key=key)
    with c.open_ioctx("images") as images, c.open_ioctx("vms") as vms:
        rbd.RBD().clone(images, "base", "snap", vms, "disk", features=rbd.RBD_FEATURE_LAYERING)
        with rbd.Image(vms, "disk") as disk:
            assert disk.read(0, 4096) == b"\x01" * 4096
            disk.write(b"\x02" * 4096, 0)
        with rbd.Image(images, "base", read_only=True) as base:
            assert base.read(0, 4096) == b"\x01" * 4096
        with pytest.raises(rbd.PermissionError):
            rbd.Image(images, "base")
        with pytest.raises(rbd.PermissionError):
            rbd.RBD().remove(images, "base")
        rbd.RBD().remove(vms, "disk")
    c.shutdown()
