"""Ceph's `rbd` Python module, on rbdshim's stores.

Names, signatures, exceptions and messages follow Ceph 16.2's module; the work is done by the
rbdshim core through the native extension `rbdshim._native`.
"""

import errno as _errno
import calendar as _calendar
import threading as _threading
from datetime import datetime as _datetime

from rbdshim import _native

# Constants with the values of Ceph 16.2's module.
ECANCELED = 125
MIRROR_IMAGE_STATUS_STATE_ERROR = 1
MIRROR_IMAGE_STATUS_STATE_REPLAYING = 4
MIRROR_IMAGE_STATUS_STATE_STARTING_REPLAY = 3
MIRROR_IMAGE_STATUS_STATE_STOPPED = 6
MIRROR_IMAGE_STATUS_STATE_STOPPING_REPLAY = 5
MIRROR_IMAGE_STATUS_STATE_SYNCING = 2
MIRROR_IMAGE_STATUS_STATE_UNKNOWN = 0
RBD_CONFIG_SOURCE_CONFIG = 0
RBD_CONFIG_SOURCE_IMAGE = 2
RBD_CONFIG_SOURCE_POOL = 1
RBD_ENCRYPTION_ALGORITHM_AES128 = 0
RBD_ENCRYPTION_ALGORITHM_AES256 = 1
RBD_ENCRYPTION_FORMAT_LUKS1 = 0
RBD_ENCRYPTION_FORMAT_LUKS2 = 1
RBD_FEATURES_ALL = 4095
RBD_FEATURES_INCOMPATIBLE = 2179
RBD_FEATURES_MUTABLE = 3164
RBD_FEATURES_RW_INCOMPATIBLE = 4095
RBD_FEATURES_SINGLE_CLIENT = 2140
RBD_FEATURE_DATA_POOL = 128
RBD_FEATURE_DEEP_FLATTEN = 32
RBD_FEATURE_EXCLUSIVE_LOCK = 4
RBD_FEATURE_FAST_DIFF = 16
RBD_FEATURE_JOURNALING = 64
RBD_FEATURE_LAYERING = 1
RBD_FEATURE_MIGRATING = 512
RBD_FEATURE_NON_PRIMARY = 1024
RBD_FEATURE_OBJECT_MAP = 8
RBD_FEATURE_OPERATIONS = 256
RBD_FEATURE_STRIPINGV2 = 2
RBD_FLAG_FAST_DIFF_INVALID = 2
RBD_FLAG_OBJECT_MAP_INVALID = 1
RBD_GROUP_IMAGE_STATE_ATTACHED = 0
RBD_GROUP_IMAGE_STATE_INCOMPLETE = 1
RBD_GROUP_SNAP_STATE_COMPLETE = 1
RBD_GROUP_SNAP_STATE_INCOMPLETE = 0
RBD_IMAGE_MIGRATION_STATE_ABORTING = 5
RBD_IMAGE_MIGRATION_STATE_ERROR = 0
RBD_IMAGE_MIGRATION_STATE_EXECUTED = 4
RBD_IMAGE_MIGRATION_STATE_EXECUTING = 3
RBD_IMAGE_MIGRATION_STATE_PREPARED = 2
RBD_IMAGE_MIGRATION_STATE_PREPARING = 1
RBD_IMAGE_MIGRATION_STATE_UNKNOWN = -1
RBD_IMAGE_OPTION_DATA_POOL = 10
RBD_IMAGE_OPTION_FEATURES = 1
RBD_IMAGE_OPTION_FORMAT = 0
RBD_IMAGE_OPTION_ORDER = 2
RBD_IMAGE_OPTION_STRIPE_COUNT = 4
RBD_IMAGE_OPTION_STRIPE_UNIT = 3
RBD_LOCK_MODE_EXCLUSIVE = 0
RBD_LOCK_MODE_SHARED = 1
RBD_MIRROR_IMAGE_DISABLED = 2
RBD_MIRROR_IMAGE_DISABLING = 0
RBD_MIRROR_IMAGE_ENABLED = 1
RBD_MIRROR_IMAGE_MODE_JOURNAL = 0
RBD_MIRROR_IMAGE_MODE_SNAPSHOT = 1
RBD_MIRROR_MODE_DISABLED = 0
RBD_MIRROR_MODE_IMAGE = 1
RBD_MIRROR_MODE_POOL = 2
RBD_MIRROR_PEER_DIRECTION_RX = 0
RBD_MIRROR_PEER_DIRECTION_RX_TX = 2
RBD_MIRROR_PEER_DIRECTION_TX = 1
RBD_OPERATION_FEATURE_CLONE_CHILD = 2
RBD_OPERATION_FEATURE_CLONE_PARENT = 1
RBD_OPERATION_FEATURE_GROUP = 4
RBD_OPERATION_FEATURE_SNAP_TRASH = 8
RBD_POOL_STAT_OPTION_IMAGES = 0
RBD_POOL_STAT_OPTION_IMAGE_MAX_PROVISIONED_BYTES = 2
RBD_POOL_STAT_OPTION_IMAGE_PROVISIONED_BYTES = 1
RBD_POOL_STAT_OPTION_IMAGE_SNAPSHOTS = 3
RBD_POOL_STAT_OPTION_TRASH_IMAGES = 4
RBD_POOL_STAT_OPTION_TRASH_MAX_PROVISIONED_BYTES = 6
RBD_POOL_STAT_OPTION_TRASH_PROVISIONED_BYTES = 5
RBD_POOL_STAT_OPTION_TRASH_SNAPSHOTS = 7
RBD_SNAP_CREATE_IGNORE_QUIESCE_ERROR = 2
RBD_SNAP_CREATE_SKIP_QUIESCE = 1
RBD_SNAP_MIRROR_STATE_NON_PRIMARY = 2
RBD_SNAP_MIRROR_STATE_NON_PRIMARY_DEMOTED = 3
RBD_SNAP_MIRROR_STATE_PRIMARY = 0
RBD_SNAP_MIRROR_STATE_PRIMARY_DEMOTED = 1
RBD_SNAP_NAMESPACE_TYPE_GROUP = 1
RBD_SNAP_NAMESPACE_TYPE_MIRROR = 3
RBD_SNAP_NAMESPACE_TYPE_TRASH = 2
RBD_SNAP_NAMESPACE_TYPE_USER = 0
RBD_SNAP_REMOVE_FLATTEN = 2
RBD_SNAP_REMOVE_FORCE = 3
RBD_SNAP_REMOVE_UNPROTECT = 1
RBD_WRITE_ZEROES_FLAG_THICK_PROVISION = 1

