#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a gzip'ed newc cpio archive (a Linux initramfs) without cpio(1).

    mkinitramfs.py OUT ENTRY...

Each ENTRY is one of
    file:DEST=SRC[:MODE]   a regular file (MODE in octal, default: SRC's)
    dir:DEST               a directory (0755)
    link:DEST=TARGET       a symbolic link
    char:DEST=MAJOR,MINOR  a character device node (0600)
Parent directories are added as needed. The archive is reproducible (all
times 0, owner root).
"""
import gzip
import os
import stat
import sys


def newc_header(ino, mode, nlink, size, rdev_major, rdev_minor, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev_major, rdev_minor,
              len(name) + 1, 0]
    return b"070701" + b"".join(b"%08x" % f for f in fields)


def pad4(n):
    return (4 - n % 4) % 4


class Archive:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.dirs = set()

    def add(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name_b = name.encode()
        hdr = newc_header(self.ino, mode, nlink, len(data), rdev[0], rdev[1],
                          name_b)
        self.ino += 1
        self.out += hdr + name_b + b"\0"
        self.out += b"\0" * pad4(len(hdr) + len(name_b) + 1)
        self.out += data + b"\0" * pad4(len(data))

    def parents(self, dest):
        parts = dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self.add(d, stat.S_IFDIR | 0o755, nlink=2)

    def entry(self, spec):
        kind, _, rest = spec.partition(":")
        dest, _, src = rest.partition("=")
        dest = dest.strip("/")
        self.parents(dest)
        if kind == "dir":
            if dest not in self.dirs:
                self.dirs.add(dest)
                self.add(dest, stat.S_IFDIR | 0o755, nlink=2)
        elif kind == "file":
            path, _, mode = src.partition(":")
            data = open(path, "rb").read()
            perm = int(mode, 8) if mode else stat.S_IMODE(os.stat(path).st_mode)
            self.add(dest, stat.S_IFREG | perm, data)
        elif kind == "link":
            self.add(dest, stat.S_IFLNK | 0o777, src.encode())
        elif kind == "char":
            major, minor = (int(x) for x in src.split(","))
            self.add(dest, stat.S_IFCHR | 0o600, rdev=(major, minor))
        else:
            sys.exit(f"mkinitramfs: bad entry {spec!r}")

    def finish(self):
        self.add("TRAILER!!!", 0, nlink=1)
        self.out += b"\0" * pad4(len(self.out))
        return bytes(self.out)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    a = Archive()
    for spec in sys.argv[2:]:
        a.entry(spec)
    with open(sys.argv[1], "wb") as f:
        f.write(gzip.compress(a.finish(), compresslevel=6, mtime=0))


if __name__ == "__main__":
    main()
