"""Ceph's `rados` Python module, on rbdshim's stores.

Names, signatures, exceptions and messages follow Ceph 16.2's module; the work is done by the
rbdshim core through the native extension `rbdshim._native`.
"""

import collections as _collections
import errno as _errno
import functools as _functools
import time as _time

from rbdshim import _native

# Constants with the values of Ceph 16.2's module.
LIBRADOS_CMPXATTR_OP_EQ = 1
LIBRADOS_CMPXATTR_OP_GT = 3
LIBRADOS_CMPXATTR_OP_GTE = 4
LIBRADOS_CMPXATTR_OP_LT = 5
LIBRADOS_CMPXATTR_OP_LTE = 6
LIBRADOS_CMPXATTR_OP_NE = 2
LIBRADOS_CREATE_EXCLUSIVE = 1
LIBRADOS_CREATE_IDEMPOTENT = 0
LIBRADOS_OPERATION_BALANCE_READS = 1
LIBRADOS_OPERATION_IGNORE_CACHE = 8
LIBRADOS_OPERATION_IGNORE_OVERLAY = 32
LIBRADOS_OPERATION_LOCALIZE_READS = 2
LIBRADOS_OPERATION_NOFLAG = 0
LIBRADOS_OPERATION_ORDER_READS_WRITES = 4
LIBRADOS_OPERATION_SKIPRWLOCKS = 16
LIBRADOS_OP_FLAG_EXCL = 1
LIBRADOS_OP_FLAG_FADVISE_DONTNEED = 32
LIBRADOS_OP_FLAG_FADVISE_NOCACHE = 64
LIBRADOS_OP_FLAG_FADVISE_RANDOM = 4
LIBRADOS_OP_FLAG_FADVISE_SEQUENTIAL = 8
LIBRADOS_OP_FLAG_FADVISE_WILLNEED = 16
LIBRADOS_OP_FLAG_FAILOK = 2
LIBRADOS_SNAP_HEAD = 18446744073709551614
MAX_ERRNO = 4095

LIBRADOS_ALL_NSPACES = "\001"
ANONYMOUS_AUID = 0xFFFFFFFFFFFFFFFF
ADMIN_AUID = 0


class Error(Exception):
    """`Error` class, derived from `Exception`"""

    def __init__(self, message, errno=None):
        super().__init__(message)
        self.errno = errno

    def __str__(self):
        msg = super().__str__()
        if self.errno is None:
            return msg
        return "[errno {0}] {1}".format(self.errno, msg)

    def __reduce__(self):
        return (self.__class__, (self.args[0], self.errno))


class InvalidArgumentError(Error):
    def __init__(self, message, errno=None):
        super().__init__("RADOS invalid argument (%s)" % message, errno)


class ExtendMismatch(Error):
    def __init__(self, message, errno, offset):
        super().__init__("object does not match (%s)" % message, errno)
        self.offset = offset


class OSError(Error):
    """`OSError` class, derived from `Error`"""


def _described(name, text, base=OSError):
    def __init__(self, message, errno=None):
        base.__init__(self, "%s (%s)" % (text, message), errno)

    return type(name, (base,), {"__init__": __init__, "__module__": __name__})


InterruptedOrTimeoutError = _described("InterruptedOrTimeoutError", "RADOS interrupted or timeout")
PermissionError = _described("PermissionError", "RADOS permission error")
PermissionDeniedError = _described("PermissionDeniedError", "RADOS permission denied")
ObjectNotFound = _described("ObjectNotFound", "RADOS object not found")
NoData = _described("NoData", "RADOS no data")
ObjectExists = _described("ObjectExists", "RADOS object exists")
ObjectBusy = _described("ObjectBusy", "RADOS object busy")
IOError = _described("IOError", "RADOS I/O error")
NoSpace = _described("NoSpace", "RADOS no space")
NotConnected = _described("NotConnected", "RADOS not connected")
TimedOut = _described("TimedOut", "RADOS timed out")
ConnectionShutdown = _described("ConnectionShutdown", "RADOS connection was shutdown")
RadosStateError = _described("RadosStateError", "RADOS rados state", Error)
IoctxStateError = _described("IoctxStateError", "RADOS Ioctx state error", Error)
ObjectStateError = _described("ObjectStateError", "RADOS object state error", Error)
LogicError = _described("LogicError", "RADOS logic error", Error)
InProgress = _described("InProgress", "RADOS in progress error", Error)
IsConnected = _described("IsConnected", "RADOS is connected error", Error)