RBD_FEATURES_DEFAULT = 61


# Feature names by bit, as rbd_features_to_string spells them.
_FEATURE_NAMES = ["layering", "striping", "exclusive-lock", "object-map", "fast-diff", "deep-flatten",
                  "journaling", "data-pool", "operations", "migrating", "non-primary", "dirty-cache"]


class Error(Exception):
    pass


class OSError(Error):
    """`OSError` class, derived from `Error`"""

    def __init__(self, message, errno=None):
        super().__init__(message, errno)
        self.errno = errno

    def __str__(self):
        msg = self.args[0]
        if self.errno is None:
            return msg
        return "[errno {0}] {1}".format(self.errno, msg)

    def __reduce__(self):
        return (self.__class__, (self.args[0], self.errno))


def _described(name, text):
    def __init__(self, message, errno=None):
        OSError.__init__(self, "%s (%s)" % (text, message), errno)

    return type(name, (OSError,), {"__init__": __init__, "__module__": __name__})


PermissionError = _described("PermissionError", "RBD permission error")
ImageNotFound = _described("ImageNotFound", "RBD image not found")
ObjectNotFound = _described("ObjectNotFound", "RBD object not found")
ImageExists = _described("ImageExists", "RBD image already exists")
ObjectExists = _described("ObjectExists", "RBD object already exists")
IOError = _described("IOError", "RBD I/O error")
NoSpace = _described("NoSpace", "RBD insufficient space available")
IncompleteWriteError = _described("IncompleteWriteError", "RBD incomplete write")
InvalidArgument = _described("InvalidArgument", "RBD invalid argument")
LogicError = _described("LogicError", "RBD logic error")
ReadOnlyImage = _described("ReadOnlyImage", "RBD read-only image")
ImageBusy = _described("ImageBusy", "RBD image is busy")
ImageHasSnapshots = _described("ImageHasSnapshots", "RBD image has snapshots")
FunctionNotSupported = _described("FunctionNotSupported", "RBD function not supported")
ArgumentOutOfRange = _described("ArgumentOutOfRange", "RBD arguments out of range")
ConnectionShutdown = _described("ConnectionShutdown", "RBD connection was shutdown")
Timeout = _described("Timeout", "RBD operation timeout")
DiskQuotaExceeded = _described("DiskQuotaExceeded", "RBD disk quota exceeded")
OperationNotSupported = _described("OperationNotSupported", "RBD operation not supported")
OperationCanceled = _described("OperationCanceled", "RBD operation canceled")

_errno_to_exception = {
    _errno.EPERM: PermissionError,
    _errno.ENOENT: ImageNotFound,
    _errno.EIO: IOError,
    _errno.ENOSPC: NoSpace,
    _errno.EEXIST: ImageExists,
    _errno.EINVAL: InvalidArgument,
    _errno.EROFS: ReadOnlyImage,
    _errno.EBUSY: ImageBusy,
    _errno.ENOTEMPTY: ImageHasSnapshots,
    _errno.ENOSYS: FunctionNotSupported,
    _errno.EDOM: ArgumentOutOfRange,
    _errno.ESHUTDOWN: ConnectionShutdown,
    _errno.ETIMEDOUT: Timeout,
    _errno.EDQUOT: DiskQuotaExceeded,
    _errno.EOPNOTSUPP: OperationNotSupported,
}


