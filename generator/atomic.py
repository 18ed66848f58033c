"""Replacing a file atomically: a temporary file in the same folder, flushed, then renamed,
so a crash leaves either the old or the new file whole.

Tests: tests/test_records.py, tests/adversarial/test_hostile_files.py
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .reading import site_root
from .temps import SUFFIX, temp_prefix


def _umask() -> int:
    umask = os.umask(0)  # the only way to read it; done once, at import, not per write
    os.umask(umask)
    return umask


_NEW_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new file whole. A
    record that is a link to another file of the site is written through the link (it was
    replaced by a plain file, and the file it led to kept the old text)."""
    with open_atomic(through_link(path)) as handle:
        handle.write(data)


def through_link(path: Path) -> Path:
    """The file a link inside the site leads to; `path` itself for anything else."""
    root = site_root(path)
    if root is None or not path.is_symlink():
        return path
    real, site = os.path.realpath(path), os.path.realpath(root)
    return Path(real) if os.path.commonpath([site, real]) == site else path


@contextmanager
def open_atomic(path: Path, durable: bool = True) -> Iterator[BinaryIO]:
    """A file to write that replaces `path` when the block ends (and is discarded when it
    raises), so a crash leaves either the old or the new file whole; a big cache can be
    streamed into it rather than made whole in memory first.

    Only a replacement is synced to disk before the rename: a new file has no old version to
    keep, and syncing each of 10,000 new records took two thirds of a first ingest. The file
    keeps the mode of the one it replaces (mkstemp's 0600 made new records private).
    A cache, which a crash only costs time, is not synced (`durable=False`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), _NEW_FILE_MODE if mode is None else mode)
            if mode is not None and durable:
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
