"""Listings → records: resolve years, titles, slugs, duplicates and links, then merge into
content/papers/ without losing anything the user wrote."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .errors import Diagnostic, DigestError, error, info
from .listings import parse_bytes
from .listings.dates import year_not_after
from .listings.text import fold
from .markup import extract_links
from .models import Entry, Listing, Record
from .records import dump_record, read_record, write_atomic
from .slugs import slugify, unique
from .titles import infer_title

# Fields a listing can newly make known for a paper that already has a record.
_LATE_FIELDS = ("authors_count", "published", "published_inferred", "affiliation")


@dataclass(slots=True)
class IngestResult:
    records: dict[str, Record] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    listing_dates: dict[str, dt.date | None] = field(default_factory=dict)
    files: int = 0
    papers: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level != "info")
        return (
            f"{self.files} listing files, {self.papers} papers: {len(self.new)} new, "
            f"{len(self.updated)} updated, {warnings} warnings"
        )


@dataclass(slots=True)
class _Candidate:
    """One paper's fields as the listings give them, merged across files."""

    key: str
    meta: dict[str, Any]
    notes: list[Diagnostic]


def ingest(
    root: Path, config: Config, files: list[Path] | None = None, *, dry_run: bool = False
) -> IngestResult:
    result = IngestResult()
    paths = files if files is not None else listing_paths(root / "content" / "listings")
    candidates: dict[str, _Candidate] = {}
    for path in paths:
        listing = _read_listing(path, result)
        if listing is not None:
            listed = _listing_date(listing, path, config, result)
            result.listing_dates[listing.name] = listed
            _collect(listing, listed, candidates)
    result.files = len(paths)
    result.papers = len(candidates)
    papers_dir = root / "content" / "papers"
    existing, broken = load_records(papers_dir, result.diagnostics)
    _merge(candidates, existing, broken, result)
    if not dry_run:
        for slug in (*result.new, *result.updated):
            write_atomic(papers_dir / f"{slug}.md", dump_record(result.records[slug]).encode())
    return result


def listing_paths(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _read_listing(path: Path, result: IngestResult) -> Listing | None:
    try:
        listing = parse_bytes(path.read_bytes(), path.name)
    except OSError as exc:
        result.diagnostics.append(error(path.name, None, f"cannot read this listing: {exc}"))
        return None
    except DigestError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return None
    result.diagnostics.extend(listing.diagnostics)
    return listing


def _listing_date(
    listing: Listing, path: Path, config: Config, result: IngestResult
) -> dt.date | None:
    date = listing.date
    if date is None:
        return None
    if date.year is not None:
        return date.with_year(date.year)
    year = config.listing_years.get(listing.name)
    if year is None:
        modified = dt.date.fromtimestamp(path.stat().st_mtime)
        year = year_not_after(date.month, date.day, modified)
        result.diagnostics.append(
            info(
                listing.name,
                listing.date_line,
                f"the listing date has no year; took {year} from the file's modification time",
                f"set `listing_years: {{{listing.name}: YEAR}}` in digest.yaml to fix it",
            )
        )
    try:
        return date.with_year(year)
    except ValueError:  # Feb 29 in a year without one
        return date.with_year(year_not_after(date.month, date.day, dt.date(year, 12, 31)))


def _collect(listing: Listing, listed: dt.date | None, out: dict[str, _Candidate]) -> None:
    for entry in listing.entries:
        candidate = _candidate(entry, listing, listed)
        known = out.get(candidate.key)
        if known is None:
            out[candidate.key] = candidate
        else:
            _combine(known, candidate)


def _candidate(entry: Entry, listing: Listing, listed: dt.date | None) -> _Candidate:
    meta: dict[str, Any] = {}
    if entry.title:
        meta["title"] = entry.title
        key = "t:" + fold(entry.title)
    else:
        meta["title"] = infer_title(entry.abstract)
        meta["title_inferred"] = True
        key = "a:" + fold(entry.abstract)[:400]
    if entry.abstract:
        meta["abstract"] = entry.abstract
    if entry.authors_count is not None:
        meta["authors_count"] = entry.authors_count
    notes = _published(entry, listed, meta)
    if listed is not None:
        meta["listed"] = listed
    if listing.affiliation:
        meta["affiliation"] = listing.affiliation
    meta["sources"] = [listing.name]
    links = extract_links(entry.abstract)
    if links:
        meta["links"] = links
    return _Candidate(key, meta, notes)


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
            f"the paper date has no year; took {year} from the listing date {reference}",
        )
    ]


def _combine(known: _Candidate, other: _Candidate) -> None:
    """The same paper in a second listing: one record with both sources."""
    for source in other.meta["sources"]:
        if source not in known.meta["sources"]:
            known.meta["sources"].append(source)
    for key, value in other.meta.items():
        known.meta.setdefault(key, value)
    if "listed" in other.meta and other.meta["listed"] < known.meta["listed"]:
        known.meta["listed"] = other.meta["listed"]
    known.notes.extend(other.notes)


def load_records(folder: Path, diagnostics: list[Diagnostic]) -> tuple[dict[str, Record], set[str]]:
    """Every readable record by slug, and the slugs of records that could not be read."""
    records: dict[str, Record] = {}
    broken: set[str] = set()
    if not folder.is_dir():
        return records, broken
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("."):
            continue
        record, problems = read_record(path, f"content/papers/{path.name}")
        diagnostics.extend(problems)
        if record is None:
            broken.add(path.stem)
        else:
            records[path.stem] = record
    return records, broken


def _merge(
    candidates: dict[str, _Candidate],
    existing: dict[str, Record],
    broken: set[str],
    result: IngestResult,
) -> None:
    result.records = dict(existing)
    index = _identity_index(existing)
    taken = set(existing) | broken
    for candidate in candidates.values():
        slug = _find(candidate, index)
        if slug is not None:
            if _update(existing[slug], candidate.meta):
                result.updated.append(slug)
                result.diagnostics.extend(candidate.notes)
            continue
        base = slugify(candidate.meta["title"])
        if base in broken:
            continue  # its record exists but is unreadable; it is reported, never replaced
        slug = unique(base, taken)
        taken.add(slug)
        result.records[slug] = Record(slug=slug, meta=candidate.meta)
        result.new.append(slug)
        result.diagnostics.extend(candidate.notes)


def _identity_index(records: dict[str, Record]) -> dict[str, str]:
    """Keys a listing paper is recognised by: its title and its abstract, folded."""
    index: dict[str, str] = {}
    for slug, record in records.items():
        for key in _identities(record.meta):
            index.setdefault(key, slug)
    return index


def _identities(meta: dict[str, Any]) -> list[str]:
    keys = []
    if isinstance(meta.get("title"), str) and not meta.get("title_inferred"):
        keys.append("t:" + fold(meta["title"]))
    if isinstance(meta.get("abstract"), str) and meta["abstract"]:
        keys.append("a:" + fold(meta["abstract"])[:400])
    return keys


def _find(candidate: _Candidate, index: dict[str, str]) -> str | None:
    for key in (candidate.key, *_identities(candidate.meta)):
        if key in index:
            return index[key]
    return None


def _update(record: Record, meta: dict[str, Any]) -> bool:
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
    return True
