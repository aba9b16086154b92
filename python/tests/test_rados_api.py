"""Ceph 16.2's `rados` Python API, class by class and method by method, on a fresh file store.

Expected behaviour is Ceph's (src/pybind/rados/rados.pyx of v16.2 and librados/OSD semantics
behind it): the exception class *and* its errno, bytes in and bytes out, return values.
test_basic.py holds the smoke tests; these go through every call and its error paths.
"""

import errno
import json
import os
import tempfile
import threading
import time
import uuid

import pytest

from conftest import backend_spec

import rados


@pytest.fixture()
def other_client(cluster):
    """A second client (its own Rados handle and identity) on the same store."""
    c = rados.Rados(conffile=None)
    c.connect()
    io = c.open_ioctx("rbd")
    yield io
    io.close()
    c.shutdown()


def raises(exc, code, fn, *args, **kwargs):
    """fn(*args) raises exactly `exc` (or a subclass) carrying errno `code`."""
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    assert e.value.errno == code, "errno %r, expected %r (%s)" % (e.value.errno, code, e.value)
    return e.value


def omap_of(ioctx, oid, start_after="", filter_prefix="", max_return=1000):
    with rados.ReadOpCtx() as op:
        it, ret = ioctx.get_omap_vals(op, start_after, filter_prefix, max_return)
        assert ret == 0
        ioctx.operate_read_op(op, oid)
        return list(it)


# --------------------------------------------------------------------------- Rados: handle


def test_rados_id_and_name(store):
    # The entity name is not an option: rados_conf_get("name") is -ENOENT in Ceph 16.2. It shows
    # in the options whose default holds $name, such as the keyring path.
    c = rados.Rados(rados_id="glance", conffile=None)
    assert c.rados_id == "glance"
    assert c.conf_get("name") is None
    assert ".client.glance.keyring," in c.conf_get("keyring")
    assert c.state == "configuring"
    c.shutdown()
    c = rados.Rados(name="client.cinder", conffile=None)
    assert ".client.cinder.keyring," in c.conf_get("keyring")
    c.shutdown()
    c = rados.Rados(conffile=None)
    assert ".client.admin.keyring," in c.conf_get("keyring")
    c.shutdown()


@pytest.mark.parametrize("kwargs", [{"rados_id": "a", "name": "client.b"}, {"name": "invalid"},
                                    {"name": "bad.invalid"}], ids=["id-and-name", "no-type", "unknown-type"])
def test_rados_bad_identity_is_plain_error(store, kwargs):
    # Rados.__setup: both ids given, or rados_create2 refusing the entity name (Ceph's test_rados_init_error)
    with pytest.raises(rados.Error) as e:
        rados.Rados(conffile=None, **kwargs)
    assert type(e.value) is rados.Error


@pytest.mark.parametrize("kwargs", [{"rados_id": 5}, {"name": 5}, {"clustername": 5}, {"conffile": 5}],
                         ids=["rados_id", "name", "clustername", "conffile"])
def test_rados_constructor_type_checks(store, kwargs):
    with pytest.raises(TypeError):
        rados.Rados(**kwargs)


def test_rados_clustername(store):
    # Like the entity name, the cluster name is not an option; it expands as $cluster.
    c = rados.Rados(clustername="ceph", conffile=None)
    assert c.conf_get("cluster") is None
    assert c.conf_get("keyring").startswith("/etc/ceph/ceph.client.admin.keyring,")
    c.connect()
    assert c.state == "connected"
    c.shutdown()


def test_conf_precedence_defaults_file_conf(store):
    path = os.path.join(store, "client.conf")
    with open(path, "w") as f:
        f.write("[global]\nrbd_default_order = 20\nrbd cache = false\n")
    c = rados.Rados(conffile=path,
                    conf_defaults={"rbd_default_order": "21", "rbd_default_features": "1"},
                    conf={"rbd_cache": "true"})
    try:
        assert c.conf_defaults == {"rbd_default_order": "21", "rbd_default_features": "1"}
        assert c.conffile == path
        assert c.conf_get("rbd_default_order") == "20"  # the file wins over conf_defaults
        assert c.conf_get("rbd_default_features") == "1"  # defaults stay where nothing overrides
        assert c.conf_get("rbd_cache") == "true"  # conf wins over the file
    finally:
        c.shutdown()


def test_conffile_missing_is_object_not_found(store):
    raises(rados.ObjectNotFound, errno.ENOENT, rados.Rados, conffile=os.path.join(store, "nope.conf"))
    c = rados.Rados(conffile=None)
    raises(rados.ObjectNotFound, errno.ENOENT, c.conf_read_file, os.path.join(store, "nope.conf"))
    c.shutdown()


def test_conf_read_file(store):
    path = os.path.join(store, "c.conf")
    with open(path, "w") as f:
        f.write("[client]\nrbd_default_order = 23\n")
    c = rados.Rados(conffile=None)
    assert c.conf_read_file(path) is None
    assert c.conf_get("rbd_default_order") == "23"
    c.shutdown()


def test_conf_set_and_get(store):
    c = rados.Rados(conffile=None)
    try:
        assert c.conf_set("rbd_cache", "false") is None
        assert c.conf_get("rbd_cache") == "false"
        c.conf_set("rbd cache", "true")  # spaces and underscores are the same in option names
        assert c.conf_get("rbd_cache") == "true"
        assert c.conf_get("definitely_not_an_option") is None
        raises(rados.InvalidArgumentError, errno.EINVAL, c.conf_set, "rbd_cache", "maybe")
        assert c.conf_get("rbd_cache") == "true"
    finally:
        c.shutdown()


def test_conf_set_unknown_option_is_enoent(store):
    # md_config_t::set_val: an option that is not in the schema is -ENOENT.
    c = rados.Rados(conffile=None)
    try:
        raises(rados.ObjectNotFound, errno.ENOENT, c.conf_set, "definitely_not_an_option", "1")
    finally:
        c.shutdown()


def test_conf_types_are_checked(store):
    # Rados.conf_set(self, unicode option: str, unicode val: str): typed Cython arguments.
    c = rados.Rados(conffile=None)
    try:
        with pytest.raises(TypeError):
            c.conf_set("rbd_default_order", 20)
        with pytest.raises(TypeError):
            c.conf_get(20)
    finally:
        c.shutdown()