def make_ex(ret, msg, exception_map=_errno_to_exception):
    """Translate a librbd return code into an exception."""
    ret = abs(ret)
    if ret in exception_map:
        return exception_map[ret](msg, errno=ret)
    return OSError(msg, errno=ret)


def _call(msg, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except _native.NativeError as e:
        raise make_ex(e.args[0], msg) from None


def _stamp(t):
    """A (sec, nsec) time as Ceph's module gives it: whole seconds, UTC."""
    return _datetime.utcfromtimestamp(t[0])


def _local_stamp(t):
    """Access and modify times: whole seconds, local time (as Ceph's module gives them)."""
    return _datetime.fromtimestamp(t[0])


def _cstr(val, name):
    """Names must be str (or bytes): Ceph's module refuses anything else with InvalidArgument."""
    if isinstance(val, bytes):
        return val.decode("utf-8")
    if not isinstance(val, str):
        raise InvalidArgument("%s must be a string" % name)
    return val


def _progress(on_progress, offset, total):
    """Calls a progress callback; a non-zero return cancels, as librbd's ProgressContext."""
    if on_progress is not None and on_progress(offset, total):
        raise OperationCanceled("operation canceled by the progress callback", errno=_errno.ECANCELED)


class RBD(object):
    """This class wraps librbd CRUD functions."""

    def version(self):
        return (1, 16, 0)

    def create(self, ioctx, name, size, order=None, old_format=False, features=None,
               stripe_unit=None, stripe_count=None, data_pool=None):
        name = _cstr(name, "name")
        if old_format:
            raise InvalidArgument("format 1 images are not supported")
        _call("error creating image", _native.create, ioctx._native, name, size, order, features,
              stripe_unit, stripe_count, data_pool)

    def clone(self, p_ioctx, p_name, p_snapname, c_ioctx, c_name, features=None, order=None,
              stripe_unit=None, stripe_count=None, data_pool=None):
        _call("error creating clone", _native.clone_image, p_ioctx._native, p_name, p_snapname, c_ioctx._native,
              c_name, order, features, stripe_unit, stripe_count, data_pool)

    def list(self, ioctx):
        return [name for _, name in _call("error listing images", _native.list2, ioctx._native)]

    def list2(self, ioctx):
        return ImageIterator._of([{"id": i, "name": n} for i, n in _call("error listing images", _native.list2, ioctx._native)])

    def remove(self, ioctx, name, on_progress=None):
        name = _cstr(name, "name")
        _progress(on_progress, 0, 1)
        _call("error removing image", _native.remove, ioctx._native, name)
        _progress(on_progress, 1, 1)

    def rename(self, ioctx, src, dest):
        _call("error renaming image", _native.rename, ioctx._native, src, dest)

    def trash_move(self, ioctx, name, delay=0):
        _call("error moving image to trash", _native.trash_move, ioctx._native, name, delay)

    def trash_list(self, ioctx):
        entries = _call("error listing trash", _native.trash_list, ioctx._native)
        return TrashIterator._of([
            {"id": i, "name": n, "source": "USER" if s == 0 else s,
             "deletion_time": _datetime.utcfromtimestamp(d), "deferment_end_time": _datetime.utcfromtimestamp(e)}
            for i, n, s, d, e in entries
        ])

    def trash_remove(self, ioctx, image_id, force=False, on_progress=None):
        image_id = _cstr(image_id, "image_id")
        _progress(on_progress, 0, 1)
        _call("error deleting image from trash", _native.trash_remove, ioctx._native, image_id, force)
        _progress(on_progress, 1, 1)

    def trash_restore(self, ioctx, image_id, name):
        _call("error restoring image from trash", _native.trash_restore, ioctx._native, image_id, name)

    def trash_get(self, ioctx, image_id):
        for entry in self.trash_list(ioctx):
            if entry["id"] == image_id:
                return entry
        raise make_ex(-_errno.ENOENT, "error retrieving image from trash")

    def trash_purge(self, ioctx, expire_ts=None, threshold=-1):
        if expire_ts is None:
            ts = 0
        elif isinstance(expire_ts, _datetime):
            ts = int(_calendar.timegm(expire_ts.utctimetuple()))
        else:
            raise TypeError("expire_ts must be a datetime or None")
        # threshold (purge until the pool is below a usage ratio) has nothing to measure here:
        # every expired image goes, which satisfies any threshold.
        _call("error purging images from trash", _native.trash_purge, ioctx._native, ts)

    def pool_metadata_get(self, ioctx, key):
        try:
            return _native.pool_metadata_get(ioctx._native, key)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                raise KeyError("no metadata %s" % key) from None
            raise make_ex(e.args[0], "error getting metadata %s" % key) from None

    def pool_metadata_set(self, ioctx, key, value):
        _call("error setting metadata %s" % key, _native.pool_metadata_set, ioctx._native, key, value)

    def pool_metadata_remove(self, ioctx, key):
        try:
            _native.pool_metadata_remove(ioctx._native, key)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                raise KeyError("no metadata %s" % key) from None
            raise make_ex(e.args[0], "error removing metadata %s" % key) from None

    def pool_metadata_list(self, ioctx):
        return PoolMetadataIterator._of(_call("error listing metadata", _native.pool_metadata_list, ioctx._native))

    # Pool-level config overrides are pool metadata keys "conf_<option>", as in Ceph; the list
    # shows every rbd option with where its value comes from.
    def config_list(self, ioctx):
        return ConfigPoolIterator._of([{"name": n, "value": v, "source": src} for n, v, src in
                                       _call("error listing config", _native.config_list, ioctx._native)])

    def config_get(self, ioctx, key):
        try:
            return _native.pool_metadata_get(ioctx._native, "conf_" + key)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                raise KeyError("no config %s for pool %s" % (key, ioctx.get_pool_name())) from None
            raise make_ex(e.args[0], "error getting config %s for pool %s" % (key, ioctx.get_pool_name())) from None

    def config_set(self, ioctx, key, value):
        _call("error setting config %s for pool %s" % (key, ioctx.get_pool_name()),
              _native.pool_metadata_set, ioctx._native, "conf_" + key, value)

    def config_remove(self, ioctx, key):
        try:
            _native.pool_metadata_remove(ioctx._native, "conf_" + key)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                raise KeyError("no config %s for pool %s" % (key, ioctx.get_pool_name())) from None
            raise make_ex(e.args[0], "error removing config %s for pool %s" % (key, ioctx.get_pool_name())) from None

    def pool_stats_get(self, ioctx):
        return dict(_call("error retrieving pool stats", _native.pool_stats, ioctx._native))

    def aio_open_image(self, oncomplete, ioctx, name=None, snapshot=None, read_only=False, image_id=None):
        if name is not None and image_id is not None:
            raise InvalidArgument("only need to specify image name or image id")
        if name is None and image_id is None:
            raise InvalidArgument("image name or image id was not specified")

        def job():
            try:
                image = Image(ioctx, name, snapshot, read_only, image_id)
            except OSError as e:
                return -e.errno, None
            return 0, image
        return _ThreadCompletion(None, oncomplete, job)

    def namespace_create(self, ioctx, name):
        _call("error creating namespace", _native.namespace_create, ioctx._native, name)

    def namespace_remove(self, ioctx, name):
        _call("error removing namespace", _native.namespace_remove, ioctx._native, name)

    def namespace_exists(self, ioctx, name):
        return _call("error verifying namespace", _native.namespace_exists, ioctx._native, name)

    def namespace_list(self, ioctx):
        return _call("error listing namespaces", _native.namespace_list, ioctx._native)

    def pool_init(self, ioctx, force):
        pass

    def features_to_string(self, features):
        if features & ~RBD_FEATURES_ALL:
            raise InvalidArgument("error converting features bitmask to str")
        return ",".join(n for i, n in enumerate(_FEATURE_NAMES) if features & (1 << i))

    def features_from_string(self, str_features):
        value = 0
        for part in (p.strip() for p in str_features.split(",") if p.strip()):
            if part not in _FEATURE_NAMES:
                raise InvalidArgument("error converting features str to bitmask")
            value |= 1 << _FEATURE_NAMES.index(part)
        return value


def _of(cls, items):
    it = cls.__new__(cls)
    it._items = list(items)
    return it


def _listing(cls):
    """Ceph's iterator classes: built from what they list (an ioctx or an image), fetching
    the whole listing when made; the module itself builds them from results with `_of`."""
    cls.__iter__ = lambda self: iter(self._items)
    cls._of = classmethod(_of)
    return cls


@_listing
class ImageIterator(object):
    """Iterator over RBD images in a pool"""

    def __init__(self, ioctx):
        self._items = list(RBD().list2(ioctx))


@_listing
class SnapIterator(object):
    """Iterator over snapshot info for an image"""

    def __init__(self, image):
        self._items = list(image.list_snaps())


@_listing
class TrashIterator(object):
    """Iterator over trashed RBD images in a pool"""

    def __init__(self, ioctx):
        self._items = list(RBD().trash_list(ioctx))


@_listing
class ChildIterator(object):
    """Iterator over child info for the image or its snapshot"""

    def __init__(self, image, descendants=False):
        self._items = list(image.list_descendants() if descendants else image.list_children2())


@_listing
class WatcherIterator(object):
    """Iterator over watchers of an image"""

    def __init__(self, image):
        self._items = list(image.watchers_list())


@_listing
class MetadataIterator(object):
    """Iterator over metadata list for an image"""

    def __init__(self, image):
        self._items = list(image.metadata_list())

    def get_next_chunk(self):
        # librbd pages metadata in chunks; the whole list is fetched when the iterator is made.
        return None


@_listing
class ConfigImageIterator(object):
    """Iterator over image-level overrides for an image"""

    def __init__(self, image):
        self._items = list(image.config_list())


@_listing
class ConfigPoolIterator(object):
    """Iterator over pool-level overrides for a pool"""

    def __init__(self, ioctx):
        self._items = list(RBD().config_list(ioctx))


@_listing
class PoolMetadataIterator(object):
    """Iterator over pool metadata list"""

    def __init__(self, ioctx):
        self._items = list(RBD().pool_metadata_list(ioctx))


@_listing
class LockOwnerIterator(object):
    """Iterator over managed lock owners for an image"""

    def __init__(self, image):
        self._items = list(image.lock_get_owners())


class Completion(object):
    """An asynchronous request of an Image (aio_*)."""

    def __init__(self, image, oncomplete):
        self.image = image
        self.oncomplete = oncomplete
        self._native = None
        self._exc = None

    def is_complete(self):
        return self._native.is_complete()

    def wait_for_complete_and_cb(self):
        """Waits for the request and its callback; re-raises what the callback raised."""
        self._native.wait()
        if self._exc is not None:
            exc, self._exc = self._exc, None
            raise exc

    def wait_for_complete(self):
        self._native.wait()

    def get_return_value(self):
        return self._native.return_value()


def _submit(image, oncomplete, submit, with_data=False):
    comp = Completion(image, oncomplete)

    def done(ret, data):
        if comp.oncomplete is None:
            return
        try:
            if with_data:
                comp.oncomplete(comp, data if ret >= 0 else None)
            else:
                comp.oncomplete(comp)
        except BaseException as e:  # kept for wait_for_complete_and_cb, as Ceph's module does
            comp._exc = e

    comp._native = submit(done)
    return comp


class _ThreadCompletion(Completion):
    """A completion for work librbd does asynchronously that is a blocking call here
    (opening, closing): done on a thread, then `oncomplete(completion, *result)`."""

    def __init__(self, image, oncomplete, job):
        super().__init__(image, oncomplete)
        self._done = _threading.Event()
        self._ret = 0

        def run():
            ret, *extra = job()
            self._ret = ret
            try:
                if self.oncomplete is not None:
                    self.oncomplete(self, *extra)
            finally:
                self._done.set()
        _threading.Thread(target=run, daemon=True).start()

    def is_complete(self):
        return self._done.is_set()

    def wait_for_complete_and_cb(self):
        self._done.wait()

    def wait_for_complete(self):
        self._done.wait()

    def get_return_value(self):
        return self._ret


class Image(object):
    """This class represents an RBD image."""

    def __init__(self, ioctx, name=None, snapshot=None, read_only=False, image_id=None, _oncomplete=None):
        if name is not None and image_id is not None:
            raise InvalidArgument("only need to specify image name or image id")
        if name is None and image_id is None:
            raise InvalidArgument("image name or image id was not specified")
        self.name = name if name is not None else image_id
        self.closed = False
        self.ioctx = ioctx
        msg = "error opening image %s at snapshot %s" % (self.name, snapshot)
        self._native = _call(msg, _native.NativeImage, ioctx._native, self.name, snapshot, read_only, name is None)

    def __enter__(self):
        return self

    def __exit__(self, type_, value, traceback):
        self.close()
        return False

    def _check(self):
        if self.closed:
            raise InvalidArgument("RBD image %s is closed" % self.name)

    def close(self):
        if not self.closed:
            self.closed = True
            _call("error while closing image %s" % self.name, self._native.close)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def id(self):
        self._check()
        return self._native.id()

    def block_name_prefix(self):
        self._check()
        return self._native.stat()["block_name_prefix"]

    def data_pool_id(self):
        self._check()
        return _call("error getting data pool id for image %s" % self.name, self._native.data_pool_id)

    def size(self):
        self._check()
        return _call("error getting size for image %s" % self.name, self._native.size)

    def stat(self):
        self._check()
        st = _call("error getting info for image %s" % self.name, self._native.stat)
        # Deprecated fields, as Ceph's module reports them (an unsigned -1 and a byte string).
        st["parent_pool"] = st["parent_pool"] & 0xFFFFFFFFFFFFFFFF
        st["parent_name"] = st["parent_name"].encode() if isinstance(st["parent_name"], str) else st["parent_name"]
        return st

    def resize(self, size, allow_shrink=True):
        self._check()
        if not allow_shrink and size < self.size():
            raise InvalidArgument("error resizing image %s" % self.name)
        _call("error resizing image %s" % self.name, self._native.resize, size)

    def features(self):
        self._check()
        return _call("error getting features for image %s" % self.name, self._native.features)

    def update_features(self, features, enabled):
        self._check()
        _call("error updating features for image %s" % self.name, self._native.update_features, features, enabled)

    def op_features(self):
        self._check()
        return self._native.op_features()

    def flags(self):
        self._check()
        return _call("error getting flags for image %s" % self.name, self._native.flags)

    def old_format(self):
        self._check()
        return False

    def stripe_unit(self):
        self._check()
        return self._native.stripe_unit()

    def stripe_count(self):
        self._check()
        return self._native.stripe_count()

    def create_timestamp(self):
        self._check()
        return _stamp(self._native.timestamps()[0])

    def modify_timestamp(self):
        self._check()
        return _local_stamp(self._native.timestamps()[1])

    def access_timestamp(self):
        self._check()
        return _local_stamp(self._native.timestamps()[2])

    def read(self, offset, length, fadvise_flags=0):
        self._check()
        return _call("error reading %s %ld~%ld" % (self.name, offset, length), self._native.read, offset, length)

    def write(self, data, offset, fadvise_flags=0):
        self._check()
        if not isinstance(data, bytes):
            raise TypeError("data must be a byte string")
        n = _call("error writing to %s" % self.name, self._native.write, data, offset)
        if n != len(data):
            raise IncompleteWriteError("Wrote only %ld out of %ld bytes" % (n, len(data)))
        return n

    def discard(self, offset, length):
        self._check()
        _call("error discarding region %d~%d" % (offset, length), self._native.discard, offset, length)

    def write_zeroes(self, offset, length, zero_flags=0):
        self._check()
        thick = bool(zero_flags & RBD_WRITE_ZEROES_FLAG_THICK_PROVISION)
        _call("error zeroing region %d~%d" % (offset, length), self._native.write_zeroes, offset, length, thick)

    def flush(self):
        self._check()
        _call("error flushing image", self._native.flush)

    def invalidate_cache(self):
        self._check()
        _call("error invalidating cache", self._native.invalidate_cache)

    def create_snap(self, name, flags=0):
        self._check()
        _call("error creating snapshot %s from %s" % (name, self.name), self._native.create_snap, name)

    def remove_snap(self, name):
        self._check()
        _call("error removing snapshot %s from %s" % (name, self.name), self._native.remove_snap, name)

    def remove_snap2(self, name, flags):
        self._check()
        if flags & RBD_SNAP_REMOVE_UNPROTECT and self.is_protected_snap(name):
            self.unprotect_snap(name)
        self.remove_snap(name)

    def remove_snap_by_id(self, snap_id):
        self._check()
        _call("error removing snapshot %s from %s" % (snap_id, self.name), self._native.remove_snap_by_id, snap_id)

    def rename_snap(self, srcname, dstname):
        self._check()
        _call("error renaming snapshot of %s from %s to %s" % (self.name, srcname, dstname),
              self._native.rename_snap, srcname, dstname)

    def rollback_to_snap(self, name):
        self._check()
        _call("error rolling back image %s to snapshot %s" % (self.name, name), self._native.rollback_to_snap, name)

    def protect_snap(self, name):
        self._check()
        _call("error protecting snapshot %s@%s" % (self.name, name), self._native.protect_snap, name)

    def unprotect_snap(self, name):
        self._check()
        _call("error unprotecting snapshot %s@%s" % (self.name, name), self._native.unprotect_snap, name)

    def is_protected_snap(self, name):
        self._check()
        return _call("error checking if snapshot %s@%s is protected" % (self.name, name),
                     self._native.is_protected_snap, name)

    def list_snaps(self):
        self._check()
        snaps = _call("error listing snapshots for image %s" % self.name, self._native.list_snaps)
        out = []
        for i, size, name, _t, _p, trash_name in snaps:
            if trash_name is None:
                out.append({"id": i, "size": size, "name": name, "namespace": RBD_SNAP_NAMESPACE_TYPE_USER})
            else:
                out.append({"id": i, "size": size, "name": name, "namespace": RBD_SNAP_NAMESPACE_TYPE_TRASH,
                            "trash": {"original_name": trash_name}})
        return SnapIterator._of(out)

    def set_snap(self, name):
        self._check()
        _call("error setting image %s to snapshot %s" % (self.name, name), self._native.set_snap, name)

    def set_snap_by_id(self, snap_id):
        self._check()
        _call("error setting image %s to snapshot %d" % (self.name, -1 if snap_id is None else snap_id),
              self._native.set_snap_by_id, snap_id)

    def snap_get_id(self, snap_name):
        self._check()
        return _call("error getting snapshot ID for image %s, snap_name %s" % (self.name, snap_name),
                     self._native.snap_get_id, snap_name)

    def snap_get_name(self, snap_id):
        self._check()
        return _call("error getting snapshot name for image %s, snap_id %d" % (self.name, snap_id),
                     self._native.snap_get_name, snap_id)

    def snap_get_timestamp(self, snap_id):
        self._check()
        return _stamp(_call("error getting snapshot timestamp for image: %s, snap_id: %d" % (self.name, snap_id),
                            self._native.snap_get_timestamp, snap_id))

    def get_snap_timestamp(self, snap_id):
        return self.snap_get_timestamp(snap_id)

    def snap_exists(self, snapname):
        self._check()
        return _call("error getting snapshot exists for %s" % self.name, self._native.snap_exists, snapname)

    def _snap_by_id(self, snap_id):
        for snap in self.list_snaps():
            if snap["id"] == snap_id:
                return snap
        raise make_ex(-_errno.ENOENT, "error getting snapshot for image: %s, snap_id: %d" % (self.name, snap_id))

    def snap_get_namespace_type(self, snap_id):
        self._check()
        return self._snap_by_id(snap_id)["namespace"]

    def snap_get_trash_namespace(self, snap_id):
        self._check()
        snap = self._snap_by_id(snap_id)
        if snap["namespace"] != RBD_SNAP_NAMESPACE_TYPE_TRASH:
            raise make_ex(-_errno.EINVAL, "error getting snapshot trash namespace for image: %s, snap_id: %d"
                          % (self.name, snap_id))
        return snap["trash"]

    def remove_snap_limit(self):
        self._check()
        _call("error removing snapshot limit for %s" % self.name, self._native.snap_set_limit, 2 ** 64 - 1)

    def require_not_closed(self):
        self._check()

    def sparsify(self, sparse_size):
        self._check()
        _call("error sparsifying %s" % self.name, self._native.sparsify, sparse_size)

    def rebuild_object_map(self):
        self._check()
        _call("error rebuilding object map %s" % self.name, self._native.rebuild_object_map)

    def aio_close(self, oncomplete):
        self._check()

        def job():
            try:
                self.close()
            except OSError as e:
                return (-e.errno,)
            return (0,)
        return _ThreadCompletion(self, oncomplete, job)

    def list_descendants(self):
        self._check()
        found = []

        def walk(image):
            for child in image.list_children2():
                found.append(child)
                if child["trash"]:
                    continue
                with self.ioctx.rados.open_ioctx(child["pool"]) as io:
                    io.set_namespace(child["pool_namespace"])
                    with Image(io, image_id=child["id"], read_only=True) as c:
                        walk(c)
        walk(self)
        return ChildIterator._of(found)

    def get_snap_limit(self):
        self._check()
        return self._native.snap_get_limit()

    def set_snap_limit(self, limit):
        self._check()
        _call("error setting snapshot limit for %s" % self.name, self._native.snap_set_limit, limit)

    def _parent(self):
        return _call("error getting parent info for image %s" % self.name, self._native.parent_info)

    def parent_info(self):
        self._check()
        p = self._parent()
        return (p[1], p[4], p[6])

    def parent_id(self):
        self._check()
        return self._parent()[3]

    def get_parent_image_spec(self):
        self._check()
        p = self._parent()
        return {"pool_name": p[1], "pool_namespace": p[2], "image_name": p[4], "image_id": p[3],
                "snap_name": p[6], "snap_namespace_type": RBD_SNAP_NAMESPACE_TYPE_USER, "snap_id": p[5]}

    def overlap(self):
        self._check()
        try:
            return self._native.parent_info()[7]
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT:
                return 0  # not a clone (any more): nothing overlaps
            raise make_ex(e.args[0], "error getting overlap for image %s" % self.name) from None

    def list_children(self):
        self._check()
        kids = _call("error listing children of image %s" % self.name, self._native.list_children)
        # Children in the trash are left out here (list_children2 shows them).
        return [(pool, image) for _id, pool, _ns, _iid, image, trash in kids if not trash]

    def list_children2(self):
        self._check()
        kids = _call("error listing children of image %s" % self.name, self._native.list_children)
        return ChildIterator._of([{"pool": pool, "pool_namespace": ns, "image": image, "id": iid, "trash": trash}
                     for _id, pool, ns, iid, image, trash in kids])

    def flatten(self, on_progress=None):
        self._check()
        _call("error flattening %s" % self.name, self._native.flatten)
        if on_progress:
            on_progress(1, 1)

    def diff_iterate(self, offset, length, from_snapshot, iterate_cb, include_parent=True, whole_object=False):
        self._check()
        _call("error generating diff from snapshot %s" % from_snapshot, self._native.diff_iterate, offset, length,
              from_snapshot, iterate_cb, include_parent, whole_object)

    def copy(self, dest_ioctx, dest_name, features=None, order=None, stripe_unit=None, stripe_count=None,
             data_pool=None):
        self._check()
        dest_name = _cstr(dest_name, "dest_name")
        _call("error copying image %s to %s" % (self.name, dest_name), self._native.copy, dest_ioctx._native,
              dest_name, False, order, features, stripe_unit, stripe_count, data_pool)

    def deep_copy(self, dest_ioctx, dest_name, features=None, order=None, stripe_unit=None, stripe_count=None,
                  data_pool=None):
        self._check()
        dest_name = _cstr(dest_name, "dest_name")
        _call("error copying image %s to %s" % (self.name, dest_name), self._native.copy, dest_ioctx._native,
              dest_name, True, order, features, stripe_unit, stripe_count, data_pool)

    def _meta(self, fn, what, key, *args, missing=None):
        """Runs a metadata call; a missing key is KeyError(`missing`), as in Ceph's module."""
        self._check()
        try:
            return fn(key, *args)
        except _native.NativeError as e:
            if e.args[0] == _errno.ENOENT and missing is not None:
                raise KeyError(missing) from None
            raise make_ex(e.args[0], "error %s metadata %s for image %s" % (what, key, self.name)) from None

    def metadata_get(self, key):
        return self._meta(self._native.metadata_get, "getting", _cstr(key, "key"),
                          missing="no metadata %s for image %s" % (key, self.name))

    def metadata_set(self, key, value):
        self._meta(self._native.metadata_set, "setting", _cstr(key, "key"), _cstr(value, "value"))

    def metadata_remove(self, key):
        self._meta(self._native.metadata_remove, "removing", _cstr(key, "key"),
                   missing="no metadata %s for image %s" % (key, self.name))

    def metadata_list(self):
        self._check()
        return MetadataIterator._of(_call("error listing metadata for image %s" % self.name,
                                          self._native.metadata_list))

    # Image-level config overrides are image-meta keys "conf_<option>", as in Ceph; the list
    # shows every rbd option with where its value comes from.
    def config_list(self):
        self._check()
        return ConfigImageIterator._of([{"name": n, "value": v, "source": src} for n, v, src in
                                        _call("error listing config for image %s" % self.name,
                                              self._native.config_list)])

    def config_set(self, key, value):
        self._meta(self._native.config_set, "setting", _cstr(key, "key"), _cstr(value, "value"))

    def config_get(self, key):
        return self._meta(self._native.metadata_get, "getting", "conf_" + _cstr(key, "key"),
                          missing="no config %s for image %s" % (key, self.name))

    def config_remove(self, key):
        self._meta(self._native.metadata_remove, "removing", "conf_" + _cstr(key, "key"),
                   missing="no config %s for image %s" % (key, self.name))

    def aio_read(self, offset, length, oncomplete, fadvise_flags=0):
        self._check()
        return _call("error reading %s %ld~%ld" % (self.name, offset, length), _submit, self, oncomplete,
                     lambda cb: self._native.aio_read(offset, length, cb), True)

    def aio_write(self, data, offset, oncomplete, fadvise_flags=0):
        self._check()
        if not isinstance(data, bytes):
            raise TypeError("data must be a byte string")
        return _call("error writing %s %ld~%ld" % (self.name, offset, len(data)), _submit, self, oncomplete,
                     lambda cb: self._native.aio_write(data, offset, cb))

    def aio_discard(self, offset, length, oncomplete):
        self._check()
        return _call("error discarding %s %ld~%ld" % (self.name, offset, length), _submit, self, oncomplete,
                     lambda cb: self._native.aio_discard(offset, length, cb))

    def aio_write_zeroes(self, offset, length, oncomplete, zero_flags=0, fadvise_flags=0):
        self._check()
        thick = bool(zero_flags & RBD_WRITE_ZEROES_FLAG_THICK_PROVISION)
        return _call("error zeroing %s %ld~%ld" % (self.name, offset, length), _submit, self, oncomplete,
                     lambda cb: self._native.aio_write_zeroes(offset, length, thick, cb))

    def aio_flush(self, oncomplete):
        self._check()
        return _call("error flushing", _submit, self, oncomplete, lambda cb: self._native.aio_flush(cb))

    def lock_acquire(self, lock_mode):
        self._check()
        _call("error acquiring lock on image", self._native.lock_acquire, lock_mode)

    def lock_release(self):
        self._check()
        _call("error releasing lock on image", self._native.lock_release)

    def is_exclusive_lock_owner(self):
        self._check()
        return _call("error getting lock status for image %s" % self.name, self._native.is_exclusive_lock_owner)

    def lock_get_owners(self):
        self._check()
        return LockOwnerIterator._of([{"mode": m, "owner": o} for m, o in
                     _call("error listing lock owners for image %s" % self.name, self._native.lock_owners)])

    def lock_break(self, lock_mode, lock_owner):
        self._check()
        _call("error breaking lock on image", self._native.lock_break, lock_mode, _cstr(lock_owner, "lock_owner"))

    def get_name(self):
        self._check()
        return _call("error getting name for image %s" % self.name, self._native.name)

    def encryption_format(self, format, passphrase, cipher_alg=RBD_ENCRYPTION_ALGORITHM_AES256):
        self._check()
        raise OperationNotSupported("error formatting image %s" % self.name, errno=_errno.EOPNOTSUPP)

    def encryption_load(self, format, passphrase):
        self._check()
        raise OperationNotSupported("error loading encryption on image %s" % self.name, errno=_errno.EOPNOTSUPP)

    def lock_exclusive(self, cookie):
        self._check()
        _call("error acquiring exclusive lock on image", self._native.lock_exclusive, cookie)

    def lock_shared(self, cookie, tag):
        self._check()
        _call("error acquiring shared lock on image", self._native.lock_shared, cookie, tag)

    def unlock(self, cookie):
        self._check()
        _call("error unlocking image", self._native.unlock, cookie)

    def break_lock(self, client, cookie):
        self._check()
        _call("error unlocking image", self._native.break_lock, client, cookie)

    def list_lockers(self):
        self._check()
        exclusive, tag, lockers = _call("error listing images", self._native.list_lockers)
        if not lockers:
            return []
        return {"tag": tag, "exclusive": exclusive, "lockers": lockers}

    def watchers_list(self):
        self._check()
        ws = _call("error listing watchers", self._native.watchers)
        return WatcherIterator._of([{"addr": a, "id": i, "cookie": c} for a, i, c in ws])
