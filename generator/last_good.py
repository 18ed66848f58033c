"""serve's copy of the last output that built without errors, hard-linked and refreshed
between builds, so a broken build leaves the browser showing what worked.

Tests: tests/test_serve.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path


class _Stopped(Exception):
    pass


class LastGood:
    """A hard-linked copy of the last output that built without errors: a failed build may
    already have rewritten the output, and the browser should keep showing what worked.
    Builds replace files (write a temporary, rename) rather than rewrite them, so a link
    keeps the old bytes. A refresh relinks the files the builds since the last one wrote,
    or, when that is unknown (files removed, a build that raised), walks the whole output
    relinking files whose inode changed: seconds at 10,000 papers. So it runs while nothing
    else waits, and gives way to the next build."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ready = False
        self._changed: set[str] | None = None  # None: unknown, walk everything

    def note(self, written: Iterable[str] | None) -> None:
        """What a build changed in the output (None: not known), for the next refresh."""
        if written is None or self._changed is None:
            self._changed = None
        else:
            self._changed.update(written)

    def refresh(self, output: Path, stop: Callable[[], bool] = lambda: False) -> bool:
        """Copy `output`; False (and not ready) when `stop()` turned true midway."""
        self.ready = False
        changed, self._changed = self._changed, set()
        try:
            if changed is None or not self.path.is_dir():
                _mirror(output, self.path, stop)
            else:
                _relink(output, self.path, sorted(changed), stop)
        except (_Stopped, OSError) as exc:
            self._changed = changed  # relinking again is harmless
            if isinstance(exc, OSError):
                print(f"note: cannot keep a copy of the last good site: {exc}", file=sys.stderr)
            return False
        self.ready = True
        return True

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.ready = False

    def discard(self) -> None:
        """Remove the copy without waiting: it is renamed aside and deleted by a detached
        process (deleting thousands of links took seconds of serve's exit on Ctrl-C)."""
        aside = self.path.with_name(f"{self.path.name}.old")
        try:
            self.path.rename(aside)
        except OSError:
            return self.remove()  # not there, or cannot be renamed
        self.ready = False
        _delete_detached(aside)


def _delete_detached(folder: Path) -> None:
    """Delete `folder` in a process of its own; if none can start, the next serve sweeps it
    (serve._scratch_folder)."""
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", folder],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the Ctrl-C that stops serve
        )


def _relink(output: Path, copy: Path, paths: list[str], stop: Callable[[], bool]) -> None:
    for count, relative in enumerate(paths):
        if count % 256 == 0 and stop():
            raise _Stopped
        source, target = output / relative, copy / relative
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            _link(str(source), str(target))
        else:
            target.unlink(missing_ok=True)


def _mirror(source: Path | str, target: Path | str, stop: Callable[[], bool]) -> None:
    if stop():
        raise _Stopped
    os.makedirs(target, exist_ok=True)
    with os.scandir(source) as it:
        theirs = {e.name: e for e in it}
    with os.scandir(target) as it:
        mine = {e.name: e for e in it}
    for name, entry in list(mine.items()):
        other = theirs.get(name)
        if other is None or other.is_dir(follow_symlinks=False) != entry.is_dir(
            follow_symlinks=False
        ):
            _remove(entry)
            del mine[name]
    for name, entry in theirs.items():
        destination = os.path.join(target, name)
        if entry.is_dir(follow_symlinks=False):
            _mirror(entry.path, destination, stop)
        elif entry.is_file(follow_symlinks=False):
            old = mine.get(name)
            if old is None or old.inode() != entry.inode():
                _link(entry.path, destination)


def _remove(entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)


def _link(source: str, destination: str) -> None:
    temp = destination + ".digest-link"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    try:
        os.link(source, temp)
    except OSError:  # another file system, or links not allowed: copy instead
        shutil.copy2(source, temp)
    os.replace(temp, destination)
