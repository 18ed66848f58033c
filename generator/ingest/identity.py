"""What a paper is recognised by: its title and its abstract, folded, and the index of the
records by those keys.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..listings.text import fold, fold_prefix
from ..models import Record


@dataclass(slots=True)
class Index:
    """The records' identities (see `identities`): per key the records that have it, in the
    order of their file names (the first is the one a listing paper matches); per record
    its keys."""

    owners: dict[str, list[str]]
    keys_of: dict[str, list[str]]

    def drop(self, key: str, slug: str) -> None:
        owners = self.owners[key]
        owners.remove(slug)
        if not owners:
            del self.owners[key]

    def add(self, key: str, slug: str) -> None:
        bisect.insort(self.owners.setdefault(key, []), slug, key=_file_name)


def _file_name(slug: str) -> str:
    return f"{slug}.md"  # records are read, and so indexed, in the order of their file names


def identity_index(records: dict[str, Record]) -> Index:
    """Keys a listing paper is recognised by: its title and its abstract, folded."""
    owners: dict[str, list[str]] = {}
    keys_of = {}
    for slug, record in records.items():
        keys = keys_of[slug] = identities(record.meta)
        for key in keys:
            owners.setdefault(key, []).append(slug)
    return Index(owners, keys_of)


def identities(meta: dict[str, Any]) -> list[str]:
    """Title first; a title that folds to nothing ("???", emoji) is compared as written."""
    title, abstract = meta.get("title"), meta.get("abstract")
    if not isinstance(title, str) or not isinstance(abstract, str | None):
        return _identity_keys(title, abstract, bool(meta.get("title_inferred")))
    return list(_cached_identity_keys(title, abstract, bool(meta.get("title_inferred"))))


@lru_cache(maxsize=200_000)
def _cached_identity_keys(title: str, abstract: str | None, inferred: bool) -> tuple[str, ...]:
    """The same papers are met in every build of a session, and as listing entry and record
    in one build: folding their text was a third of ingest."""
    return tuple(_identity_keys(title, abstract, inferred))


def _identity_keys(title: Any, abstract: Any, inferred: bool) -> list[str]:
    keys = []
    if isinstance(title, str) and title.strip() and not inferred:
        keys.append("t:" + (fold(title) or title.strip()))
    if isinstance(abstract, str) and abstract.strip():
        keys.append("a:" + (fold_prefix(abstract, 400) or abstract.strip()[:400]))
    if not keys and isinstance(title, str):
        keys.append("t:" + (fold(title) or title.strip()))
    return keys
