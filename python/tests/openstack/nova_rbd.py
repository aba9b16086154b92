"""Nova's rbd_utils.RBDDriver (Debian's python3-nova, unmodified) on our rados/rbd modules:
clone an instance disk from a Glance image location, resize, snapshots, parent, flatten,
cleanup, and the calls that shell out to our `rbd` and `ceph` tools: import_image,
export_image, get_pool_info (`ceph df`) and get_mon_addrs (`ceph mon dump`)."""

import os
import sys

import rados
import rbd
from nova import exception
from nova.storage import rbd_utils


def main(ceph_conf):
    assert rados.__file__.startswith(os.environ["RBDSHIM_PY"]), rados.__file__
    size = 8 << 20
    with rados.Rados(conffile=ceph_conf) as c:
        for p in ("images", "vms"):
            if not c.pool_exists(p):
                c.create_pool(p)
        with c.open_ioctx("images") as io:
            rbd.RBD().create(io, "glance-img", size)
            with rbd.Image(io, "glance-img") as img:
                img.write(b"boot sector", 0)
                img.create_snap("snap")
                img.protect_snap("snap")
    drv = rbd_utils.RBDDriver(pool="vms", user="admin", ceph_conf=ceph_conf)
    fsid = drv.get_fsid()
    url = "rbd://%s/images/glance-img/snap" % fsid
    assert drv.is_cloneable({"url": url}, {"disk_format": "raw"})
    assert not drv.is_cloneable({"url": "rbd://other-fsid/images/glance-img/snap"}, {"disk_format": "raw"})
    drv.clone({"url": url}, "inst_disk")
    assert drv.exists("inst_disk")
    assert drv.exists("glance-img", pool="images", snapshot="snap")
    assert drv.size("inst_disk") == size
    assert drv.parent_info("inst_disk") == ("images", "glance-img", "snap")
    drv.resize("inst_disk", 2 * size)
    assert drv.size("inst_disk") == 2 * size
    drv.create_snap("inst_disk", "backup", protect=True)
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("vms") as io:
        with rbd.Image(io, "inst_disk") as img:
            assert img.read(0, 11) == b"boot sector"
            img.write(b"changed", 0)
    drv.rollback_to_snap("inst_disk", "backup")
    drv.remove_snap("inst_disk", "backup", force=True)
    drv.flatten("inst_disk")
    try:
        drv.parent_info("inst_disk")
        raise AssertionError("flattened disk still has a parent")
    except exception.ImageUnacceptable:
        pass
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("vms") as io:
        with rbd.Image(io, "inst_disk") as img:
            assert img.read(0, 11) == b"boot sector"
    # The CLI paths: `rbd import` / `rbd export` and `ceph df` / `ceph mon dump`.
    base = os.path.join(os.path.dirname(ceph_conf), "base.raw")
    data = bytes(range(256)) * 4096 + b"\0" * (3 << 20)
    with open(base, "wb") as f:
        f.write(data)
    drv.import_image(base, "inst_imported")
    assert drv.size("inst_imported") == len(data)
    drv.create_snap("inst_imported", "exp")
    out = base + ".out"
    drv.export_image(out, "inst_imported", "exp")
    with open(out, "rb") as f:
        assert f.read() == data
    info = drv.get_pool_info()
    assert info["total"] > 0 and info["free"] > 0 and info["used"] >= 0, info
    hosts, ports = drv.get_mon_addrs()
    assert hosts and ports and all(p.isdigit() for p in ports), (hosts, ports)
    drv.cleanup_volumes(lambda v: v.startswith("inst"))
    assert not drv.exists("inst_disk")
    print("nova rbd_utils: clone / resize / snapshots / flatten / cleanup ok")


if __name__ == "__main__":
    main(sys.argv[1])
