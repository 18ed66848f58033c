"""Digests: what an output file is drawn from, hashed; and a digest remembered while its
inputs stay equal, so that a build hashes only what changed.

Tests: tests/test_keys.py
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

GENERATOR_VERSION = "5"  # bump when the renderer's output changes for the same inputs


def digest(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def folder_digest(folders: Iterable[Path]) -> str:
    """The names and bytes of every file under `folders` (the templates a theme draws with)."""
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                h.update(str(path.relative_to(folder)).encode() + b"\x00" + path.read_bytes())
    return h.hexdigest()


class Known(NamedTuple):
    """A digest with the inputs it was made from, to be kept while they stay equal."""

    inputs: object
    digest: str


@dataclass(slots=True)
class Remembered:
    """Digests by name, each remembered with the parts it was made from while they stay
    equal. (Two maps of plain values, not a map of pairs: the memo is pickled with the
    build cache, and plain tuples and strings pickle and load several times faster.)"""

    parts: dict[str, tuple[object, ...]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    computed: int = 0  # digests made anew since loaded: worth saving again

    def digest(self, name: str, *parts: object) -> str:
        """digest(*parts), remembered under `name` while `parts` stay equal."""
        if self.parts.get(name) != parts:
            self.parts[name], self.digests[name] = parts, digest(*parts)
            self.computed += 1
        return self.digests[name]
