"""Whether `digest build` has anything to do, as make decides it: a build whose inputs are
all as the last complete build found them, and whose output is still as it left it, would
write nothing, so it is skipped and the last build's report is given again.

The inputs are everything a build reads: digest.yaml, every file under content/ and the
themes (the site's and the built-in ones), by name, size and modification time; the options
of the build; the generator's version; and today's date (a listing without a year is dated
against it). The output is checked file by file against the manifest, by size and
modification time, as an incremental build checks it.

Tests: tests/test_session.py, tests/test_build.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic
from .manifest import Manifest


@dataclass(frozen=True, slots=True)
class LastBuild:
    """What a complete build reported, to give again when the next one is skipped."""

    inputs: str
    diagnostics: tuple[Diagnostic, ...]
    papers: int
    pages: int


def inputs_digest(config: Path, folders: Iterable[Path], options: object, version: str) -> str:
    """A digest of the names, sizes and modification times of the files a build reads."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((version, options, dt.date.today().isoformat())).encode())
    h.update(_stamp(config))
    for folder in folders:
        h.update(b"\x01" + str(folder).encode())
        _stamp_tree(h, str(folder))
    return h.hexdigest()


def _stamp_tree(h: hashlib.blake2b, folder: str) -> None:
    """Every file under `folder` in name order (scandir and strings: os.walk and Path
    objects were a fifth of an edit's build at 10,000 records); bytecode caches skipped."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                _stamp_tree(h, entry.path)
            continue
        h.update(_stamp(entry.path, entry.stat))


def _stamp(path: str | Path, read: Callable[[], os.stat_result] | None = None) -> bytes:
    """A file's name, size and modification time; `read` gets them (os.stat by default)."""
    try:
        info = read() if read is not None else os.stat(path)
    except OSError:
        return f"{path}\x00missing\n".encode("utf-8", "surrogateescape")
    line = f"{path}\x00{info.st_size}\x00{info.st_mtime_ns}\n"
    return line.encode("utf-8", "surrogateescape")


def output_intact(output: Path, manifest: Manifest) -> bool:
    """Every file of the last build's manifest is on disk as it was written."""
    return bool(manifest.entries) and all(manifest.on_disk(output, p) for p in manifest.entries)
