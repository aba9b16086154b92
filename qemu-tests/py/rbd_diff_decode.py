#!/usr/bin/env python3
"""Independent decoder of RBD diff and export streams, for checking what the CLI writes.

Written from Ceph's doc/dev/rbd-diff.rst and doc/dev/rbd-export.rst (plus what Ceph's `rbd`
actually writes where the documents are silent: the "rbd image diffs v2\\n" banner after an
export's metadata, a full "rbd diff v2\\n" stream per exported diff, the v2 'p' record), with
the standard library only and no code shared with the Rust implementation.

    rbd_diff_decode.py FILE|-      print a JSON summary; exit 1 on a malformed stream
    rbd_diff_decode.py --self-test encode small streams by hand and decode them

Summary of a diff: {"version", "from", "to", "protected", "size", "extents": [[kind, off, len]],
"data_sha256"} where kind is "w" or "z" and data_sha256 hashes all 'w' bytes in order. Summary
of an export-format-2 stream: {"format": 2, "order", "features", "stripe_unit", "stripe_count",
"meta": {key: value}, "diffs": [diff summaries]}.
"""

import hashlib
import io
import json
import struct
import sys

DIFF_V1 = b"rbd diff v1\n"
DIFF_V2 = b"rbd diff v2\n"
IMAGE_V2 = b"rbd image v2\n"
IMAGE_DIFFS_V2 = b"rbd image diffs v2\n"
MAX_NAME = 4096
MAX_META = 4 << 20


class Malformed(Exception):
    pass


class Stream:
    """Exact reads from a binary file; running out is always an error."""

    def __init__(self, f):
        self.f = f

    def take(self, n):
        out = bytearray()
        while len(out) < n:
            chunk = self.f.read(min(n - len(out), 1 << 20))
            if not chunk:
                raise Malformed("truncated stream")
            out += chunk
        return bytes(out)

    def u8(self):
        return self.take(1)[0]

    def le32(self):
        return struct.unpack("<I", self.take(4))[0]

    def le64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def skip(self, n, sink=None):
        while n > 0:
            chunk = self.take(min(n, 1 << 20))
            if sink is not None:
                sink.update(chunk)
            n -= len(chunk)

    def at_eof(self):
        return self.f.read(1) == b""


def decode_diff(s, banner=None, head=None):
    """Decodes one diff stream, banner included (or already read into `head`). `banner`
    forces a version."""
    if head is None:
        head = s.take(len(DIFF_V1))
    if head == DIFF_V1:
        version = 1
    elif head == DIFF_V2:
        version = 2
    else:
        raise Malformed("bad banner %r" % head)
    if banner is not None and head != banner:
        raise Malformed("unexpected diff version %d" % version)

    out = {"version": version, "from": None, "to": None, "protected": None, "size": None, "extents": []}
    seen = set()
    in_data = False
    next_off = 0
    digest = hashlib.sha256()

    def name(length):
        n = s.le32()
        if n == 0 or n > MAX_NAME:
            raise Malformed("bad snapshot name length %d" % n)
        if length is not None and length != 4 + n:
            raise Malformed("record length %d does not fit a name of %d bytes" % (length, n))
        try:
            return s.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("snapshot name is not UTF-8")

    def meta(tag):
        if in_data:
            raise Malformed("metadata record %r after data" % chr(tag))
        if tag in seen:
            raise Malformed("repeated record %r" % chr(tag))
        seen.add(tag)

    while True:
        tag = s.u8()
        length = None
        if version == 2 and tag != ord("e"):
            length = s.le64()
        if tag == ord("e"):
            if out["size"] is None:
                raise Malformed("no size record")
            break
        if tag in (ord("f"), ord("t")):
            meta(tag)
            out["from" if tag == ord("f") else "to"] = name(length)
        elif tag == ord("s"):
            meta(tag)
            if length is not None and length != 8:
                raise Malformed("size record of length %d" % length)
            out["size"] = s.le64()
        elif tag == ord("p") and version == 2:
            meta(tag)
            if length != 1:
                raise Malformed("protection record of length %d" % length)
            out["protected"] = s.u8() != 0
        elif tag in (ord("w"), ord("z")):
            off, n = s.le64(), s.le64()
            if length is not None:
                want = 16 + (n if tag == ord("w") else 0)
                if length != want:
                    raise Malformed("extent record length %d, expected %d" % (length, want))
            if out["size"] is None:
                raise Malformed("data before the size record")
            if off < next_off:
                raise Malformed("extent at %d before the previous end %d" % (off, next_off))
            if off + n > out["size"]:
                raise Malformed("extent %d+%d past the size %d" % (off, n, out["size"]))
            in_data = True
            next_off = off + n
            if tag == ord("w"):
                s.skip(n, digest)
            out["extents"].append([chr(tag), off, n])
        elif version == 2:
            s.skip(length)  # v2 records can be stepped over by length
        else:
            raise Malformed("unknown tag %r in a v1 diff" % chr(tag))
    out["data_sha256"] = digest.hexdigest()
    return out