def test_conf_parse_argv(store):
    c = rados.Rados(conffile=None)
    try:
        rest = c.conf_parse_argv(["--rbd_default_order", "20", "leftover", "--rbd-cache=false"])
        assert rest == ["leftover"]
        assert c.conf_get("rbd_default_order") == "20"
        assert c.conf_get("rbd_cache") == "false"
    finally:
        c.shutdown()


def test_conf_parse_argv_keeps_unknown_arguments(store):
    # unknown arguments, "--" options included, come back untouched (Ceph's test_rados.py test_parse_argv)
    c = rados.Rados(conffile=None)
    try:
        args = ["osd", "pool", "delete", "foobar", "foobar", "--yes-i-really-really-mean-it"]
        assert c.conf_parse_argv(args) == args
        assert c.conf_parse_argv([""]) == [""]
    finally:
        c.shutdown()


def test_conf_parse_argv_empty_returns_none(store):
    # Rados.conf_parse_argv: "if not args: return"
    c = rados.Rados(conffile=None)
    try:
        assert c.conf_parse_argv([]) is None
    finally:
        c.shutdown()


def test_conf_parse_env(store, monkeypatch):
    monkeypatch.setenv("CEPH_ARGS", "--rbd_default_order 21")
    monkeypatch.setenv("MY_CEPH_ARGS", "--rbd_default_features 3")
    c = rados.Rados(conffile=None)
    try:
        c.conf_parse_env()
        assert c.conf_get("rbd_default_order") == "21"
        c.conf_parse_env("MY_CEPH_ARGS")
        assert c.conf_get("rbd_default_features") == "3"
    finally:
        c.shutdown()


def test_state_machine(store):
    c = rados.Rados(conffile=None)
    assert c.state == "configuring"
    for call in (c.list_pools, c.get_fsid, c.get_cluster_stats, lambda: c.pool_exists("rbd"),
                 lambda: c.open_ioctx("rbd"), lambda: c.mon_command('{"prefix": "fsid"}', b"")):
        with pytest.raises(rados.RadosStateError):
            call()
    c.require_state("configuring")
    assert c.connect(timeout=5) is None
    assert c.state == "connected"
    c.require_state("connected")
    c.require_state("configuring", "connected")
    e = pytest.raises(rados.RadosStateError, c.require_state, "configuring").value
    assert isinstance(e, rados.Error) and not isinstance(e, rados.OSError)
    with pytest.raises(rados.RadosStateError):
        c.connect()
    c.create_pool("p")
    c.shutdown()
    assert c.state == "shutdown"
    for call in (c.list_pools, c.get_fsid, lambda: c.conf_get("name"), lambda: c.conf_set("rbd_cache", "true"),
                 lambda: c.pool_exists("p"), lambda: c.open_ioctx("p"), lambda: c.create_pool("q"),
                 lambda: c.mon_command('{"prefix": "fsid"}', b""), c.connect):
        with pytest.raises(rados.RadosStateError):
            call()
    c.shutdown()  # a second shutdown is harmless
    assert c.state == "shutdown"


def test_context_manager_connects_and_shuts_down(store):
    with rados.Rados(conffile=None) as c:
        assert c.state == "connected"
        c.create_pool("x")
    assert c.state == "shutdown"


def test_fsid_is_stable_per_cluster(store):
    with rados.Rados(conffile=None) as a:
        fsid = a.get_fsid()
        assert isinstance(fsid, str)
        assert str(uuid.UUID(fsid)) == fsid
        with rados.Rados(conffile=None) as b:
            assert b.get_fsid() == fsid
    with rados.Rados(conffile=None) as c:
        assert c.get_fsid() == fsid


def test_fsid_differs_between_stores(monkeypatch):
    fsids = []
    for _ in range(2):
        with tempfile.TemporaryDirectory() as d:
            monkeypatch.setenv("RBDSHIM_BACKEND", backend_spec(d))
            with rados.Rados(conffile=None) as c:
                fsids.append(c.get_fsid())
    assert fsids[0] != fsids[1]


def test_version(cluster):
    v = cluster.version()
    assert (v.major, v.minor, v.extra) == (3, 0, 0)
    assert str(v) == "3.0.0"


def test_instance_ids(cluster):
    with rados.Rados(conffile=None) as other:
        a, b = cluster.get_instance_id(), other.get_instance_id()
    assert isinstance(a, int) and a > 0
    assert a != b


def test_cluster_stats(cluster):
    stats = cluster.get_cluster_stats()
    assert set(stats) == {"kb", "kb_used", "kb_avail", "num_objects"}
    assert all(isinstance(v, int) and v >= 0 for v in stats.values())
    assert stats["kb"] > 0 and stats["kb"] >= stats["kb_avail"] and stats["kb"] >= stats["kb_used"]


# --------------------------------------------------------------------------- Rados: pools


def test_pool_create_lookup_delete(cluster):
    assert cluster.create_pool("data") is None
    assert sorted(cluster.list_pools()) == ["data", "rbd"]
    pid = cluster.pool_lookup("data")
    assert isinstance(pid, int) and pid >= 0 and pid != cluster.pool_lookup("rbd")
    assert cluster.pool_reverse_lookup(pid) == "data"
    assert cluster.pool_exists("data")
    assert cluster.delete_pool("data") is None
    assert not cluster.pool_exists("data")
    assert cluster.pool_lookup("data") is None
    assert cluster.pool_reverse_lookup(pid) is None
    assert cluster.list_pools() == ["rbd"]
    raises(rados.ObjectNotFound, errno.ENOENT, cluster.delete_pool, "data")
    raises(rados.ObjectExists, errno.EEXIST, cluster.create_pool, "rbd")


def test_pool_argument_types(cluster):
    with pytest.raises(TypeError):
        cluster.pool_exists(1)
    with pytest.raises(TypeError):
        cluster.pool_lookup(1)
    with pytest.raises(TypeError):
        cluster.pool_reverse_lookup("rbd")
    with pytest.raises(TypeError):
        cluster.create_pool(1)
    with pytest.raises(TypeError):
        cluster.open_ioctx(b"rbd")
    with pytest.raises(TypeError):
        cluster.open_ioctx2("1")


