"""The object API through Ceph's own Python rados module on our librados.so.2: data, xattrs,
omap through write and read operations, listing."""

import time
import rados


def main():
    with rados.Rados(conffile="") as cluster:
        if not cluster.pool_exists("objs"):
            cluster.create_pool("objs")
        with cluster.open_ioctx("objs") as io:
            io.write_full("o1", b"hello")
            io.write("o1", b"XY", 1)
            io.append("o1", b"!")
            assert io.read("o1") == b"hXYlo!", io.read("o1")
            size, _ = io.stat("o1")
            assert size == 6
            io.set_xattr("o1", "user.a", b"1\x002")
            assert io.get_xattr("o1", "user.a") == b"1\x002"
            assert dict(io.get_xattrs("o1")) == {"user.a": b"1\x002"}
            with rados.WriteOpCtx() as op:
                io.set_omap(op, ("k1", "k2", "k3"), (b"v1", b"\x00\xff", b"v3"))
                io.operate_write_op(op, "o1")
            with rados.ReadOpCtx() as op:
                it, ret = io.get_omap_vals(op, "", "", 10)
                io.operate_read_op(op, "o1")
                assert dict(it) == {"k1": b"v1", "k2": b"\x00\xff", "k3": b"v3"}
            with rados.ReadOpCtx() as op:
                it, ret = io.get_omap_vals_by_keys(op, ("k2", "nope"))
                io.operate_read_op(op, "o1")
                assert dict(it) == {"k2": b"\x00\xff"}
            with rados.WriteOpCtx() as op:
                io.remove_omap_keys(op, ("k1",))
                io.operate_write_op(op, "o1")
            with rados.ReadOpCtx() as op:
                it, ret = io.get_omap_keys(op, "", 10)
                io.operate_read_op(op, "o1")
                assert [k for k, _ in it] == ["k2", "k3"]
            # Advisory object locks (cls_lock rules).
            io.lock_exclusive("o1", "L", "c1", desc="d")
            expect(rados.ObjectExists, io.lock_exclusive, "o1", "L", "c1")
            expect(rados.ObjectBusy, io.lock_exclusive, "o1", "L", "c2")
            expect(rados.ObjectBusy, io.lock_shared, "o1", "L", "c2", "t")
            io.unlock("o1", "L", "c1")
            io.lock_shared("o1", "L", "c1", "t")
            io.lock_shared("o1", "L", "c2", "t")
            expect(rados.ObjectBusy, io.lock_shared, "o1", "L", "c3", "other")
            expect(rados.ObjectBusy, io.lock_exclusive, "o1", "L", "c3")
            io.unlock("o1", "L", "c1")
            io.unlock("o1", "L", "c2")
            expect(rados.ObjectNotFound, io.unlock, "o1", "L", "c2")
            io.lock_exclusive("o1", "L", "c1", duration=1)
            time.sleep(1.2)
            io.lock_exclusive("o1", "L", "c2")
            io.unlock("o1", "L", "c2")
            io.write_full("o2", b"")
            assert sorted(o.key for o in io.list_objects()) == ["o1", "o2"]
            io.remove_object("o2")
            try:
                io.read("o2")
                raise AssertionError("read a removed object")
            except rados.ObjectNotFound:
                pass
    transactions_and_namespaces()
    configuration()
    print("ceph python objects ok")


def transactions_and_namespaces():
    """Write operations apply all their steps or none; xattr and namespace rules of an OSD."""
    with rados.Rados(conffile="") as cluster:
        with cluster.open_ioctx("objs") as io:
            io.write_full("t", b"original")
            with rados.WriteOpCtx() as op:
                op.write_full(b"changed")
                io.set_omap(op, ("k",), (b"v",))
                op.new(rados.LIBRADOS_CREATE_EXCLUSIVE)
                expect(rados.ObjectExists, io.operate_write_op, op, "t")
            assert io.read("t") == b"original"
            with rados.WriteOpCtx() as op:
                op.new(rados.LIBRADOS_CREATE_IDEMPOTENT)
                io.operate_write_op(op, "made")
            assert io.stat("made")[0] == 0
            expect(rados.NoData, io.get_xattr, "t", "absent")
            expect(rados.ObjectNotFound, io.get_xattr, "missing", "absent")
            io.trunc("missing", 10)
            expect(rados.ObjectNotFound, io.stat, "missing")
            # Object namespaces need no creation.
            io.set_namespace("implicit")
            io.write_full("t", b"in a namespace")
            io.set_namespace("")
            assert io.read("t") == b"original"
            comps = [io.aio_write("a%d" % i, bytes([i]) * 10) for i in range(4)]
            io.aio_flush()
            assert all(c.is_complete() for c in comps)


def configuration():
    """Options Ceph does not know are refused; known ones read as their default; argv keeps
    what is not an option."""
    try:
        rados.Rados(conffile="", name="bad.invalid")
        raise AssertionError("an unknown entity type was accepted")
    except rados.Error:
        pass
    c = rados.Rados(conffile="")
    expect(rados.ObjectNotFound, c.conf_set, "definitely_not_an_option", "1")
    assert c.conf_get("definitely_not_an_option") is None
    assert c.conf_get("rbd_default_pool") == "rbd"
    assert c.conf_parse_argv(["x", "--rbd_default_pool", "x", "y"]) == ["x", "y"]
    assert c.conf_get("rbd_default_pool") == "x"
    c.shutdown()


def expect(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    raise AssertionError("%s%r did not raise %s" % (fn.__name__, args, exc.__name__))


if __name__ == "__main__":
    main()