def decode_image_v2(s):
    """Decodes an export-format-2 stream after its banner."""
    out = {"format": 2, "order": None, "features": None, "stripe_unit": None, "stripe_count": None, "meta": {}}
    keys = {ord("O"): "order", ord("T"): "features", ord("U"): "stripe_unit", ord("C"): "stripe_count"}
    while True:
        tag = s.u8()
        if tag == ord("E"):
            break
        length = s.le64()
        if tag in keys:
            if length != 8:
                raise Malformed("property %r of length %d" % (chr(tag), length))
            out[keys[tag]] = s.le64()
        elif tag == ord("M"):
            if length > MAX_META:
                raise Malformed("metadata record of %d bytes" % length)
            body = io.BytesIO(s.take(length))
            inner = Stream(body)
            k = inner.take(inner.le32())
            v = inner.take(inner.le32())
            if not inner.at_eof():
                raise Malformed("trailing bytes in a metadata record")
            out["meta"][k.decode("utf-8", "replace")] = v.decode("utf-8", "replace")
        else:
            s.skip(length)
    if s.take(len(IMAGE_DIFFS_V2)) != IMAGE_DIFFS_V2:
        raise Malformed("missing the diffs banner")
    count = s.le64()
    out["diffs"] = [decode_diff(s, DIFF_V2) for _ in range(count)]
    return out


def decode(f):
    s = Stream(f)
    # Diff banners are 12 bytes, the image banner 13: look at 12 first.
    head = s.take(len(DIFF_V1))
    if head == IMAGE_V2[: len(head)]:
        if s.take(1) != IMAGE_V2[len(head) :]:
            raise Malformed("bad image banner")
        out = decode_image_v2(s)
    else:
        out = decode_diff(s, head=head)
    if not s.at_eof():
        raise Malformed("bytes after the end of the stream")
    return out


# --- self test: streams built by hand from the documents ---


def _v1_record(tag, *parts):
    return tag + b"".join(parts)


def _v2_record(tag, payload):
    return tag + struct.pack("<Q", len(payload)) + payload


def _name(n):
    return struct.pack("<I", len(n)) + n


def _decode_bytes(b):
    return decode(io.BytesIO(b))


def self_test():
    q = lambda *v: struct.pack("<" + "Q" * len(v), *v)  # noqa: E731
    v1 = (
        DIFF_V1
        + _v1_record(b"f", _name(b"a"))
        + _v1_record(b"t", _name(b"b"))
        + _v1_record(b"s", q(100))
        + _v1_record(b"w", q(0, 3), b"abc")
        + _v1_record(b"z", q(10, 90))
        + b"e"
    )
    got = _decode_bytes(v1)
    assert got["version"] == 1 and got["from"] == "a" and got["to"] == "b" and got["size"] == 100, got
    assert got["extents"] == [["w", 0, 3], ["z", 10, 90]], got
    assert got["data_sha256"] == hashlib.sha256(b"abc").hexdigest()

    v2 = (
        DIFF_V2
        + _v2_record(b"t", _name(b"snap"))
        + _v2_record(b"p", b"\x01")
        + _v2_record(b"?", b"skipped")
        + _v2_record(b"s", q(8192))
        + _v2_record(b"w", q(4096, 2) + b"hi")
        + b"e"
    )
    got = _decode_bytes(v2)
    assert got["version"] == 2 and got["to"] == "snap" and got["protected"] is True, got
    assert got["extents"] == [["w", 4096, 2]], got

    image = (
        IMAGE_V2
        + _v2_record(b"O", q(22))
        + _v2_record(b"T", q(61))
        + _v2_record(b"M", _name(b"k") + _name(b"v"))
        + b"E"
        + IMAGE_DIFFS_V2
        + q(1)
        + v2
    )
    got = _decode_bytes(image)
    assert got["format"] == 2 and got["order"] == 22 and got["meta"] == {"k": "v"}, got
    assert len(got["diffs"]) == 1 and got["diffs"][0]["to"] == "snap", got

    bad = [
        b"rbd diff v3\ne",
        DIFF_V1 + b"e",  # no size
        DIFF_V1 + _v1_record(b"s", q(10)) + b"Xe",  # unknown v1 tag
        DIFF_V1 + _v1_record(b"s", q(10)) + _v1_record(b"z", q(5, 6)) + b"e",  # past the size
        DIFF_V1 + _v1_record(b"s", q(10)) + _v1_record(b"z", q(5, 1)) + _v1_record(b"z", q(4, 1)) + b"e",
        DIFF_V1 + _v1_record(b"s", q(10)) + _v1_record(b"z", q(5, 1)),  # no end
        DIFF_V2 + _v2_record(b"s", q(10) + b"x") + b"e",  # length mismatch
        v1 + b"junk",
    ] + [v1[:cut] for cut in range(len(v1))]
    for b in bad:
        try:
            _decode_bytes(b)
        except Malformed:
            continue
        raise AssertionError("accepted a malformed stream: %r" % b)
    print("ok")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "--self-test":
        self_test()
        return 0
    try:
        if argv[1] == "-":
            out = decode(sys.stdin.buffer)
        else:
            with open(argv[1], "rb") as f:
                out = decode(f)
    except Malformed as e:
        print("malformed: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print(str(e), file=sys.stderr)
        return 2
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