def test_deleted_pool_data_is_gone(cluster):
    cluster.create_pool("tmp")
    with cluster.open_ioctx("tmp") as io:
        io.write_full("o", b"data")
    cluster.delete_pool("tmp")
    cluster.create_pool("tmp")
    with cluster.open_ioctx("tmp") as io:
        raises(rados.ObjectNotFound, errno.ENOENT, io.read, "o")
        assert list(io.list_objects()) == []


def test_open_ioctx_and_ioctx2(cluster):
    raises(rados.ObjectNotFound, errno.ENOENT, cluster.open_ioctx, "nope")
    pid = cluster.pool_lookup("rbd")
    with cluster.open_ioctx2(pid) as io:
        assert io.get_pool_name() == "rbd"
        assert io.get_pool_id() == pid
        io.write_full("via-id", b"x")
    with cluster.open_ioctx("rbd") as io:
        assert io.read("via-id") == b"x"
    raises(rados.ObjectNotFound, errno.ENOENT, cluster.open_ioctx2, pid + 1000)


# --------------------------------------------------------------------------- Rados: commands


def mon_json(cluster, **cmd):
    cmd.setdefault("format", "json")
    ret, out, outs = cluster.mon_command(json.dumps(cmd), b"")
    assert ret == 0, (cmd, ret, outs)
    assert isinstance(out, bytes) and isinstance(outs, str)
    return json.loads(out)


def test_mon_command_result_types(cluster):
    ret, out, outs = cluster.mon_command(json.dumps({"prefix": "fsid", "format": "json"}), b"")
    assert isinstance(ret, int) and isinstance(out, bytes) and isinstance(outs, str)
    ret, out, outs = cluster.mon_command(json.dumps({"prefix": "no such command"}), b"")
    assert ret == -errno.EINVAL and isinstance(out, bytes) and isinstance(outs, str)


def test_mon_df(cluster, ioctx):
    ioctx.write_full("a", b"x" * 1000)
    ioctx.write_full("b", b"y" * 3000)
    df = mon_json(cluster, prefix="df")
    assert {"total_bytes", "total_avail_bytes", "total_used_bytes", "total_used_raw_bytes"} <= set(df["stats"])
    assert df["stats"]["total_bytes"] >= df["stats"]["total_avail_bytes"]
    (pool,) = df["pools"]
    assert pool["name"] == "rbd" and pool["id"] == cluster.pool_lookup("rbd")
    assert {"stored", "objects", "kb_used", "bytes_used", "percent_used", "max_avail"} <= set(pool["stats"])
    assert pool["stats"]["stored"] >= 4000
    assert pool["stats"]["objects"] == 2


def test_mon_pool_get_quota(cluster):
    q = mon_json(cluster, prefix="osd pool get-quota", pool="rbd")
    assert q == {"pool_name": "rbd", "pool_id": cluster.pool_lookup("rbd"), "quota_max_objects": 0,
                 "quota_max_bytes": 0}
    ret, _, outs = cluster.mon_command(json.dumps({"prefix": "osd pool get-quota", "pool": "nope",
                                                   "format": "json"}), b"")
    assert ret == -errno.ENOENT


def test_mon_dump(cluster):
    d = mon_json(cluster, prefix="mon dump")
    assert d["fsid"] == cluster.get_fsid()
    assert isinstance(d["epoch"], int)
    assert d["mons"] and {"rank", "name", "public_addrs", "addr", "public_addr"} <= set(d["mons"][0])
    assert "addrvec" in d["mons"][0]["public_addrs"]
    assert d["quorum"] == [d["mons"][0]["rank"]]


def test_mon_pool_listings(cluster):
    cluster.create_pool("data")
    ids = {n: cluster.pool_lookup(n) for n in ("rbd", "data")}
    lspools = mon_json(cluster, prefix="osd lspools")
    assert sorted((p["poolnum"], p["poolname"]) for p in lspools) == sorted((i, n) for n, i in ids.items())
    assert sorted(mon_json(cluster, prefix="osd pool ls")) == ["data", "rbd"]
    ret, out, _ = cluster.mon_command(json.dumps({"prefix": "osd pool ls"}), b"")
    assert ret == 0 and sorted(out.split()) == [b"data", b"rbd"]


def test_mon_status(cluster):
    st = mon_json(cluster, prefix="status")
    assert st["fsid"] == cluster.get_fsid()
    assert st["health"]["status"] == "HEALTH_OK"
    assert st["quorum_names"]
    assert {"num_osds", "num_up_osds", "num_in_osds"} <= set(st["osdmap"])
    assert {"num_pools", "num_objects", "bytes_used", "bytes_avail", "bytes_total"} <= set(st["pgmap"])
    assert st["pgmap"]["num_pools"] == 1


def test_mon_fsid_json_and_plain(cluster):
    assert mon_json(cluster, prefix="fsid") == {"fsid": cluster.get_fsid()}
    ret, out, _ = cluster.mon_command(json.dumps({"prefix": "fsid"}), b"")
    assert ret == 0 and out.strip() == cluster.get_fsid().encode()


def test_mgr_command(cluster):
    ret, out, outs = cluster.mgr_command(json.dumps({"prefix": "df", "format": "json"}), b"")
    assert ret == 0 and isinstance(out, bytes) and isinstance(outs, str)
    assert [p["name"] for p in json.loads(out)["pools"]] == ["rbd"]


# --------------------------------------------------------------------------- Ioctx: data


def test_write_calls_return_zero(ioctx):
    assert ioctx.write("o", b"abc") == 0
    assert ioctx.write_full("o", b"abcdef") == 0
    assert ioctx.append("o", b"g") == 0
    assert ioctx.trunc("o", 5) == 0
    assert ioctx.read("o") == b"abcde"


def test_read_length_offset_and_end(ioctx):
    data = bytes(range(256)) * 64  # 16 KiB, every byte value
    ioctx.write_full("o", data)
    assert ioctx.read("o") == data[:8192]  # default length
    got = ioctx.read("o", len(data))
    assert isinstance(got, bytes) and got == data
    assert ioctx.read("o", 10, 250) == data[250:260]
    assert ioctx.read("o", 100, len(data) - 4) == data[-4:]
    assert ioctx.read("o", 10, len(data) + 100) == b""
    assert ioctx.read("o", 0) == b""
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.read, "missing")


