"""Nova's rbd_utils.RBDDriver (Debian's python3-nova, unmodified) on our rados/rbd modules:
clone an instance disk from a Glance image location, resize, snapshots, parent, flatten,
cleanup. (Its `ceph df` / `rbd import` calls shell out to the CLI, which comes later.)"""

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
    drv.cleanup_volumes(lambda v: v.startswith("inst"))
    assert not drv.exists("inst_disk")
    print("nova rbd_utils: clone / resize / snapshots / flatten / cleanup ok")


if __name__ == "__main__":
    main(sys.argv[1])
