"""Reading the site's input files: regular files only, at most MAX_BYTES, and a link only to
a file inside the site.

A listing or record that was a symlink to /etc/passwd or /proc/self/environ was read and
published; one that was /dev/zero grew the build past 12 GB, and a FIFO hung it (issue 19).
Each of these is now an OSError (`Refused`) whose text says why, which the reader reports
as that file's one error.

Tests: tests/adversarial/test_hostile_files.py
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_BYTES = 64 << 20  # a listing or a record; the largest real listing is under 1 MB


class Refused(OSError):
    """A file this tool will not read; str() says why and what to do."""


def read_input(path: Path, root: Path | None = None, limit: int = MAX_BYTES) -> bytes:
    """The bytes of `path`. A symlink must lead to a file inside `root` (when given); the
    file must be a regular file of at most `limit` bytes. (Opened without blocking, so a
    FIFO is refused rather than waited on.)"""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        fd = os.open(_link_target(path, root), flags)  # a symlink: followed if it stays inside
    with open(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"not a regular file but {_kind(info.st_mode)}; only files are read")
        if info.st_size > limit:
            raise Refused(_too_big(info.st_size, limit))
        data = file.read(info.st_size + 1)  # not limit + 1: read(n) makes room for n bytes
        if len(data) > info.st_size:  # it grew while read
            data += file.read(limit + 1 - len(data))
    if len(data) > limit:
        raise Refused(_too_big(len(data), limit))
    return data


def _too_big(size: int, limit: int) -> str:
    return f"{size / (1 << 20):.0f} MB, over the {limit >> 20} MB a file may hold"


def _link_target(path: Path, root: Path | None) -> str:
    real = os.path.realpath(path)
    if root is not None:
        site = os.path.realpath(root)
        if os.path.commonpath([site, real]) != site:
            raise Refused(f"a link to {real}, outside the site; copy the file into the site")
    return real


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a device",
        stat.S_ISBLK: "a device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


def site_root(path: Path) -> Path | None:
    """The site a listing or record belongs to: the folder holding its `content/`."""
    folder = path.parent
    if folder.parent.name == "content" and folder.name in ("listings", "papers"):
        return folder.parent.parent
    return None