def test_large_object_roundtrip(ioctx):
    data = os.urandom(4 << 20)
    ioctx.write_full("big", data)
    assert ioctx.stat("big")[0] == len(data)
    assert ioctx.read("big", len(data)) == data


def test_write_at_offset_zero_fills(ioctx):
    ioctx.write("o", b"xy", 5)
    assert ioctx.read("o") == b"\0\0\0\0\0xy"
    ioctx.write("o", b"A", 1)
    assert ioctx.read("o") == b"\0A\0\0\0xy"


def test_write_full_replaces_and_append_extends(ioctx):
    ioctx.write_full("o", b"long content")
    ioctx.write_full("o", b"short")
    assert ioctx.read("o") == b"short"
    ioctx.append("o", b"+more")
    ioctx.append("new", b"created")
    assert ioctx.read("o") == b"short+more"
    assert ioctx.read("new") == b"created"
    ioctx.write_full("o", b"")
    assert ioctx.read("o") == b"" and ioctx.stat("o")[0] == 0


def test_stat(ioctx):
    before = time.time()
    ioctx.write_full("o", b"12345")
    size, mtime = ioctx.stat("o")
    assert size == 5
    assert isinstance(mtime, time.struct_time)
    assert before - 5 <= time.mktime(mtime) <= time.time() + 5
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "missing")


def test_remove_object(ioctx):
    ioctx.write_full("o", b"x")
    assert ioctx.remove_object("o") is True
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "o")
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.remove_object, "o")


def test_trunc(ioctx):
    ioctx.write_full("o", b"0123456789")
    ioctx.trunc("o", 4)
    assert ioctx.read("o") == b"0123"
    ioctx.trunc("o", 8)
    assert ioctx.read("o") == b"0123\0\0\0\0"
    assert ioctx.stat("o")[0] == 8


def test_trunc_missing_object_is_a_no_op(ioctx):
    # PrimaryLogPG: CEPH_OSD_OP_TRUNCATE on an object that does not exist "is a no-op".
    assert ioctx.trunc("missing", 10) == 0
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "missing")


DATA_CALLS = {
    "write": lambda io, d: io.write("o", d),
    "write_full": lambda io, d: io.write_full("o", d),
    "append": lambda io, d: io.append("o", d),
    "set_xattr": lambda io, d: io.set_xattr("o", "a", d),
    "aio_write": lambda io, d: io.aio_write("o", d),
    "aio_write_full": lambda io, d: io.aio_write_full("o", d),
    "aio_append": lambda io, d: io.aio_append("o", d),
}


@pytest.mark.parametrize("call", sorted(DATA_CALLS))
@pytest.mark.parametrize("bad", ["text", bytearray(b"ba"), memoryview(b"mv"), 5, None],
                         ids=["str", "bytearray", "memoryview", "int", "None"])
def test_data_must_be_bytes(ioctx, call, bad):
    # typed Cython arguments (bytes data): bytearray and memoryview are refused too
    with pytest.raises(TypeError):
        DATA_CALLS[call](ioctx, bad)
    ioctx.aio_flush()
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "o")


def test_object_names_must_be_str(ioctx):
    ioctx.write_full("o", b"x")
    for call in (lambda: ioctx.read(b"o"), lambda: ioctx.write(b"o", b"x"), lambda: ioctx.stat(b"o"),
                 lambda: ioctx.remove_object(b"o"), lambda: ioctx.get_xattr(b"o", "a")):
        with pytest.raises(TypeError):
            call()


def test_binary_object_names(ioctx):
    names = ["with space", "üñí©ødé", "slash/in/name", "x" * 200]
    for i, n in enumerate(names):
        ioctx.write_full(n, bytes([i]))
    for i, n in enumerate(names):
        assert ioctx.read(n) == bytes([i])
    assert sorted(o.key for o in ioctx.list_objects()) == sorted(names)


# --------------------------------------------------------------------------- Ioctx: xattrs


def test_xattr_roundtrip(ioctx):
    ioctx.write_full("o", b"data")
    value = b"\x00\xff binary \x00"
    assert ioctx.set_xattr("o", "user.bin", value) is True
    assert ioctx.set_xattr("o", "empty", b"") is True
    got = ioctx.get_xattr("o", "user.bin")
    assert isinstance(got, bytes) and got == value
    assert ioctx.get_xattr("o", "empty") == b""
    big = os.urandom(10000)  # larger than the first 4096-byte buffer
    ioctx.set_xattr("o", "big", big)
    assert ioctx.get_xattr("o", "big") == big
    ioctx.set_xattr("o", "user.bin", b"replaced")
    assert ioctx.get_xattr("o", "user.bin") == b"replaced"
    assert ioctx.read("o") == b"data"


def test_xattr_errors(ioctx):
    ioctx.write_full("o", b"data")
    raises(rados.NoData, errno.ENODATA, ioctx.get_xattr, "o", "absent")
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.get_xattr, "missing", "absent")
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.get_xattrs, "missing")


def test_rm_xattr(ioctx):
    ioctx.write_full("o", b"data")
    ioctx.set_xattr("o", "a", b"1")
    ioctx.set_xattr("o", "b", b"2")
    assert ioctx.rm_xattr("o", "a") is True
    assert dict(ioctx.get_xattrs("o")) == {"b": b"2"}
    assert ioctx.get_xattr("o", "b") == b"2"


def test_set_xattr_creates_object(ioctx):
    ioctx.set_xattr("fresh", "a", b"v")
    assert ioctx.stat("fresh")[0] == 0
    assert ioctx.get_xattr("fresh", "a") == b"v"


def test_get_xattrs_iteration(ioctx):
    ioctx.write_full("o", b"data")
    assert list(ioctx.get_xattrs("o")) == []
    attrs = {"a": b"1", "b": b"\x00\x01", "c": b""}
    for k, v in attrs.items():
        ioctx.set_xattr("o", k, v)
    it = ioctx.get_xattrs("o")
    first = next(it)
    rest = list(it)
    pairs = dict([first] + rest)
    assert pairs == attrs
    assert all(isinstance(k, str) and isinstance(v, bytes) for k, v in [first] + rest)


