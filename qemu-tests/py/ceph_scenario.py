"""A create / write / read / snapshot / clone scenario through Ceph's own Python bindings
(Debian's python3-rados / python3-rbd), which then run on whatever librados.so.2 and
librbd.so.1 the loader finds first: ours, in this suite."""

import sys

import rados
import rbd


def main():
    with rados.Rados(conffile="") as cluster:
        assert cluster.state == "connected"
        if not cluster.pool_exists("pyrbd"):
            cluster.create_pool("pyrbd")
        assert "pyrbd" in cluster.list_pools()
        fsid = cluster.get_fsid()
        assert len(fsid) == 36, fsid
        with cluster.open_ioctx("pyrbd") as io:
            r = rbd.RBD()
            r.create(io, "base", 8 << 20)
            assert "base" in r.list(io)
            try:
                r.create(io, "base", 1)
                raise AssertionError("duplicate create succeeded")
            except rbd.ImageExists:
                pass
            with rbd.Image(io, "base") as img:
                assert img.size() == 8 << 20
                assert img.write(b"hello\x00world", 4095) == 11
                assert img.read(4095, 11) == b"hello\x00world"
                img.create_snap("gold")
                img.protect_snap("gold")
                img.write(b"HELLO", 4095)
                assert [s["name"] for s in img.list_snaps()] == ["gold"]
                assert img.is_protected_snap("gold")
            r.clone(io, "base", "gold", io, "child", features=rbd.RBD_FEATURE_LAYERING)
            with rbd.Image(io, "child") as child:
                assert child.read(4095, 11) == b"hello\x00world"
                pool, image, snap = child.parent_info()
                assert (pool, image, snap) == ("pyrbd", "base", "gold"), (pool, image, snap)
                child.write(b"X", 4095)
                assert child.read(4095, 5) == b"Xello"
                child.flatten()
                try:
                    child.parent_info()
                    raise AssertionError("flattened clone still has a parent")
                except rbd.ImageNotFound:
                    pass
            with rbd.Image(io, "base", snapshot="gold", read_only=True) as at:
                assert at.read(4095, 5) == b"hello"
            with rbd.Image(io, "base") as img:
                img.copy(io, "copied")
                img.deep_copy(io, "deep")
            with rbd.Image(io, "copied") as c:
                assert c.read(4095, 5) == b"HELLO" and c.list_snaps() is not None
                assert [s["name"] for s in c.list_snaps()] == []
            with rbd.Image(io, "deep") as d:
                assert [s["name"] for s in d.list_snaps()] == ["gold"]
                assert d.read(4095, 5) == b"HELLO"
                d.set_snap("gold")
                assert d.read(4095, 5) == b"hello"
                d.set_snap(None)
                d.unprotect_snap("gold")
                d.remove_snap("gold")
            r.remove(io, "copied")
            r.remove(io, "deep")
            try:
                r.remove(io, "base")
                raise AssertionError("removed an image with snapshots")
            except rbd.ImageHasSnapshots:
                pass
            r.remove(io, "child")
            with rbd.Image(io, "base") as img:
                img.unprotect_snap("gold")
                img.remove_snap("gold")
            r.remove(io, "base")
            assert r.list(io) == []
            try:
                rbd.Image(io, "missing")
                raise AssertionError("opened a missing image")
            except rbd.ImageNotFound:
                pass
    print("ceph python scenario ok")


if __name__ == "__main__":
    sys.exit(main())
