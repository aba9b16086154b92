"""Users, keys and caps through Ceph's own Python rados and rbd modules on our libraries:
the admin makes a user with `mon_command`, the user connects with its key, works in its pool,
and is refused elsewhere with the exceptions Ceph's bindings raise for our errnos."""

import errno
import json
import rados
import rbd


def main():
    with rados.Rados(conffile="") as admin:
        for p in ("authimg", "authother"):
            if not admin.pool_exists(p):
                admin.create_pool(p)
        cmd = {"prefix": "auth get-or-create-key", "entity": "client.pyuser", "format": "json",
               "caps": ["mon", "profile rbd", "osd", "profile rbd pool=authimg"]}
        ret, out, outs = admin.mon_command(json.dumps(cmd), b"")
        assert ret == 0, (ret, outs)
        key = json.loads(out)["key"]
        ret, _, outs = admin.mon_command(json.dumps({"prefix": "no such command"}), b"")
        assert ret == -errno.EINVAL, (ret, outs)

    try:
        rados.Rados(rados_id="pyuser", conffile="", conf={"key": "AQBzQKBlAAAAABAAtCeUvVbo4UEpUhWtmqyUSw==",
                                                          "keyring": "/nonexistent"}).connect()
        raise AssertionError("a wrong key connected")
    except rados.PermissionDeniedError as e:
        assert e.errno == errno.EACCES, e

    with rados.Rados(rados_id="pyuser", conffile="", conf={"key": key, "keyring": "/nonexistent"}) as c:
        with c.open_ioctx("authimg") as io:
            rbd.RBD().create(io, "mine", 1 << 20)
            assert "mine" in rbd.RBD().list(io)
            rbd.RBD().remove(io, "mine")
        with c.open_ioctx("authother") as io:
            try:
                rbd.RBD().create(io, "theirs", 1 << 20)
                raise AssertionError("created outside the user's caps")
            except rbd.PermissionError as e:
                assert e.errno == errno.EPERM, e
            try:
                io.write_full("obj", b"x")
                raise AssertionError("wrote outside the user's caps")
            except rados.PermissionError:
                pass
    print("ok")


if __name__ == "__main__":
    main()