# --------------------------------------------------------------------------- Ioctx: omap and ops


def test_omap_set_and_get_vals(ioctx):
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("b", "a", "c"), (b"2", b"\x00one", b"3"))
        ioctx.operate_write_op(op, "o")
    vals = omap_of(ioctx, "o")
    assert vals == [("a", b"\x00one"), ("b", b"2"), ("c", b"3")]
    assert all(isinstance(v, bytes) for _, v in vals)
    assert ioctx.stat("o")[0] == 0  # an omap write creates the object, without data


def test_omap_paging_and_prefix(ioctx):
    keys = ["k%02d" % i for i in range(12)] + ["other1", "other2"]
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, keys, [k.encode() for k in keys])
        ioctx.operate_write_op(op, "o")
    assert [k for k, _ in omap_of(ioctx, "o", max_return=5)] == ["k00", "k01", "k02", "k03", "k04"]
    assert [k for k, _ in omap_of(ioctx, "o", start_after="k04", max_return=3)] == ["k05", "k06", "k07"]
    assert [k for k, _ in omap_of(ioctx, "o", filter_prefix="other")] == ["other1", "other2"]
    assert omap_of(ioctx, "o", start_after="k10", filter_prefix="k") == [("k11", b"k11")]
    assert omap_of(ioctx, "o", start_after="zzz") == []


def test_omap_keys_and_by_keys(ioctx):
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("a", "b", "c"), (b"1", b"2", b"3"))
        ioctx.operate_write_op(op, "o")
    with rados.ReadOpCtx() as op:
        it, ret = ioctx.get_omap_keys(op, "", 2)
        ioctx.operate_read_op(op, "o")
        assert ret == 0
        assert list(it) == [("a", None), ("b", None)]
    with rados.ReadOpCtx() as op:
        it, _ = ioctx.get_omap_keys(op, "a", 100)
        ioctx.operate_read_op(op, "o")
        assert [k for k, _ in it] == ["b", "c"]
    with rados.ReadOpCtx() as op:
        it, _ = ioctx.get_omap_vals_by_keys(op, ("c", "absent", "a"))
        ioctx.operate_read_op(op, "o")
        assert sorted(it) == [("a", b"1"), ("c", b"3")]


def test_omap_iterator_is_an_iterator(ioctx):
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("a", "b"), (b"1", b"2"))
        ioctx.operate_write_op(op, "o")
    with rados.ReadOpCtx() as op:
        it, _ = ioctx.get_omap_vals(op, "", "", 10)
        ioctx.operate_read_op(op, "o")
        assert iter(it) is it
        assert next(it) == ("a", b"1")
        assert next(it) == ("b", b"2")
        with pytest.raises(StopIteration):
            next(it)


def test_omap_remove_keys_and_clear(ioctx):
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("a", "b", "c"), (b"1", b"2", b"3"))
        ioctx.operate_write_op(op, "o")
    with rados.WriteOpCtx() as op:
        ioctx.remove_omap_keys(op, ("b", "not-there"))
        ioctx.operate_write_op(op, "o")
    assert omap_of(ioctx, "o") == [("a", b"1"), ("c", b"3")]
    with rados.WriteOpCtx() as op:
        ioctx.clear_omap(op)
        ioctx.operate_write_op(op, "o")
    assert omap_of(ioctx, "o") == []
    assert ioctx.stat("o")[0] == 0  # clearing the omap does not remove the object


def test_omap_values_may_be_str(ioctx):
    # set_omap passes values through cstr(): str is encoded as UTF-8, read back as bytes.
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("k",), ("välue",))
        ioctx.operate_write_op(op, "o")
    assert omap_of(ioctx, "o") == [("k", "välue".encode())]


def test_omap_keeps_data_and_xattrs(ioctx):
    ioctx.write_full("o", b"payload")
    ioctx.set_xattr("o", "a", b"x")
    with rados.WriteOpCtx() as op:
        ioctx.set_omap(op, ("k",), (b"v",))
        ioctx.operate_write_op(op, "o")
    assert ioctx.read("o") == b"payload" and ioctx.get_xattr("o", "a") == b"x"
    assert omap_of(ioctx, "o") == [("k", b"v")]


def test_omap_errors(ioctx):
    with pytest.raises(rados.Error) as e:
        with rados.WriteOpCtx() as op:
            ioctx.set_omap(op, ("a", "b"), (b"1",))
    assert type(e.value) is rados.Error
    with rados.ReadOpCtx() as op:
        ioctx.get_omap_vals(op, "", "", 10)
        raises(rados.ObjectNotFound, errno.ENOENT, ioctx.operate_read_op, op, "missing")


def test_explicit_op_create_and_release(ioctx):
    wop = ioctx.create_write_op()
    assert isinstance(wop, rados.WriteOp)
    ioctx.set_omap(wop, ("k",), (b"v",))
    wop.write_full(b"data")
    ioctx.operate_write_op(wop, "o")
    ioctx.release_write_op(wop)
    rop = ioctx.create_read_op()
    assert isinstance(rop, rados.ReadOp)
    it, _ = ioctx.get_omap_vals(rop, "", "", 10)
    ioctx.operate_read_op(rop, "o")
    assert list(it) == [("k", b"v")]
    ioctx.release_read_op(rop)
    assert ioctx.read("o") == b"data"


def test_write_op_data_steps_in_order(ioctx):
    with rados.WriteOpCtx() as op:
        op.write_full(b"hello world")
        op.write(b"J", 0)
        op.truncate(8)
        op.append(b"!")
        ioctx.operate_write_op(op, "o")
    assert ioctx.read("o") == b"Jello wo!"


def test_write_op_zero(ioctx):
    ioctx.write_full("o", b"abcdef")
    with rados.WriteOpCtx() as op:
        op.zero(2, 2)
        ioctx.operate_write_op(op, "o")
    assert ioctx.read("o") == b"ab\0\0ef"


def test_write_op_write_at_offset(ioctx):
    with rados.WriteOpCtx() as op:
        op.write(b"xyz", 3)
        ioctx.operate_write_op(op, "o")
    assert ioctx.read("o") == b"\0\0\0xyz"


