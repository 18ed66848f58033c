"""Orphans: records that no listing yields any more (their listing was removed, or now
parses differently). Builds name them; `digest ingest --prune` removes those the user never
edited, and keeps and names the others. Nothing the user wrote is ever deleted.

A record is known to be unedited when its bytes are those ingest last wrote to it (their
digests are kept in .digest-cache/written.json). Without that memory (a fresh clone, a
cleared cache) a record counts as unedited only if it has no notes, no field ingest does not
write, and a title its slug was made from.

Tests: tests/test_trusted_data.py, tests/test_scaffold.py
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_atomic
from .errors import Diagnostic, info
from .models import Record
from .records import FIELD_ORDER
from .slugs import slugify

WRITTEN = Path(".digest-cache") / "written.json"
# The sample listing `digest new` writes: its papers go with it (ingest.pipeline.drop_samples).
SAMPLE = "digest-sample.txt"
# the fields ingest writes: those of a record before the user's own (tags, topic, draft)
INGEST_FIELDS = frozenset(FIELD_ORDER[: FIELD_ORDER.index("tags")])


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def find(records: Mapping[str, Record], matched: Iterable[str]) -> list[str]:
    """The slugs of the records no listing paper matched, sorted."""
    yielded = set(matched)
    return sorted(slug for slug in records if slug not in yielded)


def samples(records: Mapping[str, Record], orphans: list[str]) -> list[str]:
    """The orphans that only the sample listing of a new site gave."""
    return [slug for slug in orphans if records[slug].meta.get("sources") == [SAMPLE]]


def summary(orphans: list[str]) -> Diagnostic | None:
    """The one line a build says of its orphans."""
    if not orphans:
        return None
    shown = ", ".join(orphans[:3]) + (", ..." if len(orphans) > 3 else "")
    return info(
        "content/papers",
        None,
        f"{len(orphans)} orphan record{'s' if len(orphans) != 1 else ''} that no listing "
        f"yields any more: {shown}",
        "`digest ingest --prune` removes those you never edited; set `draft: true` to hide one",
    )


def remember_written(root: Path, written: Mapping[str, str]) -> None:
    """Add the digests of the records ingest just wrote to those it wrote before."""
    if not written:
        return
    known = _load(root)
    known.update(written)
    # failing only costs prune its certainty: a record it cannot prove unedited is kept
    with contextlib.suppress(OSError):
        write_atomic(root / WRITTEN, json.dumps(known, sort_keys=True).encode())


def _load(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / WRITTEN).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(slots=True)
class Pruned:
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited by the user: never deleted


def prune(root: Path, records: Mapping[str, Record], orphans: list[str], dry_run: bool) -> Pruned:
    """Remove the orphans the user never edited (or say which would go, on a dry run)."""
    known = _load(root)
    out = Pruned()
    for slug in orphans:
        path = root / "content" / "papers" / f"{slug}.md"
        if not _unedited(path, records[slug], known.get(slug)):
            out.kept.append(slug)
            continue
        if not dry_run:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        out.removed.append(slug)
    return out


def _unedited(path: Path, record: Record, written: str | None) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if written is not None:
        return digest(data) == written
    meta = record.meta
    title = meta.get("title")
    return (
        not record.body.strip()
        and set(meta) <= INGEST_FIELDS
        and isinstance(title, str)
        and slugify(title) in (record.slug, _slug_base(record.slug))
    )


def _slug_base(slug: str) -> str:
    base, _, suffix = slug.rpartition("-")
    return base if base and suffix.isdigit() and int(suffix) >= 2 else slug
