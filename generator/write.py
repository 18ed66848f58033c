"""The only writer of the output folder.

Each file is written to a temporary name beside it and renamed into place, so a server (or
a reader) never sees half a page, and a build killed midway leaves every file whole. A file
whose bytes did not change is not touched, so it keeps its modification time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import temps
from .errors import DigestError
from .manifest import Entry, Manifest, content_sha, entry_for, manifest_path
from .temps import temp_name

# The site's own folders, which an output folder may be neither nor lie inside.
_OWN_FOLDERS = (
    ("content", "content/"),
    ("themes", "themes/"),
    (".digest-cache", "the build cache .digest-cache/"),
    (".git", "the git folder .git/"),
)
# The search index's staging and old folders, at the top of the output (search.py).
_STAGING = (".pagefind.tmp", ".pagefind.old")


@dataclass(slots=True)
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)

    def add(self, other: WriteStats) -> None:
        self.written += other.written
        self.unchanged += other.unchanged
        self.removed += other.removed


def check_output(root: Path, output: Path) -> None:
    """Refuse an output folder that would overwrite the site's own files: the site itself or
    a folder above it, its content/, themes/ or build cache, or a file."""
    root, out = root.resolve(), output.resolve()
    hint = "pick a folder such as site/"
    if out == root or out in root.parents:
        raise DigestError.at(str(output), None, "the output folder contains the site itself", hint)
    for name, what in _OWN_FOLDERS:
        own = root / name
        if out == own or own in out.parents:
            raise DigestError.at(str(output), None, f"the output folder is inside {what}", hint)
    if out.exists() and not out.is_dir():
        raise DigestError.at(str(output), None, "the output is a file, not a folder", hint)


def check_owned(output: Path, cache: Path, force: bool = False) -> None:
    """Refuse to write into a folder that holds files and was not made by a build of this
    site, unless `force`: `-o ~/Documents` overwrote the user's files of the same names.
    Made by one: the site's `cache` holds its manifest or the mark of a build that was
    writing it (and was killed), or it holds the files every build writes."""
    own = (manifest_path(cache, output), _writing_mark(cache, output))
    if force or any(path.exists() for path in own) or _ours(output):
        return
    try:
        with os.scandir(output) as entries:
            found = sorted(e.name for e in entries)
    except OSError:
        return  # not there yet: made by this build
    if found:
        shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
        raise DigestError.at(
            str(output),
            None,
            f"the output folder holds files this site did not make ({shown})",
            "pick an empty or new folder, or pass --force to build into it anyway",
        )


# Written by every build: a folder holding them all was made by one.
_EVERY_BUILD = ("index.html", "papers.json", "sitemap.xml")


def _ours(output: Path) -> bool:
    return all(os.path.isfile(os.path.join(output, name)) for name in _EVERY_BUILD)


def safe_path(base: Path, relative: str) -> str:
    """`base/relative`, refusing anything that would land outside `base`. (Strings, not
    pathlib: its objects were half of writing a file, 71 against 35 µs, on /dev/shm.)"""
    if (
        not relative
        or relative[0] == "/"
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("..", ".", "") for part in relative.split("/"))
    ):
        raise DigestError.at(relative, None, "refusing to write outside the output folder")
    return f"{base}/{relative}"


class Writer:
    """Writes the files of one build into `output`, recording each in the new manifest.

    With `threads`, files are written by that many threads while the caller goes on
    drawing: creating a file is most of its cost on a slow disk, and a few creations at once
    finish sooner than one after another (measured: 4 threads 1.7x faster than one on this
    machine's virtual disk). At most BACKLOG pages wait to be written, so memory stays
    bounded; `flush()` waits for the rest and raises the first error."""

    BACKLOG = 64

    def __init__(
        self,
        output: Path,
        previous: Manifest,
        trusted: bool = False,
        reuse: bool = True,
        threads: int = 0,
        empty: bool | None = None,
    ) -> None:
        self.output = output
        self.previous = previous
        self.trusted = trusted  # the previous manifest was made by this process: no stat
        self.reuse = reuse  # False: every page is drawn again (`digest build --clean`)
        self.entries: dict[str, Entry] = {}
        self.stats = WriteStats()
        self.written: list[str] = []
        self._dirs: set[str] = set()
        # A file of an output folder that was empty at the start holds nothing to compare
        # (`empty`: as a writer of the same build found it, e.g. in a worker process).
        self.empty = _empty(output) if empty is None else empty
        self._pool = ThreadPoolExecutor(threads, "digest-write") if threads > 0 else None
        self._pending: dict[str, Future[Entry]] = {}
        self._room = threading.BoundedSemaphore(self.BACKLOG)

    def is_fresh(self, path: str, key: str | None) -> bool:
        return self.reuse and self.previous.fresh(self.output, path, key, self.trusted)

    def keep(self, path: str) -> None:
        """A file found fresh without drawing it again."""
        self.entries[path] = self.previous.entries[path]
        self.stats.unchanged += 1

    def keep_fresh(self, keyed: list[tuple[str, str | None]]) -> dict[str, str | None]:
        """Keep each file of `keyed` (path, key) found fresh; the others, to draw, by path.
        (is_fresh and keep, for a list: a call each for 24,000 files was a tenth of a
        session's build at 10,000 papers.)"""
        if not self.reuse:
            return dict(keyed)
        fresh_entry, output, trust = self.previous.fresh_entry, self.output, self.trusted
        stale = {}
        for path, key in keyed:
            entry = fresh_entry(output, path, key, trust)
            if entry is None:
                stale[path] = key
            else:
                self.entries[path] = entry
        self.stats.unchanged += len(keyed) - len(stale)
        return stale

    def write(self, path: str, data: bytes, key: str | None) -> None:
        """Write `data` unless the file already holds it. With threads, the bytes are
        hashed and compared in a writing thread too (hashing releases the GIL, and the
        drawing thread then waited to get it back: py-spy at 100,000 papers), and what was
        written is known after `flush()`."""
        target = safe_path(self.output, path)
        # a file of a folder empty at the start has nothing to compare with
        compare = not self.empty or path in self.previous.entries
        if self._pool is None:
            self.adopt(path, *self._put(target, path, data, key, compare))
            return
        self._room.acquire()
        future = self._pool.submit(self._put, target, path, data, key, compare)
        future.add_done_callback(lambda _: self._room.release())
        self._pending[path] = future

    def flush(self) -> None:
        """Wait for the queued writes; raise DigestError for the first that failed."""
        pending, self._pending = self._pending, {}
        failure: DigestError | None = None
        for path, future in pending.items():
            try:
                self.adopt(path, *future.result())
            except DigestError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    def shutdown(self) -> None:
        """Let the queued writes finish and stop the threads (after an error too)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _put(
        self, target: str, path: str, data: bytes, key: str | None, compare: bool
    ) -> tuple[Entry, bool]:
        """The file's entry, and whether it was written (False: it held `data` already)."""
        sha = content_sha(data)
        if compare:
            same = self.previous.unchanged_bytes(self.output, path, sha)
            if same is None and not self.empty and _holds(target, data):
                same = entry_for(target, key, sha)
            if same is not None:
                return Entry(key, sha, same.size, same.mtime_ns), False
        folder, name = target.rsplit("/", 1)
        temp = f"{folder}/{temp_name(name, str(threading.get_ident()))}"
        try:
            if folder not in self._dirs:
                os.makedirs(folder, exist_ok=True)
                self._dirs.add(folder)
            Path(temp).write_bytes(data)
            os.replace(temp, target)
            stat = os.stat(target)
        except OSError as exc:  # a full disk, a read-only folder: the old file stays whole
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise DigestError.at(target, None, f"cannot write the output: {exc}") from exc
        return Entry(key, sha, stat.st_size, stat.st_mtime_ns), True

    def adopt(self, path: str, entry: Entry, written: bool) -> None:
        """Record a file written (or found to hold its bytes) for this build, by a writing
        thread or by another process."""
        self.entries[path] = entry
        if written:
            self.stats.written += 1
            self.written.append(path)
        else:
            self.stats.unchanged += 1

    def remove_stale(self) -> list[str]:
        """Delete the files the previous build made that this one did not."""
        self.flush()
        gone = [p for p in self.previous.entries if p not in self.entries]
        for path in gone:
            target = Path(safe_path(self.output, path))
            target.unlink(missing_ok=True)
            _prune_empty(target.parent, self.output)
        self.stats.removed += len(gone)
        return gone

    def manifest(self) -> Manifest:
        self.flush()
        return Manifest(str(self.output), self.entries)


def _empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return True  # not there (yet): nothing in it either


def _holds(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as file:
            return file.read() == data
    except OSError:
        return False


def _prune_empty(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


@contextmanager
def writing(cache: Path, output: Path) -> Iterator[list[str] | None]:
    """Mark the writing of `output` as under way until the block ends. A mark still there
    when the next build starts means that build was killed midway (SIGKILL, a power cut):
    its temporary files are swept first, so none stays in the site or gets deployed. What
    was swept is yielded, relative to `output`; None when the last build was not cut short."""
    mark = _writing_mark(cache, output)
    swept = sweep_leftovers(output) if mark.exists() else None
    cache.mkdir(parents=True, exist_ok=True)
    mark.touch()
    yield swept
    mark.unlink(missing_ok=True)


def interrupted(cache: Path, output: Path) -> bool:
    """Whether the last build writing `output` was cut short (or one is writing it now)."""
    return _writing_mark(cache, output).exists()


def _writing_mark(cache: Path, output: Path) -> Path:
    return cache / f"writing-{hashlib.blake2b(str(output).encode(), digest_size=8).hexdigest()}"


def sweep_leftovers(output: Path) -> list[str]:
    """Remove the temporary files and folders a killed build left in `output`: only those
    whose names say this tool made them (temps.py, and the search index's staging)."""
    swept = []
    for staging in _STAGING:
        if (output / staging).is_dir():
            shutil.rmtree(output / staging, ignore_errors=True)
            swept.append(staging)
    for dirpath, dirnames, _ in os.walk(output):
        if dirpath == str(output):
            dirnames[:] = [d for d in dirnames if d not in _STAGING]
        folder = Path(dirpath)
        swept.extend((folder / n).relative_to(output).as_posix() for n in temps.sweep(folder))
    return swept


def replace_tree(staging: Path, target: Path) -> None:
    """Put a freshly made folder (e.g. the search index) in place of the old one."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