def test_write_op_remove(ioctx):
    ioctx.write_full("o", b"x")
    with rados.WriteOpCtx() as op:
        op.remove()
        ioctx.operate_write_op(op, "o")
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "o")
    with rados.WriteOpCtx() as op:
        op.remove()
        raises(rados.ObjectNotFound, errno.ENOENT, ioctx.operate_write_op, op, "o")


def test_write_op_new_creates(ioctx):
    with rados.WriteOpCtx() as op:
        op.new(rados.LIBRADOS_CREATE_IDEMPOTENT)
        ioctx.operate_write_op(op, "made")
    assert ioctx.stat("made")[0] == 0
    assert ioctx.read("made") == b""


def test_write_op_new_on_existing_object(ioctx):
    ioctx.write_full("o", b"original")
    with rados.WriteOpCtx() as op:
        op.new(rados.LIBRADOS_CREATE_IDEMPOTENT)
        ioctx.operate_write_op(op, "o")
    assert ioctx.read("o") == b"original"
    with rados.WriteOpCtx() as op:
        op.new(rados.LIBRADOS_CREATE_EXCLUSIVE)
        raises(rados.ObjectExists, errno.EEXIST, ioctx.operate_write_op, op, "o")


def test_write_op_is_atomic(ioctx):
    # An OSD transaction applies all its steps or none.
    ioctx.write_full("o", b"original")
    with rados.WriteOpCtx() as op:
        op.write_full(b"changed")
        ioctx.set_omap(op, ("k",), (b"v",))
        op.new(rados.LIBRADOS_CREATE_EXCLUSIVE)
        raises(rados.ObjectExists, errno.EEXIST, ioctx.operate_write_op, op, "o")
    assert ioctx.read("o") == b"original"
    assert omap_of(ioctx, "o") == []


@pytest.mark.parametrize("step", ["write", "append", "write_full"])
def test_write_op_data_must_be_bytes(ioctx, step):
    # WriteOp.write(self, bytes to_write: bytes, ...): refused when the step is added
    with rados.WriteOpCtx() as op:
        with pytest.raises(TypeError):
            getattr(op, step)("text")


def test_write_op_set_flags_accepted(ioctx):
    with rados.WriteOpCtx() as op:
        op.write_full(b"x")
        op.set_flags(rados.LIBRADOS_OP_FLAG_FADVISE_DONTNEED)
        ioctx.operate_write_op(op, "o", flags=rados.LIBRADOS_OPERATION_NOFLAG)
    with rados.ReadOpCtx() as op:
        op.set_flags(rados.LIBRADOS_OPERATION_NOFLAG)
    assert ioctx.read("o") == b"x"


# --------------------------------------------------------------------------- Ioctx: listing, namespaces


def test_list_objects(ioctx):
    assert list(ioctx.list_objects()) == []
    for n in ("a", "b", "c"):
        ioctx.write_full(n, b"x")
    it = ioctx.list_objects()
    assert iter(it) is it
    objs = list(it)
    assert sorted(o.key for o in objs) == ["a", "b", "c"]
    assert all(isinstance(o, rados.Object) and o.nspace == "" and o.ioctx is ioctx for o in objs)


def test_namespaces_isolate_objects(ioctx):
    assert ioctx.get_namespace() == ""
    ioctx.write_full("o", b"default")
    ioctx.set_namespace("ns1")
    assert ioctx.get_namespace() == "ns1"
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.read, "o")
    ioctx.write_full("o", b"in ns1")
    ioctx.write_full("only-ns1", b"x")
    assert sorted(o.key for o in ioctx.list_objects()) == ["o", "only-ns1"]
    ioctx.set_namespace(None)
    assert ioctx.get_namespace() == ""
    assert ioctx.read("o") == b"default"
    assert [o.key for o in ioctx.list_objects()] == ["o"]
    ioctx.set_namespace(rados.LIBRADOS_ALL_NSPACES)
    every = sorted((o.nspace, o.key) for o in ioctx.list_objects())
    assert every == [("", "o"), ("ns1", "o"), ("ns1", "only-ns1")]
    ioctx.set_namespace("")
    ioctx.set_namespace("ns1")
    assert ioctx.read("o") == b"in ns1"


def test_pool_name_and_id(cluster, ioctx):
    assert ioctx.get_pool_name() == "rbd"
    assert ioctx.get_pool_id() == cluster.pool_lookup("rbd")
    assert ioctx.name == "rbd"


# --------------------------------------------------------------------------- Ioctx: asynchronous IO


def test_aio_write_callbacks_get_the_completion(ioctx):
    seen = []
    comp = ioctx.aio_write("o", b"0123456789", 0, oncomplete=lambda c: seen.append(("complete", c)),
                           onsafe=lambda c: seen.append(("safe", c)))
    assert isinstance(comp, rados.Completion)
    comp.wait_for_complete_and_cb()
    comp.wait_for_safe_and_cb()
    assert comp.is_complete() and comp.is_safe()
    assert comp.get_return_value() == 0
    assert sorted(k for k, _ in seen) == ["complete", "safe"]
    assert all(c is comp for _, c in seen)
    assert ioctx.read("o") == b"0123456789"


def test_aio_write_at_offset_append_full_remove(ioctx):
    ioctx.aio_write_full("o", b"abcdef").wait_for_complete()
    ioctx.aio_write("o", b"XY", 2).wait_for_complete()
    ioctx.aio_append("o", b"!").wait_for_complete()
    assert ioctx.read("o") == b"abXYef!"
    c = ioctx.aio_remove("o")
    c.wait_for_complete()
    assert c.get_return_value() == 0
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "o")
    c = ioctx.aio_remove("o")
    c.wait_for_complete()
    assert c.get_return_value() == -errno.ENOENT


def test_aio_read_passes_bytes(ioctx):
    data = bytes(range(256))
    ioctx.write_full("o", data)
    got = []
    done = threading.Event()

    def cb(comp, buf):
        got.append((comp, buf))
        done.set()

    comp = ioctx.aio_read("o", 300, 10, cb)
    comp.wait_for_complete_and_cb()
    assert done.is_set()
    assert got[0][0] is comp
    assert isinstance(got[0][1], bytes) and got[0][1] == data[10:]
    assert comp.get_return_value() == len(data) - 10


