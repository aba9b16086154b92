"""The rados and rbd modules on a fresh file store: life cycle, data as bytes, exceptions."""

import errno
import os
import tempfile

import pytest

import rados
import rbd


def test_cluster_basics(cluster):
    assert cluster.state == "connected"
    assert "rbd" in cluster.list_pools()
    assert cluster.pool_exists("rbd") and not cluster.pool_exists("nope")
    assert len(cluster.get_fsid()) == 36
    v = cluster.version()
    assert (v.major, v.minor, v.extra) == (3, 0, 0) and str(v) == "3.0.0"
    stats = cluster.get_cluster_stats()
    assert set(stats) == {"kb", "kb_used", "kb_avail", "num_objects"}
    with pytest.raises(rados.ObjectExists) as e:
        cluster.create_pool("rbd")
    assert e.value.errno == errno.EEXIST
    with pytest.raises(rados.ObjectNotFound):
        cluster.open_ioctx("nope")
    assert cluster.conf_get("definitely_not_set") is None


def test_exception_hierarchy_and_messages():
    e = rados.ObjectNotFound("x", errno=2)
    assert isinstance(e, rados.OSError) and isinstance(e, rados.Error)
    assert str(e) == "[errno 2] RADOS object not found (x)"
    e = rbd.ImageNotFound("x", errno=2)
    assert isinstance(e, rbd.OSError) and str(e) == "[errno 2] RBD image not found (x)"
    assert rbd.make_ex(-errno.ENOTEMPTY, "m").__class__ is rbd.ImageHasSnapshots


def test_objects(ioctx):
    ioctx.write_full("o", b"hello")
    ioctx.write("o", b"J", 0)
    assert ioctx.read("o") == b"Jello"
    assert ioctx.stat("o")[0] == 5
    ioctx.set_xattr("o", "a", b"\x00\x01")
    assert ioctx.get_xattr("o", "a") == b"\x00\x01"
    assert [o.key for o in ioctx.list_objects()] == ["o"]
    assert ioctx.remove_object("o")
    with pytest.raises(rados.ObjectNotFound):
        ioctx.read("o")
    with pytest.raises(TypeError):
        ioctx.write_full("o", "text is not bytes")


def test_image_life_cycle(ioctx):
    r = rbd.RBD()
    r.create(ioctx, "img", 4 << 20)
    with pytest.raises(rbd.ImageExists):
        r.create(ioctx, "img", 1)
    assert r.list(ioctx) == ["img"]
    with rbd.Image(ioctx, "img") as img:
        assert img.size() == 4 << 20
        assert img.write(b"abc", 1) == 3
        data = img.read(0, 5)
        assert isinstance(data, bytes) and data == b"\x00abc\x00"
        img.create_snap("s")
        img.protect_snap("s")
        assert [s["name"] for s in img.list_snaps()] == ["s"]
        assert img.features() == rbd.RBD_FEATURES_DEFAULT
        with pytest.raises(rbd.InvalidArgument):
            img.read(4 << 20, 1)
    r.clone(ioctx, "img", "s", ioctx, "child")
    with rbd.Image(ioctx, "child") as c:
        assert c.parent_info() == ("rbd", "img", "s")
        assert c.read(1, 3) == b"abc"
        extents = []
        c.diff_iterate(0, c.size(), None, lambda *a: extents.append(a))
        assert extents and extents[0][2] is True
        c.flatten()
        with pytest.raises(rbd.ImageNotFound):
            c.parent_info()
    with pytest.raises(rbd.ImageHasSnapshots):
        r.remove(ioctx, "img")
    with rbd.Image(ioctx, "img", snapshot="s", read_only=True) as at:
        with pytest.raises(rbd.ReadOnlyImage):
            at.write(b"x", 0)
    with pytest.raises(rbd.ImageNotFound):
        rbd.Image(ioctx, "missing")


def test_fork_child_keeps_working(ioctx):
    rbd.RBD().create(ioctx, "f", 1 << 20)
    with rbd.Image(ioctx, "f") as img:
        img.write(b"parent", 0)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with rbd.Image(ioctx, "f") as img:
                img.write(b"child", 100)
                code = 0 if img.read(0, 6) == b"parent" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    with rbd.Image(ioctx, "f") as img:
        assert img.read(100, 5) == b"child"


def test_mon_commands(cluster):
    import json

    ret, out, outs = cluster.mon_command('{"prefix":"df", "format":"json"}', b"")
    assert ret == 0
    df = json.loads(out)
    assert df["stats"]["total_bytes"] > 0
    assert [p["name"] for p in df["pools"]] == ["rbd"]
    assert "max_avail" in df["pools"][0]["stats"]
    ret, out, _ = cluster.mon_command('{"prefix":"osd pool get-quota", "pool": "rbd", "format":"json"}', b"")
    assert ret == 0 and json.loads(out)["quota_max_bytes"] == 0
    ret, out, _ = cluster.mon_command('{"prefix":"mon dump", "format":"json"}', b"")
    assert json.loads(out)["fsid"] == cluster.get_fsid()
    ret, _, _ = cluster.mon_command('{"prefix":"no such thing"}', b"")
    assert ret == -errno.EINVAL