_errno_to_exception = {
    _errno.EPERM: PermissionError,
    _errno.ENOENT: ObjectNotFound,
    _errno.EIO: IOError,
    _errno.ENOSPC: NoSpace,
    _errno.EEXIST: ObjectExists,
    _errno.EBUSY: ObjectBusy,
    _errno.ENODATA: NoData,
    _errno.EINTR: InterruptedOrTimeoutError,
    _errno.ETIMEDOUT: TimedOut,
    _errno.EACCES: PermissionDeniedError,
    _errno.EINPROGRESS: InProgress,
    _errno.EISCONN: IsConnected,
    _errno.EINVAL: InvalidArgumentError,
    _errno.ENOTCONN: NotConnected,
    _errno.ESHUTDOWN: ConnectionShutdown,
}


def make_ex(ret, msg):
    """Translate a librados return code into an exception."""
    ret = abs(ret)
    if ret in _errno_to_exception:
        return _errno_to_exception[ret](msg, errno=ret)
    return OSError(msg, errno=ret)


def _call(msg, fn, *args):
    try:
        return fn(*args)
    except _native.NativeError as e:
        raise make_ex(e.args[0], msg) from None


class Version(object):
    """ Version information """

    def __init__(self, major, minor, extra):
        self.major = major
        self.minor = minor
        self.extra = extra

    def __str__(self):
        return "%d.%d.%d" % (self.major, self.minor, self.extra)


def _require_str(value, name):
    """Ceph's typed Cython arguments (`unicode option`): anything but str is a TypeError."""
    if not isinstance(value, str):
        raise TypeError("Argument '%s' has incorrect type (expected str, got %s)" % (name, type(value).__name__))


def _require_bytes(value, name):
    """Ceph's typed Cython arguments (`bytes data`): bytearray and memoryview are refused too."""
    if not isinstance(value, bytes):
        raise TypeError("Argument '%s' has incorrect type (expected bytes, got %s)" % (name, type(value).__name__))


def _cstr(value, name):
    """Ceph's cstr(): str or bytes (UTF-8), as text here."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    raise TypeError("%s must be a string" % name)


def _cbytes(value, name):
    """Ceph's cstr() where the result is a value: str is encoded as UTF-8."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("%s must be a string" % name)

_NOT_GIVEN = object()


