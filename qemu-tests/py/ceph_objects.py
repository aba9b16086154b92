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
    print("ceph python objects ok")


def expect(exc, fn, *args):
    try:
        fn(*args)
    except exc:
        return
    raise AssertionError("%s%r did not raise %s" % (fn.__name__, args, exc.__name__))


if __name__ == "__main__":
    main()
