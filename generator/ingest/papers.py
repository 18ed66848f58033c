"""The listings' papers: each entry as a paper's fields, the same paper in several listings
merged into one, and what a listing newly gives a record.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..errors import Diagnostic, info
from ..listings.dates import year_not_after
from ..models import Entry, Listing, Record
from ..titles import infer_title
from .identity import identities
from .report import YEARLESS

# Fields a listing can newly make known for a paper that already has a record
# (`published` comes with its `published_inferred`, see _add_date).
_LATE_FIELDS = ("authors_count", "affiliation")


@dataclass(slots=True)
class Candidate:
    """One paper's fields as the listings give them, merged across files."""

    keys: list[str]  # what identifies it: folded title (unless inferred) and abstract
    meta: dict[str, Any]
    notes: list[Diagnostic]


def collect(listing: Listing, listed: dt.date | None, out: dict[str, Candidate]) -> None:
    """Add a listing's papers to `out`; a paper met before (by title, or by abstract when a
    listing gives no title) gains a source instead."""
    for entry in listing.entries:
        candidate = _candidate(entry, listing, listed)
        known = _known(candidate, out)
        if known is None:
            known = candidate
        else:
            _combine(known, candidate)
        for key in candidate.keys:
            out.setdefault(key, known)


def _known(candidate: Candidate, out: dict[str, Candidate]) -> Candidate | None:
    known = out.get(candidate.keys[0])  # the title, or the abstract for a made-up title
    if known is None and len(candidate.keys) > 1:
        by_abstract = out.get(candidate.keys[1])
        if by_abstract is not None and by_abstract.meta.get("title_inferred"):
            return by_abstract
    return known


def _candidate(entry: Entry, listing: Listing, listed: dt.date | None) -> Candidate:
    meta: dict[str, Any] = {}
    if entry.title:
        meta["title"] = entry.title
    else:
        meta["title"] = infer_title(entry.abstract)
        meta["title_inferred"] = True
    if entry.abstract:
        meta["abstract"] = entry.abstract
    if entry.authors_count is not None:
        meta["authors_count"] = entry.authors_count
    notes = _published(entry, listed, meta)
    if listed is not None:
        meta["listed"] = listed
    affiliation = entry.affiliation or listing.affiliation
    if affiliation:
        meta["affiliation"] = affiliation
    meta["sources"] = [listing.name]
    return Candidate(identities(meta), meta, notes)


def _published(entry: Entry, listed: dt.date | None, meta: dict[str, Any]) -> list[Diagnostic]:
    date = entry.published
    if date is None:
        return []
    if date.year is not None:
        meta["published"] = date.with_year(date.year)
        return []
    reference = listed or dt.date.today()
    year = year_not_after(date.month, date.day, reference)
    meta["published"] = dt.date(year, date.month, date.day)
    meta["published_inferred"] = True
    return [
        info(
            entry.source,
            entry.published_line,
            f"{YEARLESS} took the listing's year {year} (listing date {reference})",
        )
    ]


def _combine(known: Candidate, other: Candidate) -> None:
    """The same paper in a second listing: one record with both sources."""
    for source in other.meta["sources"]:
        if source not in known.meta["sources"]:
            known.meta["sources"].append(source)
    known.keys.extend(key for key in other.keys if key not in known.keys)
    if known.meta.get("title_inferred") and not other.meta.get("title_inferred"):
        known.meta["title"] = other.meta["title"]  # a listing's title beats a made-up one
        del known.meta["title_inferred"]
    _add_date(known.meta, other.meta)
    for key, value in other.meta.items():
        if key not in ("title_inferred", "published", "published_inferred"):
            known.meta.setdefault(key, value)
    if "listed" in other.meta and other.meta["listed"] < known.meta["listed"]:
        known.meta["listed"] = other.meta["listed"]
    known.notes.extend(other.notes)


def update_record(record: Record, meta: dict[str, Any]) -> bool:
    """Add the sources a record lacks and what those new sources make known; nothing else."""
    sources = record.meta.get("sources")
    if not isinstance(sources, list):
        return False  # the user changed its shape; leave the record as written
    new_sources = [s for s in meta["sources"] if s not in sources]
    if not new_sources:
        return False
    sources.extend(new_sources)
    for key in _LATE_FIELDS:
        if key in meta and key not in record.meta:
            record.meta[key] = meta[key]
    if "published" not in record.meta:
        _add_date(record.meta, meta)
    return True


def _add_date(meta: dict[str, Any], other: dict[str, Any]) -> None:
    """Take `other`'s publication date when `meta` has none, or only an inferred one and
    `other`'s is as written; the `published_inferred` flag always goes with its date."""
    if "published" not in other:
        return
    better = meta.get("published_inferred") and not other.get("published_inferred")
    if "published" in meta and not better:
        return
    meta["published"] = other["published"]
    meta.pop("published_inferred", None)
    if other.get("published_inferred"):
        meta["published_inferred"] = True
