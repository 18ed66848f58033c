"""Reading the listing files: which ones, their bytes and digests, the changed ones parsed
(in a forked process while the records are read when there are many bytes), the others
taken from the cache.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from ..errors import Diagnostic, DigestError, error
from ..forked import Done, Forked
from ..listings import parse_bytes
from ..listings.chrome import Chrome
from ..models import Listing
from ..reading import read_input, site_root
from .result import IngestResult
from .state import CachedListing, IngestCache


def listing_paths(folder: Path) -> list[Path]:
    """Every listing but hidden files and folders; a FIFO, a device or a link leading out
    of the site is among them, to be refused with an error (reading.py), not passed over."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and not p.is_dir())


# Listings of more bytes than this to parse are parsed in a forked process while the records
# are read (100,000 papers: 5.3 s of parsing against 0.7 s of unpickling the result).
FORK_FROM = 4 << 20

Parsed = dict[str, Listing | tuple[Diagnostic, ...]]  # by file name; an error's diagnostics


Read = tuple[bytes, str] | OSError  # a listing's bytes and their digest, or why not read


T = TypeVar("T")


def read_listings(
    paths: list[Path],
    cache: IngestCache,
    meanwhile: Callable[[], T],
    chrome: Chrome,
    changed: set[str] | None = None,
) -> tuple[list[tuple[Path, str | OSError]], Parsed, T]:
    """Each listing's digest (or why it could not be read), those not cached parsed, and
    what `meanwhile` returned, run while they are parsed. The bytes are let go on return
    (175 MB at 100,000 papers). Given the names of the `changed` listings, the others
    cached are not read again."""
    files: list[tuple[Path, Read | str]] = []
    for path in paths:
        known = cache.listings.get(path.name) if changed is not None else None
        if known is not None and path.name not in changed:  # type: ignore[operator]
            files.append((path, known.digest))
        else:
            files.append((path, _read_bytes(path)))
    parsing = _parse_changed(files, cache, chrome)
    done = meanwhile()
    parsed = parsing.result()
    return [(p, r if isinstance(r, OSError | str) else r[1]) for p, r in files], parsed, done


def _read_bytes(path: Path) -> Read:
    try:
        data = read_input(path, site_root(path))
    except OSError as exc:
        return exc
    return data, hashlib.blake2b(data, digest_size=16).hexdigest()


def _parse_changed(
    files: list[tuple[Path, Read | str]], cache: IngestCache, chrome: Chrome
) -> Forked[Parsed] | Done[Parsed]:
    """The listings whose bytes are not those cached, parsed (a digest alone: cached)."""
    changed = []
    for path, read in files:
        if not isinstance(read, OSError | str):
            known = cache.listings.get(path.name)
            if known is None or known.digest != read[1]:
                changed.append((path.name, read[0]))
    size = sum(len(data) for _, data in changed)
    parse = partial(_parse_all, changed, chrome)
    return Forked(parse) if size >= FORK_FROM else Done(parse())


def _parse_all(files: list[tuple[str, bytes]], chrome: Chrome) -> Parsed:
    out: Parsed = {}
    for name, data in files:
        try:
            out[name] = parse_bytes(data, name, chrome)
        except DigestError as exc:
            out[name] = tuple(exc.diagnostics)
    return out


def read_listing(
    path: Path, sha: str | OSError, parsed: Parsed, result: IngestResult, cache: IngestCache
) -> tuple[Listing, str] | None:
    """A listing and a digest of its bytes: parsed anew (in `parsed`) or as cached."""
    if isinstance(sha, OSError):
        result.diagnostics.append(error(path.name, None, f"cannot read this listing: {sha}"))
        return None
    found = parsed.get(path.name)
    if found is None:
        listing = cache.listings[path.name].listing
    elif isinstance(found, tuple):
        result.diagnostics.extend(found)
        return None
    else:
        listing = found
        cache.listings[path.name] = CachedListing(sha, listing)
        result.parsed += 1
    result.diagnostics.extend(listing.diagnostics)
    return listing, sha