def test_aio_flush(ioctx):
    # rados_aio_flush blocks until every pending write is safe: their completions are complete
    comps = [ioctx.aio_write("o%d" % i, bytes([i]) * 100) for i in range(5)]
    assert ioctx.aio_flush() is None
    done = [c.is_complete() for c in comps]
    for c in comps:
        c.wait_for_complete()
    assert all(done)
    assert [ioctx.read("o%d" % i) for i in range(5)] == [bytes([i]) * 100 for i in range(5)]


def test_aio_wait_for_safe(ioctx):
    c = ioctx.aio_write_full("o", b"x")
    c.wait_for_safe()
    assert c.is_safe()
    assert ioctx.read("o") == b"x"


# --------------------------------------------------------------------------- Ioctx: advisory locks (cls_lock)


def test_lock_exclusive_semantics(ioctx, other_client):
    assert ioctx.lock_exclusive("obj", "lock", "cookie1", desc="mine") is None
    # the same locker and cookie again: cls_lock returns -EEXIST
    raises(rados.ObjectExists, errno.EEXIST, ioctx.lock_exclusive, "obj", "lock", "cookie1")
    # another cookie, or another client: -EBUSY
    raises(rados.ObjectBusy, errno.EBUSY, ioctx.lock_exclusive, "obj", "lock", "cookie2")
    raises(rados.ObjectBusy, errno.EBUSY, other_client.lock_exclusive, "obj", "lock", "cookie1")
    raises(rados.ObjectBusy, errno.EBUSY, other_client.lock_shared, "obj", "lock", "cookie3", "tag")
    # a lock of another name on the same object is independent
    ioctx.lock_exclusive("obj", "other-lock", "cookie2")
    # unlocking what is not held: -ENOENT
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.unlock, "obj", "lock", "nope")
    raises(rados.ObjectNotFound, errno.ENOENT, other_client.unlock, "obj", "lock", "cookie1")
    assert ioctx.unlock("obj", "lock", "cookie1") is None
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.unlock, "obj", "lock", "cookie1")
    other_client.lock_exclusive("obj", "lock", "cookie9")
    raises(rados.ObjectBusy, errno.EBUSY, ioctx.lock_exclusive, "obj", "lock", "cookie1")
    other_client.unlock("obj", "lock", "cookie9")


def test_lock_creates_the_object(ioctx):
    ioctx.lock_exclusive("fresh", "lock", "c")
    assert ioctx.stat("fresh")[0] == 0
    ioctx.unlock("fresh", "lock", "c")


def test_lock_shared_semantics(ioctx, other_client):
    ioctx.lock_shared("obj", "lock", "c1", "tag")
    other_client.lock_shared("obj", "lock", "c2", "tag")
    raises(rados.ObjectExists, errno.EEXIST, ioctx.lock_shared, "obj", "lock", "c1", "tag")
    raises(rados.ObjectBusy, errno.EBUSY, ioctx.lock_shared, "obj", "lock", "c3", "other-tag")
    raises(rados.ObjectBusy, errno.EBUSY, ioctx.lock_exclusive, "obj", "lock", "c4")
    ioctx.unlock("obj", "lock", "c1")
    other_client.unlock("obj", "lock", "c2")
    ioctx.lock_exclusive("obj", "lock", "c4")
    ioctx.unlock("obj", "lock", "c4")


MAY_RENEW, MUST_RENEW = 1, 2  # LIBRADOS_LOCK_FLAG_MAY_RENEW, LIBRADOS_LOCK_FLAG_MUST_RENEW (librados.h)


def test_lock_may_renew(ioctx):
    ioctx.lock_exclusive("obj", "lock", "c")
    assert ioctx.lock_exclusive("obj", "lock", "c", flags=MAY_RENEW) is None
    ioctx.lock_shared("obj", "shared", "c", "tag")
    ioctx.lock_shared("obj", "shared", "c", "tag", flags=MAY_RENEW)
    ioctx.unlock("obj", "lock", "c")
    ioctx.unlock("obj", "shared", "c")


def test_lock_must_renew(ioctx):
    # cls_lock lock_obj: LOCK_FLAG_MUST_RENEW on a lock that is not held is -ENOENT
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.lock_exclusive, "obj", "lock", "c", flags=MUST_RENEW)
    ioctx.lock_exclusive("obj", "lock", "c")
    ioctx.lock_exclusive("obj", "lock", "c", duration=60, flags=MUST_RENEW)
    ioctx.unlock("obj", "lock", "c")


def test_lock_unknown_flags(ioctx):
    # cls_lock lock_obj: flags other than MAY_RENEW / MUST_RENEW are -EINVAL
    raises(rados.InvalidArgumentError, errno.EINVAL, ioctx.lock_exclusive, "obj", "lock", "c", flags=4)


def test_lock_duration_expires(ioctx, other_client):
    ioctx.lock_exclusive("obj", "lock", "c1", duration=1)
    raises(rados.ObjectBusy, errno.EBUSY, other_client.lock_exclusive, "obj", "lock", "c2")
    time.sleep(1.3)
    other_client.lock_exclusive("obj", "lock", "c2")
    raises(rados.ObjectBusy, errno.EBUSY, ioctx.lock_exclusive, "obj", "lock", "c1")
    other_client.unlock("obj", "lock", "c2")


def test_lock_argument_types(ioctx):
    with pytest.raises(TypeError):
        ioctx.lock_exclusive("obj", "lock", 5)
    with pytest.raises(TypeError):
        ioctx.unlock("obj", 5, "c")


# --------------------------------------------------------------------------- Ioctx: stats, life cycle


def test_get_stats(ioctx):
    keys = {"num_bytes", "num_kb", "num_objects", "num_object_clones", "num_object_copies",
            "num_objects_missing_on_primary", "num_objects_unfound", "num_objects_degraded", "num_rd",
            "num_rd_kb", "num_wr", "num_wr_kb"}
    st = ioctx.get_stats()
    assert set(st) == keys and all(isinstance(v, int) for v in st.values())
    assert st["num_objects"] == 0
    ioctx.write_full("a", b"x" * 3000)
    ioctx.write_full("b", b"y" * 5000)
    ioctx.write_full("c", b"z")
    st = ioctx.get_stats()
    assert st["num_objects"] == 3
    assert st["num_bytes"] >= 8001
    assert st["num_kb"] == (st["num_bytes"] + 1023) // 1024
    assert st["num_object_copies"] >= st["num_objects"]
    assert st["num_objects_unfound"] == 0 and st["num_objects_degraded"] == 0


