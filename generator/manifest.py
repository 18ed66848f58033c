"""What the last build wrote: per output file its key, content hash, size and mtime, kept in
.digest-cache/ so the next build can tell which files it need not draw or write again.

Tests: tests/test_write.py, tests/test_build.py
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import open_atomic
from .cache import unsaved

FORMAT = 2


@dataclass(frozen=True, slots=True)
class Entry:
    key: str | None
    sha: str
    size: int
    mtime_ns: int

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # kept in the build cache: built from a tuple, a pickle loads 3x faster than
        # from a slotted dataclass's state
        return Entry, (self.key, self.sha, self.size, self.mtime_ns)


@dataclass(slots=True)
class Manifest:
    output: str
    entries: dict[str, Entry] = field(default_factory=dict)

    def fresh(self, output: Path, path: str, key: str | None, trust: bool = False) -> bool:
        return self.fresh_entry(output, path, key, trust) is not None

    def fresh_entry(
        self, output: Path, path: str, key: str | None, trust: bool = False
    ) -> Entry | None:
        """The file's entry when the file on disk is the one recorded and its key has not
        changed. `trust` skips looking at the disk, for a session that wrote the files."""
        entry = self.entries.get(path)
        if entry is None or key is None or entry.key != key:
            return None
        return entry if trust or _matches(os.path.join(output, path), entry) else None

    def on_disk(self, output: Path, path: str) -> bool:
        """The file is on disk as it was written (same size and modification time)."""
        return _matches(os.path.join(output, path), self.entries[path])

    def same_as(self, other: Manifest) -> bool:
        return self.output == other.output and self.entries == other.entries

    def unchanged_bytes(self, output: Path, path: str, sha: str) -> Entry | None:
        entry = self.entries.get(path)
        if entry is not None and entry.sha == sha and _matches(os.path.join(output, path), entry):
            return entry
        return None


def _matches(path: str, entry: Entry) -> bool:
    try:
        stat = os.stat(path)  # a str path: pathlib's parsing was a tenth of a no-change build
    except OSError:
        return False
    return stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns


def content_sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]  # sha256 has CPU instructions: 2x blake2b


def entry_for(path: str, key: str | None, sha: str) -> Entry:
    stat = os.stat(path)
    return Entry(key, sha, stat.st_size, stat.st_mtime_ns)


def manifest_path(cache: Path, output: Path) -> Path:
    name = hashlib.blake2b(str(output).encode(), digest_size=8).hexdigest()
    return cache / f"manifest-{name}.pickle"


def load_manifest(cache: Path, output: Path) -> Manifest:
    """The manifest of `output`, or an empty one when missing, unreadable or for another
    output folder (a damaged cache only costs a full build)."""
    try:
        with manifest_path(cache, output).open("rb") as handle:
            fmt, manifest = pickle.load(handle)
        if fmt == FORMAT and isinstance(manifest, Manifest) and manifest.output == str(output):
            return manifest
    except Exception:  # any unreadable cache is as good as none
        pass
    return Manifest(str(output))


def save_manifest(cache: Path, output: Path, manifest: Manifest) -> None:
    path = manifest_path(cache, output)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with open_atomic(path, durable=False) as handle:
            pickle.dump((FORMAT, manifest), handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as exc:  # a full disk: the old manifest is whole
        raise unsaved(path, exc) from exc
