"""Cinder's RBDDriver (Debian's python3-cinder, unmodified) on our rados/rbd modules: create,
snapshot, clone, extend, stats, delete with clones."""

import os
import sys
import types

import rados
import rbd
from oslo_config import cfg

from cinder import context as cinder_context
from cinder.volume import configuration
from cinder.volume import driver as volume_driver
from cinder.volume.drivers import rbd as rbd_driver


def volume(name, size, **kw):
    v = types.SimpleNamespace(name=name, id=name, size=size, encryption_key_id=None, volume_type=None,
                              volume_type_id=None, obj_context=None, host="h@rbd#pool", status="available",
                              admin_metadata={}, metadata={}, volume_attachment=[], multiattach=False,
                              provider_location=None, use_quota=True, **kw)
    v.get = lambda key, default=None: getattr(v, key, default)
    return v


def main(ceph_conf):
    assert rados.__file__.startswith(os.environ["RBDSHIM_PY"]), rados.__file__
    with rados.Rados(conffile=ceph_conf) as c:
        if not c.pool_exists("volumes"):
            c.create_pool("volumes")
    cfg.CONF([], project="cinder")
    conf = configuration.Configuration(volume_driver.volume_opts, config_group="rbd")
    conf.append_config_values(rbd_driver.RBD_OPTS)
    for k, v in {"rbd_pool": "volumes", "rbd_user": "admin", "rbd_ceph_conf": ceph_conf,
                 "volume_backend_name": "rbd", "rbd_max_clone_depth": 5}.items():
        cfg.CONF.set_override(k, v, group="rbd")
    drv = rbd_driver.RBDDriver(configuration=conf)
    drv.do_setup(cinder_context.get_admin_context())
    drv.check_for_setup_error()

    drv.create_volume(volume("volume-a", 1))
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("volumes") as io:
        with rbd.Image(io, "volume-a") as img:
            assert img.size() == 1 << 30
            img.write(b"cinder data", 4096)
    snap = types.SimpleNamespace(name="snapshot-1", volume_name="volume-a", volume=volume("volume-a", 1),
                                 volume_size=1, id="snapshot-1")
    drv.create_snapshot(snap)
    drv.create_volume_from_snapshot(volume("volume-b", 1), snap)
    drv.create_cloned_volume(volume("volume-c", 2), volume("volume-a", 1))
    drv.extend_volume(volume("volume-a", 1), 3)
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("volumes") as io:
        with rbd.Image(io, "volume-a") as img:
            assert img.size() == 3 << 30
        with rbd.Image(io, "volume-b") as img:
            assert img.read(4096, 11) == b"cinder data"
        with rbd.Image(io, "volume-c") as img:
            assert img.size() == 2 << 30 and img.read(4096, 11) == b"cinder data"
    stats = drv.get_volume_stats(refresh=True)
    assert stats["volume_backend_name"] == "rbd", stats
    assert stats["total_capacity_gb"] != "unknown" and stats["free_capacity_gb"] != "unknown", stats
    # volume-a has a snapshot with a clone: Cinder hides it (or renames) rather than failing
    for name in ("volume-b", "volume-c"):
        drv.delete_volume(volume(name, 1))
    drv.delete_snapshot(snap)
    drv.delete_volume(volume("volume-a", 3))
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("volumes") as io:
        left = rbd.RBD().list(io)
        assert left == [], left
    print("cinder RBDDriver: create / snapshot / clone / extend / stats / delete ok")


if __name__ == "__main__":
    main(sys.argv[1])
