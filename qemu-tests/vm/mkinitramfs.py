"""Writes a newc cpio archive (an initramfs) holding /init and the given kernel modules.
usage: mkinitramfs.py OUT INIT [MODULE.ko ...]"""

import os
import sys


def entry(out, name, data, mode):
    ino = entry.ino = getattr(entry, "ino", 0) + 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join(
        f"{v:08x}" for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0)
    )
    out.write(hdr.encode() + name_b)
    out.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main():
    out_path, init, modules = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(out_path, "wb") as out:
        entry(out, "modules", b"", 0o040755)
        with open(init, "rb") as f:
            entry(out, "init", f.read(), 0o100755)
        for m in modules:
            with open(m, "rb") as f:
                entry(out, "modules/" + os.path.basename(m), f.read(), 0o100644)
        entry(out, "TRAILER!!!", b"", 0)


if __name__ == "__main__":
    main()
