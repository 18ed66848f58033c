"""The record files: read (those unchanged taken from the cache), new ones written, and
updated ones amended line by line on the file as it is at that moment.

Tests: tests/test_ingest.py, tests/test_records.py
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from .. import orphans
from ..atomic import write_atomic
from ..errors import Diagnostic, error, warning
from ..models import Record
from ..records import (
    Raced,
    amend_front,
    dump_record,
    parse_record,
    read_record,
    replace_if_unchanged,
)
from .papers import update_record
from .result import IngestResult
from .state import IngestCache


def load_records(
    folder: Path,
    diagnostics: list[Diagnostic],
    cache: IngestCache | None = None,
    changed: set[str] | None = None,
) -> tuple[dict[str, Record], set[str]]:
    """Every readable record by slug, and the slugs of records that could not be read.
    A record whose file has the modification time and size cached is not parsed again;
    given the names of the `changed` files, a record cached and not among them is taken
    as cached without a look (but for those in cache.recheck)."""
    cache = cache if cache is not None else IngestCache()
    records: dict[str, Record] = {}
    broken: set[str] = set()
    if not folder.is_dir():
        return records, broken
    known_records, known_stats = cache.records, cache.stats
    if changed is None:
        with os.scandir(folder) as found:
            names = sorted(e.name for e in found if _is_record_name(e.name))
        look = set(names)
    else:
        look = {n for n in changed | cache.recheck if _is_record_name(n)}
        names = sorted(look.union(known_records))
    seen: dict[str, Record] = {}
    stats: dict[str, tuple[int, int]] = {}
    unreadable: set[str] = set()
    for name in names:
        known = known_records.get(name)
        if known is not None and name not in look:
            seen[name], stats[name] = known, known_stats[name]
            records[name[:-3]] = known
            continue
        path = folder / name
        try:
            stat: os.stat_result | None = os.stat(path)  # follows symlinks, as open() does
        except FileNotFoundError:
            if changed is not None:
                continue  # removed
            stat = None
        except OSError:
            stat = None
        signature = (stat.st_mtime_ns, stat.st_size) if stat else None
        if known is not None and signature is not None and known_stats[name] == signature:
            seen[name], stats[name] = known, signature
            records[name[:-3]] = known
            continue
        record, problems = read_record(path, f"content/papers/{name}")
        diagnostics.extend(problems)
        if record is None:
            broken.add(path.stem)
            unreadable.add(name)
        else:
            records[path.stem] = record
            if signature is not None:
                seen[name], stats[name] = record, signature
    cache.records, cache.stats = seen, stats
    cache.recheck, cache.complete = unreadable, True
    return records, broken


def _is_record_name(name: str) -> bool:
    return name.endswith(".md") and not name.startswith(".")


def write_record(folder: Path, record: Record, result: IngestResult) -> bool:
    data = dump_record(record).encode()
    result.written[record.slug] = orphans.digest(data)
    try:
        write_atomic(folder / f"{record.slug}.md", data)
    except OSError as exc:  # a full disk, a read-only folder: the old file is left whole
        where = f"content/papers/{record.slug}.md"
        result.diagnostics.append(error(where, None, f"cannot write this record: {exc}"))
        return False
    return True


def amend_record(folder: Path, slug: str, result: IngestResult) -> bool:
    """Add to a record what the listings newly give it, on the file as it is now: read again
    just before it is replaced (a save made while the build ran is kept, not overwritten),
    edited line by line (its comments and layout kept), and written only if the file did not
    change meanwhile (else done again on the newer text)."""
    path = folder / f"{slug}.md"
    shown = f"content/papers/{slug}.md"
    for _ in range(5):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            result.diagnostics.append(error(shown, None, f"cannot update this record: {exc}"))
            return False
        text = raw.decode("utf-8-sig", "replace").replace("\r\n", "\n")
        fresh, problems = parse_record(text, slug, shown, path)
        if fresh is None:
            result.diagnostics.extend(problems)  # broken by a save meanwhile: left as it is
            return False
        before = copy.deepcopy(fresh.meta)
        changed = [update_record(fresh, meta) for meta in result.additions.get(slug, [])]
        result.records[slug] = fresh
        if not any(changed):
            return False  # what the listings give, the record already has
        edited = amend_front(text, before, fresh.meta)
        again = parse_record(edited, slug, shown)[0] if edited is not None else None
        if again is None or again.meta != fresh.meta or again.body != fresh.body:
            edited = dump_record(fresh)  # not to be done by lines: the whole record
        data = edited.encode()
        try:
            replace_if_unchanged(path, raw, data)
        except Raced:
            continue
        except OSError as exc:
            result.diagnostics.append(error(shown, None, f"cannot write this record: {exc}"))
            return False
        result.written[slug] = orphans.digest(data)
        return True
    result.diagnostics.append(
        warning(shown, None, "the record kept changing while a new source was added; skipped")
    )
    return False