def test_get_stats_counts_every_namespace(ioctx):
    ioctx.write_full("a", b"x")
    ioctx.set_namespace("ns")
    ioctx.write_full("b", b"y")
    assert ioctx.get_stats()["num_objects"] == 2  # pool statistics are pool-wide


def test_get_stats_of_a_new_pool(ioctx):
    # every counter of a new pool is 0 (Ceph's test_rados.py test_get_stats)
    keys = {"num_bytes", "num_kb", "num_objects", "num_object_clones", "num_object_copies",
            "num_objects_missing_on_primary", "num_objects_unfound", "num_objects_degraded", "num_rd",
            "num_rd_kb", "num_wr", "num_wr_kb"}
    assert ioctx.get_stats() == dict.fromkeys(keys, 0)


def test_close_and_use_after_close(cluster):
    io = cluster.open_ioctx("rbd")
    io.write_full("o", b"x")
    assert io.state == "open"
    io.require_ioctx_open()
    io.close()
    assert io.state == "closed"
    for call in (lambda: io.read("o"), lambda: io.write("o", b"y"), lambda: io.write_full("o", b"y"),
                 lambda: io.append("o", b"y"), lambda: io.stat("o"), lambda: io.remove_object("o"),
                 lambda: io.trunc("o", 0), lambda: io.get_xattr("o", "a"), lambda: io.set_xattr("o", "a", b"v"),
                 lambda: io.rm_xattr("o", "a"), lambda: io.get_xattrs("o"), lambda: io.list_objects(),
                 lambda: io.set_namespace("x"), lambda: io.lock_exclusive("o", "l", "c"),
                 lambda: io.lock_shared("o", "l", "c", "t"), lambda: io.unlock("o", "l", "c"), lambda: io.get_stats(),
                 io.require_ioctx_open):
        with pytest.raises(rados.IoctxStateError):
            call()
    io.close()  # closing twice is harmless
    with cluster.open_ioctx("rbd") as again:
        assert again.read("o") == b"x"


def test_ioctx_context_manager(cluster):
    with cluster.open_ioctx("rbd") as io:
        io.write_full("o", b"x")
    assert io.state == "closed"
    with pytest.raises(rados.IoctxStateError):
        io.read("o")


# --------------------------------------------------------------------------- rados.Object


def test_object_file_like_io(ioctx):
    o = rados.Object(ioctx, "obj")
    assert (o.key, o.ioctx, o.offset, o.state, o.nspace, o.locator_key) == ("obj", ioctx, 0, "exists", "", None)
    o.write(b"hello ")
    o.write(b"world")
    assert o.offset == 11
    o.seek(0)
    assert o.read(5) == b"hello"
    assert o.read() == b" world"
    assert o.read() == b""
    size, mtime = o.stat()
    assert size == 11 and isinstance(mtime, time.struct_time)
    o.seek(6)
    o.write(b"W")
    assert ioctx.read("obj") == b"hello World"


def test_object_write_returns_zero(ioctx):
    # Object.write returns what Ioctx.write returned (0), and only then advances the offset
    o = rados.Object(ioctx, "obj")
    assert o.write(b"abc") == 0
    assert o.offset == 3


def test_object_after_remove(ioctx):
    ioctx.write_full("obj", b"x")
    o = rados.Object(ioctx, "obj")
    o.remove()
    assert o.state == "removed"
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "obj")


OBJECT_CALLS = {
    "read": lambda o: o.read(), "write": lambda o: o.write(b"y"), "stat": lambda o: o.stat(),
    "remove": lambda o: o.remove(), "seek": lambda o: o.seek(0), "get_xattr": lambda o: o.get_xattr("a"),
    "set_xattr": lambda o: o.set_xattr("a", b"v"), "rm_xattr": lambda o: o.rm_xattr("a"),
    "get_xattrs": lambda o: o.get_xattrs(),
}


@pytest.mark.parametrize("call", sorted(OBJECT_CALLS))
def test_object_calls_after_remove(ioctx, call):
    # Object.require_object_exists: ObjectStateError once removed, before touching the store
    ioctx.write_full("obj", b"x")
    o = rados.Object(ioctx, "obj")
    o.remove()
    with pytest.raises(rados.ObjectStateError):
        OBJECT_CALLS[call](o)
    raises(rados.ObjectNotFound, errno.ENOENT, ioctx.stat, "obj")


def test_object_xattrs(ioctx):
    ioctx.write_full("obj", b"x")
    o = rados.Object(ioctx, "obj")
    assert o.set_xattr("a", b"\x00\x01") is True
    assert o.set_xattr("b", b"2") is True
    assert o.get_xattr("a") == b"\x00\x01"
    assert dict(o.get_xattrs()) == {"a": b"\x00\x01", "b": b"2"}
    assert o.rm_xattr("a") is True
    assert dict(o.get_xattrs()) == {"b": b"2"}
    assert ioctx.get_xattr("obj", "b") == b"2"


def test_object_uses_its_own_namespace(ioctx):
    ioctx.write_full("obj", b"default")
    ioctx.set_namespace("ns")
    ioctx.write_full("obj", b"namespaced")
    # Ceph's Object switches the ioctx to the object's namespace ("" unless given) for each call.
    assert rados.Object(ioctx, "obj").read() == b"default"
    assert rados.Object(ioctx, "obj", nspace="ns").read() == b"namespaced"
    assert ioctx.get_namespace() == "ns"
    listed = list(ioctx.list_objects())
    assert [(o.key, o.nspace) for o in listed] == [("obj", "ns")]
    assert listed[0].read() == b"namespaced"


def test_object_str(ioctx):
    text = str(rados.Object(ioctx, "obj"))
    assert text.startswith("rados.Object(") and "key=obj" in text and "nspace=--default--" in text