class Rados(object):
    """This class wraps librados functions"""

    def __init__(self, rados_id=None, name=None, clustername=None, conf_defaults=None,
                 conffile=_NOT_GIVEN, conf=None, flags=0, context=None):
        self.state = "configuring"
        # Rados.__setup: one identity, always given to rados_create2 as a full entity name
        if rados_id and name:
            raise Error("Rados(): can't supply both rados_id and name")
        elif rados_id:
            name = "client." + rados_id
        elif name is None:
            name = "client.admin"
        name = _cstr(name, "name")
        clustername = None if clustername is None else _cstr(clustername, "clustername")
        self.rados_id = rados_id
        try:
            self._native = _native.NativeCluster(name, clustername, True)
        except _native.NativeError as e:
            raise Error("rados_initialize failed with error code: %d" % -e.args[0]) from None
        self.parsed_args = []
        self.conf_defaults = conf_defaults
        self.conffile = conffile
        if conf_defaults:
            for key, value in conf_defaults.items():
                self.conf_set(key, value)
        if conffile is not _NOT_GIVEN and conffile is not None:
            # '' reads the default configuration files, as in Ceph
            try:
                self.conf_read_file(None if conffile == "" else conffile)
            except ObjectNotFound:
                if conffile != "":
                    raise
        if conf:
            for key, value in conf.items():
                self.conf_set(key, value)

    def require_state(self, *args):
        if self.state in args:
            return
        raise RadosStateError("You cannot perform that operation on a Rados object in state %s." % self.state)

    def shutdown(self):
        if self.state != "shutdown":
            self._native.shutdown()
            self.state = "shutdown"

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, type_, value, traceback):
        self.shutdown()
        return False

    def version(self):
        return Version(3, 0, 0)

    def conf_read_file(self, path=None):
        self.require_state("configuring", "connected")
        _call("error calling conf_read_file", self._native.conf_read_file, path)

    def conf_parse_argv(self, args):
        """Applies the configuration options in `args`; returns the other arguments."""
        self.require_state("configuring", "connected")
        if not args:
            return
        cargs = [_cstr(a, "args") for a in args]
        rest = _call("error calling conf_parse_argv_remainder", self._native.conf_parse_argv, cargs)
        self.parsed_args = args
        return rest

    def conf_parse_env(self, var="CEPH_ARGS"):
        self.require_state("configuring", "connected")
        if not var:
            return
        _call("error calling conf_parse_env", self._native.conf_parse_env, _cstr(var, "var"))

    def conf_get(self, option):
        self.require_state("configuring", "connected")
        _require_str(option, "option")
        try:
            return self._native.conf_get(option)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                return None
            raise make_ex(e.args[0], "error calling conf_get") from None

    def conf_set(self, option, val):
        self.require_state("configuring", "connected")
        _require_str(option, "option")
        _require_str(val, "val")
        _call("error calling conf_set", self._native.conf_set, option, val)

    def connect(self, timeout=0):
        self.require_state("configuring")
        _call("error connecting to the cluster", self._native.connect)
        self.state = "connected"

    def get_instance_id(self):
        self.require_state("connected")
        return self._native.instance_id()

    def get_cluster_stats(self):
        self.require_state("connected")
        total, used, avail, objects = _call("Rados.get_cluster_stats", self._native.usage)
        return {"kb": total // 1024, "kb_used": used // 1024, "kb_avail": avail // 1024, "num_objects": objects}

    def pool_exists(self, pool_name):
        self.require_state("connected")
        try:
            self._native.pool_lookup(pool_name)
            return True
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                return False
            raise make_ex(e.args[0], "error looking up pool '%s'" % pool_name) from None

    def pool_lookup(self, pool_name):
        self.require_state("connected")
        try:
            return self._native.pool_lookup(pool_name)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                return None
            raise make_ex(e.args[0], "error looking up pool '%s'" % pool_name) from None

    def pool_reverse_lookup(self, pool_id):
        self.require_state("connected")
        try:
            return self._native.pool_reverse_lookup(pool_id)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                return None
            raise make_ex(e.args[0], "error reverse looking up pool '%s'" % pool_id) from None

    def create_pool(self, pool_name, crush_rule=None, auid=None):
        self.require_state("connected")
        _call("error creating pool '%s'" % pool_name, self._native.pool_create, pool_name)

    def delete_pool(self, pool_name):
        self.require_state("connected")
        _call("error deleting pool '%s'" % pool_name, self._native.pool_delete, pool_name)

    def list_pools(self):
        self.require_state("connected")
        return [name for _, name in _call("error listing pools", self._native.pool_list)]

    def get_fsid(self):
        self.require_state("connected")
        return _call("error getting cluster fsid", self._native.fsid)

    def mon_command(self, cmd, inbuf, timeout=0, target=None):
        """Send a command to the monitor: returns (ret, outbuf, outs)."""
        self.require_state("connected")
        try:
            out, outs = self._native.mon_command(cmd)
            return 0, out, outs
        except _native.NativeError as e:
            return -e.args[0], b"", e.args[1]

    def ping_monitor(self, mon_id):
        """Ping monitor mon.<mon_id>: its JSON reply, as text."""
        self.require_state("configuring", "connected")
        return _call("error calling ping_monitor", self._native.ping_monitor, mon_id)

    def wait_for_latest_osdmap(self):
        # One process-local view of the store: every change is visible at once.
        self.require_state("connected")
        return 0

    def get_addrs(self):
        self.require_state("connected")
        return self._native.client_addr()

    def mgr_command(self, cmd, inbuf, timeout=0, target=None):
        return self.mon_command(cmd, inbuf, timeout, target)

    def open_ioctx(self, ioctx_name):
        self.require_state("connected")
        if not isinstance(ioctx_name, str):
            raise TypeError("the name of the pool must be a string")
        return Ioctx(self, ioctx_name, _call("error opening pool '%s'" % ioctx_name, self._native.open_ioctx, ioctx_name))

    def open_ioctx2(self, pool_id):
        self.require_state("connected")
        if not isinstance(pool_id, int):
            raise TypeError("the pool id must be an integer")
        nat = _call("error opening pool id '%s'" % pool_id, self._native.open_ioctx2, pool_id)
        return Ioctx(self, nat.pool_name(), nat)


class Completion(object):
    """Asynchronous object operation completion"""

    def __init__(self, ioctx, oncomplete=None, onsafe=None):
        self.ioctx = ioctx
        self.oncomplete = oncomplete
        self.onsafe = onsafe
        self._native = None

    def is_safe(self):
        return self.is_complete()

    def is_complete(self):
        return self._native.is_complete()

    def wait_for_safe(self):
        self.wait_for_complete()

    def wait_for_complete(self):
        self._native.wait()

    def wait_for_safe_and_cb(self):
        self._native.wait()

    def wait_for_complete_and_cb(self):
        self._native.wait()

    def get_return_value(self):
        return self._native.return_value()


def _aio(ioctx, oncomplete, onsafe, submit, with_data=False):
    comp = Completion(ioctx, oncomplete, onsafe)

    def done(ret, data):
        for cb in (comp.oncomplete, comp.onsafe):
            if cb is None:
                continue
            if with_data and cb is comp.oncomplete:
                cb(comp, data if ret >= 0 else None)
            else:
                cb(comp)

    comp._native = submit(done)
    return comp


class OpCtx(object):
    def __enter__(self):
        return self.create()

    def __exit__(self, type, msg, traceback):
        self.release()
        return False


class WriteOp(object):
    """A batch of object mutations, applied by Ioctx.operate_write_op all together or not at all."""

    def create(self):
        self._native = _native.NativeWriteOp()
        return self

    def release(self):
        self._native.clear()

    def new(self, exclusive=None):
        """Create the object (LIBRADOS_CREATE_EXCLUSIVE: fail if it exists)."""
        if not isinstance(exclusive, int):
            raise TypeError("an integer is required")
        self._native.create(exclusive != LIBRADOS_CREATE_IDEMPOTENT)

    def remove(self):
        self._native.remove()

    def set_flags(self, flags=LIBRADOS_OPERATION_NOFLAG):
        if not isinstance(flags, int):
            raise TypeError("an integer is required")

    def set_xattr(self, xattr_name, xattr_value):
        _require_str(xattr_name, "xattr_name")
        _require_bytes(xattr_value, "xattr_value")
        self._native.set_xattr(xattr_name, xattr_value)

    def rm_xattr(self, xattr_name):
        _require_str(xattr_name, "xattr_name")
        self._native.rm_xattr(xattr_name)

    def append(self, to_write):
        _require_bytes(to_write, "to_write")
        self._native.append(to_write)

    def write(self, to_write, offset=0):
        _require_bytes(to_write, "to_write")
        self._native.write(to_write, offset)

    def write_full(self, to_write):
        _require_bytes(to_write, "to_write")
        self._native.write_full(to_write)

    def zero(self, offset, length):
        self._native.zero(offset, length)

    def truncate(self, offset):
        self._native.truncate(offset)


class WriteOpCtx(WriteOp, OpCtx):
    """write operation context manager"""


class ReadOp(object):
    """A batch of object reads, answered by Ioctx.operate_read_op."""

    def create(self):
        self.steps = []
        return self

    def release(self):
        self.steps = []

    def set_flags(self, flags=LIBRADOS_OPERATION_NOFLAG):
        pass


class ReadOpCtx(ReadOp, OpCtx):
    """read operation context manager"""


class OmapIterator(object):
    """Omap iterator: its entries are known once the read operation ran."""

    def __init__(self, ioctx=None):
        self.ioctx = ioctx
        self.items = _collections.deque()

    def __iter__(self):
        return self

    def __next__(self):
        if not self.items:
            raise StopIteration
        return self.items.popleft()


class Ioctx(object):
    """rados.Ioctx object"""

    def __init__(self, rados, name, native):
        self.rados = rados
        self.name = name
        self.state = "open"
        self._native = native
        self.nspace = ""

    def __enter__(self):
        return self

    def __exit__(self, type_, value, traceback):
        self.close()
        return False

    def require_ioctx_open(self):
        if self.state != "open":
            raise IoctxStateError("The pool is %s" % self.state)

    def close(self):
        self.state = "closed"

    def set_namespace(self, nspace):
        self.require_ioctx_open()
        if nspace is None:
            nspace = ""
        self._native.set_namespace(nspace)
        self.nspace = nspace

    def get_namespace(self):
        self.require_ioctx_open()
        return self.nspace

    def get_pool_name(self):
        self.require_ioctx_open()
        return self._native.pool_name()

    def get_pool_id(self):
        self.require_ioctx_open()
        return self._native.pool_id()

    def read(self, key, length=8192, offset=0):
        self.require_ioctx_open()
        return _call("Ioctx.read(%s): failed to read %s" % (self.name, key), self._native.read, key, length, offset)

    def write(self, key, data, offset=0):
        self.require_ioctx_open()
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        _call("Ioctx.write(%s): failed to write %s" % (self.name, key), self._native.write, key, data, offset)
        return 0

    def write_full(self, key, data):
        self.require_ioctx_open()
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        _call("Ioctx.write_full(%s): failed to write %s" % (self.name, key), self._native.write_full, key, data)
        return 0

    def append(self, key, data):
        self.require_ioctx_open()
        if not isinstance(data, bytes):
            raise TypeError("data must be bytes")
        _call("Ioctx.append(%s): failed to append %s" % (self.name, key), self._native.append, key, data)
        return 0

    def remove_object(self, key):
        self.require_ioctx_open()
        _call("Failed to remove '%s'" % key, self._native.remove, key)
        return True

    def trunc(self, key, size):
        self.require_ioctx_open()
        _call("Ioctx.trunc(%s): failed to truncate %s" % (self.name, key), self._native.trunc, key, size)
        return 0

    def stat(self, key):
        self.require_ioctx_open()
        size, mtime = _call("Failed to stat %r" % key, self._native.stat, key)
        return size, _time.localtime(int(mtime))

    def get_xattr(self, key, xattr_name):
        self.require_ioctx_open()
        return _call("Failed to get xattr %r" % xattr_name, self._native.xattr_get, key, xattr_name)

    def set_xattr(self, key, xattr_name, xattr_value):
        self.require_ioctx_open()
        if not isinstance(xattr_value, bytes):
            raise TypeError("xattr_value must be bytes")
        _call("Failed to set xattr %r" % xattr_name, self._native.xattr_set, key, xattr_name, xattr_value)
        return True

    def rm_xattr(self, key, xattr_name):
        self.require_ioctx_open()
        _call("Failed to delete key %r xattr %r" % (key, xattr_name), self._native.xattr_remove, key, xattr_name)
        return True

    def get_xattrs(self, oid):
        self.require_ioctx_open()
        return iter(_call("Failed to get rados xattrs for object %r" % oid, self._native.xattrs, oid))

    def _lock(self, what, key, name, cookie, tag, desc, duration, flags, exclusive):
        self.require_ioctx_open()
        for arg, argname in ((key, "key"), (name, "name"), (cookie, "cookie"), (tag, "tag"), (desc, "desc")):
            if not isinstance(arg, str):
                raise TypeError("%s must be a string" % argname)
        if duration is not None and (not isinstance(duration, int) or duration < 0):
            raise TypeError("duration must be a non-negative integer or None")
        _call("Ioctx.rados_lock_%s(%s): failed to set lock %s on %s" % (what, self.name, name, key),
              self._native.lock, key, name, cookie, tag, desc, duration, flags, exclusive)

    def lock_exclusive(self, key, name, cookie, desc="", duration=None, flags=0):
        """Take an exclusive advisory lock `name` on object `key`."""
        self._lock("exclusive", key, name, cookie, "", desc, duration, flags, True)

    def lock_shared(self, key, name, cookie, tag, desc="", duration=None, flags=0):
        """Take a shared advisory lock `name` on object `key`; holders share one tag."""
        self._lock("shared", key, name, cookie, tag, desc, duration, flags, False)

    def unlock(self, key, name, cookie):
        """Release this client's lock `name` on object `key`."""
        self.require_ioctx_open()
        _call("Ioctx.rados_lock_exclusive(%s): failed to set lock %s on %s" % (self.name, name, key),
              self._native.unlock, key, name, cookie)

    def get_stats(self):
        """Usage statistics of the pool, with librados's keys."""
        self.require_ioctx_open()
        used, objects = _call("Ioctx.get_stats(%s): get_stats failed" % self.name, self._native.stats)
        return {"num_bytes": used, "num_kb": used // 1024, "num_objects": objects, "num_object_clones": 0,
                "num_object_copies": objects, "num_objects_missing_on_primary": 0, "num_objects_unfound": 0,
                "num_objects_degraded": 0, "num_rd": 0, "num_rd_kb": 0, "num_wr": 0, "num_wr_kb": 0}

    def aio_write(self, object_name, to_write, offset=0, oncomplete=None, onsafe=None):
        self.require_ioctx_open()
        _require_bytes(to_write, "to_write")
        return _call("error writing object %s" % object_name, _aio, self, oncomplete, onsafe,
                     lambda cb: self._native.aio_write(object_name, to_write, offset, cb))

    def aio_write_full(self, object_name, to_write, oncomplete=None, onsafe=None):
        self.require_ioctx_open()
        _require_bytes(to_write, "to_write")
        return _call("error writing object %s" % object_name, _aio, self, oncomplete, onsafe,
                     lambda cb: self._native.aio_write_full(object_name, to_write, cb))

    def aio_append(self, object_name, to_append, oncomplete=None, onsafe=None):
        self.require_ioctx_open()
        _require_bytes(to_append, "to_append")
        return _call("error appending object %s" % object_name, _aio, self, oncomplete, onsafe,
                     lambda cb: self._native.aio_append(object_name, to_append, cb))

    def aio_read(self, object_name, length, offset, oncomplete=None):
        self.require_ioctx_open()
        return _call("error reading %s" % object_name, _aio, self, oncomplete, None,
                     lambda cb: self._native.aio_read(object_name, length, offset, cb), True)

    def aio_remove(self, object_name, oncomplete=None, onsafe=None):
        self.require_ioctx_open()
        return _call("error removing %s" % object_name, _aio, self, oncomplete, onsafe,
                     lambda cb: self._native.aio_remove(object_name, cb))

    def aio_flush(self):
        """Waits until every asynchronous request submitted so far is complete."""
        self.require_ioctx_open()
        self._native.aio_flush()

    def create_write_op(self):
        return WriteOp().create()

    def create_read_op(self):
        return ReadOp().create()

    def release_write_op(self, write_op):
        write_op.release()

    def release_read_op(self, read_op):
        read_op.release()

    def operate_write_op(self, write_op, oid, mtime=0, flags=LIBRADOS_OPERATION_NOFLAG):
        self.require_ioctx_open()
        _call("Ioctx.operate_write_op(%s): failed to operate write op for oid %s" % (self.name, oid),
              self._native.operate_write_op, write_op._native, oid)

    def operate_read_op(self, read_op, oid, flag=LIBRADOS_OPERATION_NOFLAG):
        self.require_ioctx_open()
        omap = dict(_call("Ioctx.operate_read_op(%s): failed to operate read op for oid %s" % (self.name, oid),
                          self._native.omap_get, oid))
        for step in read_op.steps:
            step(omap)

    def set_omap(self, write_op, keys, values):
        """Adds to `write_op` the setting of omap `keys` to `values` (bytes, or str as UTF-8)."""
        if len(keys) != len(values):
            raise Error("Rados(): keys and values must have the same number of items")
        keys = [_cstr(k, "keys") for k in keys]
        values = [_cbytes(v, "values") for v in values]
        write_op._native.omap_set(list(zip(keys, values)))

    def remove_omap_keys(self, write_op, keys):
        write_op._native.omap_rm([_cstr(k, "keys") for k in keys])

    def clear_omap(self, write_op):
        write_op._native.omap_clear()

    def _omap_read(self, read_op, select):
        it = OmapIterator(self)
        read_op.steps.append(lambda omap: it.items.extend(select(omap)))
        return it, 0

    def get_omap_vals(self, read_op, start_after, filter_prefix, max_return):
        def select(omap):
            keys = sorted(k for k in omap if k > (start_after or "") and k.startswith(filter_prefix or ""))
            return [(k, omap[k]) for k in keys[:max_return]]

        return self._omap_read(read_op, select)

    def get_omap_keys(self, read_op, start_after, max_return):
        def select(omap):
            keys = sorted(k for k in omap if k > (start_after or ""))
            return [(k, None) for k in keys[:max_return]]

        return self._omap_read(read_op, select)

    def get_omap_vals_by_keys(self, read_op, keys):
        keys = list(keys)
        return self._omap_read(read_op, lambda omap: [(k, omap[k]) for k in keys if k in omap])

    def list_objects(self):
        self.require_ioctx_open()
        every = self.nspace == LIBRADOS_ALL_NSPACES
        items = _call("error iterating over the objects", self._native.list_objects, every)
        return iter([Object(self, oid, None, ns) for ns, oid in items])


def _in_object_namespace(method):
    """Ceph's set_object_namespace: each call runs in the object's namespace (default "")."""

    @_functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        old = self.ioctx.get_namespace()
        self.ioctx.set_namespace(self.nspace)
        try:
            return method(self, *args, **kwargs)
        finally:
            self.ioctx.set_namespace(old)

    return wrapper


class Object(object):
    """Rados object wrapper, makes the object look like a file"""

    def __init__(self, ioctx, key, locator_key=None, nspace=None):
        self.key = key
        self.ioctx = ioctx
        self.offset = 0
        self.state = "exists"
        self.locator_key = locator_key
        self.nspace = "" if nspace is None else nspace

    @_in_object_namespace
    def read(self, length=1024 * 1024):
        self.require_object_exists()
        ret = self.ioctx.read(self.key, length, self.offset)
        self.offset += len(ret)
        return ret

    @_in_object_namespace
    def write(self, string_to_write):
        self.require_object_exists()
        ret = self.ioctx.write(self.key, string_to_write, self.offset)
        if ret == 0:
            self.offset += len(string_to_write)
        return ret

    @_in_object_namespace
    def remove(self):
        self.require_object_exists()
        self.ioctx.remove_object(self.key)
        self.state = "removed"

    @_in_object_namespace
    def stat(self):
        self.require_object_exists()
        return self.ioctx.stat(self.key)

    @_in_object_namespace
    def seek(self, position):
        self.require_object_exists()
        self.offset = position

    def require_object_exists(self):
        if self.state != "exists":
            raise ObjectStateError("The object is %s" % self.state)

    @_in_object_namespace
    def get_xattr(self, xattr_name):
        self.require_object_exists()
        return self.ioctx.get_xattr(self.key, xattr_name)

    @_in_object_namespace
    def get_xattrs(self):
        self.require_object_exists()
        return self.ioctx.get_xattrs(self.key)

    @_in_object_namespace
    def set_xattr(self, xattr_name, xattr_value):
        self.require_object_exists()
        return self.ioctx.set_xattr(self.key, xattr_name, xattr_value)

    @_in_object_namespace
    def rm_xattr(self, xattr_name):
        self.require_object_exists()
        return self.ioctx.rm_xattr(self.key, xattr_name)

    def __str__(self):
        return "rados.Object(ioctx=%s,key=%s,nspace=%s,locator=%s)" % (
            str(self.ioctx), self.key, "--default--" if self.nspace == "" else self.nspace, self.locator_key)