def test_object_wrapper_and_image_config(ioctx):
    ioctx.write_full("obj", b"0123456789")
    o = rados.Object(ioctx, "obj")
    assert o.read(4) == b"0123" and o.read(3) == b"456"
    o.seek(0)
    o.write(b"ab")
    assert ioctx.read("obj") == b"ab23456789"
    assert o.stat()[0] == 10
    o.remove()
    rbd.RBD().create(ioctx, "c", 1 << 20)
    with rbd.Image(ioctx, "c") as img:
        img.config_set("rbd_cache", "false")
        assert [(c["name"], c["value"]) for c in img.config_list()
                if c["source"] == rbd.RBD_CONFIG_SOURCE_IMAGE] == [("rbd_cache", "false")]
        img.config_remove("rbd_cache")
        assert not [c for c in img.config_list() if c["source"] == rbd.RBD_CONFIG_SOURCE_IMAGE]


def test_aio_callbacks_with_the_gil_and_bytes(ioctx):
    import threading

    rbd.RBD().create(ioctx, "a", 1 << 20)
    with rbd.Image(ioctx, "a") as img:
        main = threading.get_ident()
        seen = []
        done = threading.Event()

        def wrote(comp):
            seen.append(("w", comp.get_return_value(), threading.get_ident() != main))

        comps = [img.aio_write(bytes([i]) * 512, i * 512, wrote) for i in range(1, 9)]
        for c in comps:
            c.wait_for_complete_and_cb()
        assert len(seen) == 8 and all(r == 0 and other for _, r, other in seen)

        def read(comp, data):
            seen.append(("r", data))
            done.set()

        img.aio_read(3 * 512, 512, read).wait_for_complete_and_cb()
        assert done.is_set() and seen[-1] == ("r", bytes([3]) * 512)
        errors = []
        img.aio_read(1 << 30, 1, lambda c, d: errors.append((c.get_return_value(), d))).wait_for_complete_and_cb()
        assert errors == [(-errno.EINVAL, None)]
        flushed = []
        img.aio_flush(lambda c: flushed.append(c.get_return_value())).wait_for_complete_and_cb()
        assert flushed == [0]


def test_locks(ioctx):
    rbd.RBD().create(ioctx, "l", 1 << 20)
    with rbd.Image(ioctx, "l") as img:
        assert img.list_lockers() == []
        img.lock_exclusive("c1")
        with pytest.raises(rbd.ImageExists):
            img.lock_exclusive("c1")
        lockers = img.list_lockers()
        assert lockers["exclusive"] and lockers["lockers"][0][1] == "c1"
        img.break_lock(lockers["lockers"][0][0], "c1")
        img.lock_acquire(rbd.RBD_LOCK_MODE_EXCLUSIVE)
        assert img.is_exclusive_lock_owner()
        assert [o["mode"] for o in img.lock_get_owners()] == [rbd.RBD_LOCK_MODE_EXCLUSIVE]
        img.lock_release()
        assert not img.is_exclusive_lock_owner()


def test_rados_aio(ioctx):
    got = []
    c = ioctx.aio_write_full("a", b"0123456789", oncomplete=lambda comp: got.append(comp.is_complete()))
    c.wait_for_complete_and_cb()
    assert got == [True], "librados reports completion before the callback"
    ioctx.aio_append("a", b"!").wait_for_complete()
    data = []
    ioctx.aio_read("a", 100, 2, oncomplete=lambda comp, d: data.append(d)).wait_for_complete_and_cb()
    assert data == [b"23456789!"]
    c = ioctx.aio_read("missing", 1, 0, oncomplete=lambda comp, d: data.append(d))
    c.wait_for_complete_and_cb()
    assert c.get_return_value() == -errno.ENOENT and data[-1] is None
    ioctx.aio_remove("a").wait_for_complete()
    with pytest.raises(rados.ObjectNotFound):
        ioctx.read("a")


def test_multiprocessing_fork_workers(ioctx):
    import multiprocessing

    rbd.RBD().create(ioctx, "mp", 1 << 20)
    global _INHERITED
    _INHERITED = ioctx  # handles are not picklable (neither are Ceph's): workers inherit it
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        assert sorted(pool.map(_worker_write, range(4))) == [0, 1, 2, 3]
    with rbd.Image(ioctx, "mp") as img:
        for i in range(4):
            assert img.read(i * 4096, 6) == b"worker"


_INHERITED = None


def _worker_write(i):
    with rbd.Image(_INHERITED, "mp") as img:
        img.write(b"worker", i * 4096)
    return i


def test_small_helpers(ioctx):
    r = rbd.RBD()
    assert r.features_to_string(rbd.RBD_FEATURES_DEFAULT) == "layering,exclusive-lock,object-map,fast-diff,deep-flatten"
    assert r.features_from_string("layering,fast-diff") == 17
    with pytest.raises(rbd.InvalidArgument):
        r.features_from_string("bogus")
    r.create(ioctx, "h", 1 << 20)
    with rbd.Image(ioctx, "h") as img:
        assert img.get_name() == "h"
        with pytest.raises(rbd.OperationNotSupported) as e:
            img.encryption_load(rbd.RBD_ENCRYPTION_FORMAT_LUKS1, "secret")
        assert e.value.errno == errno.EOPNOTSUPP
