"""An ingest, step by step: read the listings and the records, stop there when nothing the
merge reads changed, collect the listings' papers, merge them into the records, remember
what the next ingest can reuse, and write the new and updated records.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from .. import orphans
from ..config import Config
from ..errors import Diagnostic, info
from ..listing_dates import ListingDates
from ..listings.chrome import with_user
from ..models import Listing, Record
from .listing_files import listing_paths, read_listing, read_listings
from .merge import Merged, merge, yielded
from .papers import Candidate, collect
from .record_files import amend_record, load_records, write_record
from .report import fold_years
from .result import IngestResult
from .state import IngestCache, Settled


@dataclass(slots=True)
class _Read:
    """The listings an ingest read (each with its date, and as the merge's inputs: name,
    digest, date) and the records (readable ones by slug, and the slugs of broken ones)."""

    listings: list[tuple[Listing, dt.date | None]]
    inputs: list[tuple[str, str, dt.date | None]]
    existing: dict[str, Record]
    broken: set[str]


def ingest(
    root: Path,
    config: Config,
    files: list[Path] | None = None,
    *,
    dry_run: bool = False,
    cache: IngestCache | None = None,
    changed: Collection[str] | None = None,
    records_read: Callable[[dict[str, Record]], object] | None = None,
) -> IngestResult:
    """Merge the listings into the records. `changed`, when known, names every file changed
    since the ingest that filled `cache` (a session's watcher knows): the other records
    and listings are taken as cached without looking at them, a stat of each of 10,000
    records being the longest part of a session's ingest. `records_read` is given the
    records as read, before the merge (which may add or update some)."""
    result = IngestResult()
    cache = cache if cache is not None else IngestCache()
    read = _read(root, config, files, cache, changed, records_read, result, dry_run)
    settled = cache.settled
    if settled is not None and settled.holds(read.inputs, read.existing, read.broken):
        # the records as read now, alike to those: the next build finds them the same objects
        # (records read again whole, say a checkout copied without its times, were otherwise
        # compared field by field by every later build: 0.27 s at 10,000 papers)
        settled.records = dict(read.existing)
        result.records, result.papers = dict(read.existing), settled.papers
        result.orphans = settled.orphans
        return result
    candidates = _candidates(read, cache)
    whole = files is None  # some listings only: the others' records are no orphans
    merged = _merge(root, read, candidates, cache, result, whole=whole, dry_run=dry_run)
    _remember(read, candidates, merged, cache, result, dry_run)
    if not dry_run:
        _save(root, cache, result)
    result.diagnostics = fold_years(result.diagnostics)
    return result


def _read(
    root: Path,
    config: Config,
    files: list[Path] | None,
    cache: IngestCache,
    changed: Collection[str] | None,
    records_read: Callable[[dict[str, Record]], object] | None,
    result: IngestResult,
    dry_run: bool,
) -> _Read:
    """The listings, parsed while the records are read, each given its date."""
    chrome = with_user(config.listing_chrome)
    cache.parsed_with(chrome)
    listings_dir = root / "content" / "listings"
    paths = files if files is not None else listing_paths(listings_dir)
    papers_dir = root / "content" / "papers"
    trusted = changed_names(changed, papers_dir, listings_dir) if cache.complete else None
    records_changed, listings_changed = trusted or (None, None)
    before = cache.records
    record_notes: list[Diagnostic] = []

    def read_records() -> tuple[dict[str, Record], set[str]]:
        found = load_records(papers_dir, record_notes, cache, records_changed)
        if records_read is not None:
            records_read(found[0])
        return found

    digests, parsed, (existing, broken) = read_listings(
        paths, cache, read_records, chrome, listings_changed
    )
    out = _Read([], [], existing, broken)
    dates = ListingDates(root, config.listing_years)
    for path, digest in digests:
        read = read_listing(path, digest, parsed, result, cache)
        if read is not None:
            listing, sha = read
            listed = dates.resolve(listing, path)
            result.listing_dates[listing.name] = listed
            out.listings.append((listing, listed))
            out.inputs.append((listing.name, sha, listed))
    result.files = len(paths)
    result.diagnostics.extend(dates.notes if dry_run else dates.save())
    result.undated = dates.undated
    result.diagnostics.extend(record_notes)
    result.broken = broken
    result.parsed += len(before) != len(cache.records) or sum(
        1 for name, known in cache.records.items() if before.get(name) is not known
    )
    return out


def _candidates(read: _Read, cache: IngestCache) -> dict[str, Candidate]:
    """The listings' papers by each of their keys: as collected last time when the listings
    are the same."""
    if cache.collected is not None and cache.collected[0] == read.inputs:
        return cache.collected[1]
    candidates: dict[str, Candidate] = {}  # by each of its keys
    for listing, listed in read.listings:
        collect(listing, listed, candidates)
    return candidates


def _merge(
    root: Path,
    read: _Read,
    candidates: dict[str, Candidate],
    cache: IngestCache,
    result: IngestResult,
    *,
    whole: bool,
    dry_run: bool,
) -> Merged:
    """The last merge redone in part when it can be, else a whole merge (with the orphans
    found, and the sample papers dropped, when all listings were read)."""
    merged = cache.merged
    cache.merged = None
    existing, broken = read.existing, read.broken
    if dry_run or merged is None or not merged.redo(read.inputs, existing, broken, result):
        papers = list({id(c): c for c in candidates.values()}.values())
        result.papers = len(papers)
        index = merge(papers, candidates, existing, broken, result)
        order = {id(c): i for i, c in enumerate(papers)}
        merged = Merged(read.inputs, broken, dict(existing), index, candidates, order)
        if whole:
            found = orphans.find(result.records, yielded(result.records, candidates))
            if not dry_run:
                found = drop_samples(root, result, existing, found)
            merged.orphans = result.orphans = found
    return merged


def _remember(
    read: _Read,
    candidates: dict[str, Candidate],
    merged: Merged,
    cache: IngestCache,
    result: IngestResult,
    dry_run: bool,
) -> None:
    """Keep for the next ingest the papers collected (while no record was made from them)
    and, when the merge changed nothing, its inputs and the merge to redo in part."""
    cache.collected = (read.inputs, candidates) if not result.new else None
    quiet = not result.new and not result.updated and not dry_run
    cache.settled = (
        Settled(read.inputs, read.existing, read.broken, result.papers, result.orphans)
        if quiet
        else None
    )
    if quiet:
        merged.records = dict(read.existing)
        cache.merged = merged


def _save(root: Path, cache: IngestCache, result: IngestResult) -> None:
    """Write the new records and amend the updated ones; those not written are dropped from
    the result's lists."""
    papers_dir = root / "content" / "papers"
    result.new[:] = [s for s in result.new if write_record(papers_dir, result.records[s], result)]
    result.updated[:] = [s for s in result.updated if amend_record(papers_dir, s, result)]
    for slugs in (result.new, result.updated):
        cache.recheck.update(f"{s}.md" for s in slugs)  # not named changed next time
    orphans.remember_written(root, result.written)


def changed_names(
    changed: Collection[str] | None, papers: Path, listings: Path
) -> tuple[set[str], set[str]] | None:
    """The names of the record files and listings among `changed`; None (look at every
    file) when not known, or when a change could stand for many files (a folder)."""
    if not changed:
        return None
    records: set[str] = set()
    named: set[str] = set()
    for text in changed:
        folder = Path(os.path.realpath(os.path.dirname(text)))  # as `root` is, resolved
        path = folder / os.path.basename(text)
        if path in (papers, listings, papers.parent):
            return None  # a folder of records or listings made, moved or removed
        if folder == papers:
            records.add(path.name)
        elif folder == listings:
            named.add(path.name)
        elif papers in path.parents or listings in path.parents:
            return None  # a folder inside: what changed in it is not known
    return records, named


def drop_samples(
    root: Path, result: IngestResult, existing: dict[str, Record], found: list[str]
) -> list[str]:
    """Remove the papers of the sample listing `digest new` wrote once it is deleted, unless
    edited (issue 20: they headed a new site's home page and were deployed); the orphans
    left."""
    pruned = orphans.prune(root, result.records, orphans.samples(result.records, found), False)
    for slug in pruned.removed:
        del result.records[slug], existing[slug]
    if pruned.removed:
        result.diagnostics.append(
            info(
                "content/papers",
                None,
                f"removed the {len(pruned.removed)} sample papers: their listing "
                f"{orphans.SAMPLE} is gone",
            )
        )
    gone = set(pruned.removed)
    return [slug for slug in found if slug not in gone]
