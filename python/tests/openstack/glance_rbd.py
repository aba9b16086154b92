"""glance_store's rbd Store (Debian's python3-glance-store, unmodified) on our rados/rbd modules:
add an image, read it back, check Glance's snapshot, delete it."""

import hashlib
import io
import os
import sys

from oslo_config import cfg

import glance_store
import rados
import rbd
from glance_store import location
from glance_store._drivers import rbd as rbd_store


def main(ceph_conf):
    assert rados.__file__.startswith(os.environ["RBDSHIM_PY"]), rados.__file__
    conf = cfg.ConfigOpts()
    glance_store.register_opts(conf)
    conf([], project="glance")
    conf.set_override("rbd_store_pool", "images", group="glance_store")
    conf.set_override("rbd_store_ceph_conf", ceph_conf, group="glance_store")
    conf.set_override("rbd_store_user", "admin", group="glance_store")
    conf.set_override("rbd_store_chunk_size", 4, group="glance_store")
    with rados.Rados(conffile=ceph_conf) as c:
        if not c.pool_exists("images"):
            c.create_pool("images")
    store = rbd_store.Store(conf)
    store.configure()
    data = os.urandom((9 << 20) + 123)
    uri, size, checksum, multihash, meta = store.add(
        "0ff1ce00-1111-2222-3333-444455556666", io.BytesIO(data), len(data), "sha256")
    assert size == len(data), size
    assert checksum == hashlib.md5(data).hexdigest()
    assert multihash == hashlib.sha256(data).hexdigest()
    assert uri.startswith("rbd://"), uri
    loc = location.Location("rbd", rbd_store.StoreLocation, conf, uri=uri)
    assert store.get_size(loc) == len(data)
    chunks, got_size = store.get(loc)
    assert got_size == len(data) and b"".join(chunks) == data
    # Glance snapshots and protects every upload so that Nova and Cinder can clone it.
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("images") as ioc:
        with rbd.Image(ioc, "0ff1ce00-1111-2222-3333-444455556666") as img:
            snaps = [s["name"] for s in img.list_snaps()]
            assert snaps == ["snap"], snaps
            assert img.is_protected_snap("snap")
    store.delete(loc)
    with rados.Rados(conffile=ceph_conf) as c, c.open_ioctx("images") as ioc:
        assert rbd.RBD().list(ioc) == []
    print("glance_store rbd: add / get / delete ok")


if __name__ == "__main__":
    main(sys.argv[1])
