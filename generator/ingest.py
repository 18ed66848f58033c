"""Listings → records: resolve years, titles, slugs, duplicates and links, then merge into
content/papers/ without losing anything the user wrote."""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar

from . import orphans
from .atomic import write_atomic
from .config import Config
from .errors import Diagnostic, DigestError, error, info, warning
from .forked import Done, Forked
from .links import extract_links
from .listing_dates import ListingDates
from .listings import parse_bytes
from .listings.chrome import Chrome, with_user
from .listings.dates import year_not_after
from .listings.text import fold, fold_prefix
from .models import Entry, Listing, Record
from .reading import read_input, site_root
from .records import (
    Raced,
    amend_front,
    dump_record,
    parse_record,
    read_record,
    replace_if_unchanged,
)
from .slugs import slugify, unique
from .titles import infer_title

# Fields a listing can newly make known for a paper that already has a record
# (`published` comes with its `published_inferred`, see _add_date).
_LATE_FIELDS = ("authors_count", "affiliation")


@dataclass(slots=True)
class IngestResult:
    records: dict[str, Record] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    listing_dates: dict[str, dt.date | None] = field(default_factory=dict)
    undated: set[str] = field(default_factory=set)  # listings giving no date of their own
    broken: set[str] = field(default_factory=set)  # slugs of records that cannot be read
    parsed: int = 0  # listings and records read anew (not from the cache)
    files: int = 0
    papers: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # records no listing yields any more
    written: dict[str, str] = field(default_factory=dict)  # digests of the records written
    # per record updated, the listing papers' fields it takes (see _amend)
    additions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level != "info")
        return (
            f"{self.files} listing files, {self.papers} papers: {len(self.new)} new, "
            f"{len(self.updated)} updated, {warnings} warnings"
        )


@dataclass(slots=True)
class IngestCache:
    """What the last ingest read, so an unchanged file is not parsed again: listings by
    their bytes, records by (modification time, size). Kept in memory by `digest serve`
    and on disk (.digest-cache/ingest.pickle) between builds."""

    listings: dict[str, tuple[str, Listing]] = field(default_factory=dict)
    records: dict[str, tuple[int, int, Record]] = field(default_factory=dict)
    settled: Settled | None = None
    # record files to look at again even if not named changed: those read in vain (to report
    # them again) and those the ingest wrote
    recheck: set[str] = field(default_factory=set)
    complete: bool = False  # every file was looked at once: `changed` can be trusted
    # the listings' papers as last collected, for a merge of the same listings again; kept
    # only while no record was made from them (a new record takes its paper's fields)
    collected: tuple[list[tuple[str, str, dt.date | None]], dict[str, _Candidate]] | None = None
    merged: Merged | None = None  # the last merge that changed nothing, to redo in part
    chrome: str = ""  # the page chrome the cached listings were parsed with (Chrome.key)

    def saved(self) -> IngestCache:
        """What is worth pickling: not the collected papers, quick to collect again."""
        return IngestCache(
            self.listings, self.records, self.settled, self.recheck, chrome=self.chrome
        )

    def parsed_with(self, chrome: Chrome) -> None:
        """Forget the listings parsed with other page chrome (`listing_chrome:` edited)."""
        if self.chrome != chrome.key():
            self.listings.clear()
            self.settled = self.collected = self.merged = None
            self.chrome = chrome.key()


@dataclass(slots=True)
class Settled:
    """The inputs of the last merge that changed nothing: the listings (name, bytes, date),
    the records, the unreadable ones, and how many papers the listings named. A merge of the
    same listings into records that differ only in what the merge does not read (notes, tags,
    topic, anything but the title, abstract and sources) changes nothing either."""

    listings: list[tuple[str, str, dt.date | None]]
    records: dict[str, Record]
    broken: set[str]
    papers: int
    orphans: list[str] = field(default_factory=list)

    def holds(
        self,
        listings: list[tuple[str, str, dt.date | None]],
        records: dict[str, Record],
        broken: set[str],
    ) -> bool:
        if (
            listings != self.listings
            or broken != self.broken
            or records.keys() != self.records.keys()
        ):
            return False
        before = self.records
        return all(
            record is before[slug] or _merged_alike(record, before[slug])
            for slug, record in records.items()
        )


def _merged_alike(record: Record, other: Record) -> bool:
    """Whether a merge treats two versions of a record alike: same identities, same sources."""
    a, b = record.meta, other.meta
    return _identities(a) == _identities(b) and repr(a.get("sources")) == repr(b.get("sources"))


@dataclass(slots=True)
class _Candidate:
    """One paper's fields as the listings give them, merged across files."""

    keys: list[str]  # what identifies it: folded title (unless inferred) and abstract
    meta: dict[str, Any]
    notes: list[Diagnostic]


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
    chrome = with_user(config.listing_chrome)
    cache.parsed_with(chrome)
    listings_dir = root / "content" / "listings"
    paths = files if files is not None else listing_paths(listings_dir)
    listings: list[tuple[Listing, dt.date | None]] = []
    inputs: list[tuple[str, str, dt.date | None]] = []
    papers_dir = root / "content" / "papers"
    trusted = _changed_names(changed, papers_dir, listings_dir) if cache.complete else None
    records_changed, listings_changed = trusted or (None, None)
    before = cache.records
    record_notes: list[Diagnostic] = []

    def read_records() -> tuple[dict[str, Record], set[str]]:
        found = load_records(papers_dir, record_notes, cache, records_changed)
        if records_read is not None:
            records_read(found[0])
        return found

    digests, parsed, (existing, broken) = _read_listings(
        paths, cache, read_records, chrome, listings_changed
    )
    dates = ListingDates(root, config.listing_years)
    for path, digest in digests:
        read = _read_listing(path, digest, parsed, result, cache)
        if read is not None:
            listing, sha = read
            listed = dates.resolve(listing, path)
            result.listing_dates[listing.name] = listed
            listings.append((listing, listed))
            inputs.append((listing.name, sha, listed))
    result.files = len(paths)
    result.diagnostics.extend(dates.notes if dry_run else dates.save())
    result.undated = dates.undated
    result.diagnostics.extend(record_notes)
    result.broken = broken
    result.parsed += len(before) != len(cache.records) or sum(
        1 for name, known in cache.records.items() if before.get(name) is not known
    )
    settled = cache.settled
    if settled is not None and settled.holds(inputs, existing, broken):
        result.records, result.papers = dict(existing), settled.papers
        result.orphans = settled.orphans
        return result
    if cache.collected is not None and cache.collected[0] == inputs:
        candidates = cache.collected[1]
    else:
        candidates = {}  # by each of its keys
        for listing, listed in listings:
            _collect(listing, listed, candidates)
    merged = cache.merged
    cache.merged = None
    if dry_run or merged is None or not merged.redo(inputs, existing, broken, result):
        papers = list({id(c): c for c in candidates.values()}.values())
        result.papers = len(papers)
        index = _merge(papers, candidates, existing, broken, result)
        order = {id(c): i for i, c in enumerate(papers)}
        merged = Merged(inputs, broken, dict(existing), index, candidates, order)
        if files is None:  # some listings only: the others' records are no orphans
            found = orphans.find(result.records, _yielded(result.records, candidates))
            if not dry_run:
                found = _drop_samples(root, result, existing, found)
            merged.orphans = result.orphans = found
    cache.collected = (inputs, candidates) if not result.new else None
    quiet = not result.new and not result.updated and not dry_run
    cache.settled = (
        Settled(inputs, existing, broken, result.papers, result.orphans) if quiet else None
    )
    if quiet:
        merged.records = dict(existing)
        cache.merged = merged
    if not dry_run:
        result.new[:] = [s for s in result.new if _write(papers_dir, result.records[s], result)]
        result.updated[:] = [s for s in result.updated if _amend(papers_dir, s, result)]
        for slugs in (result.new, result.updated):
            cache.recheck.update(f"{s}.md" for s in slugs)  # not named changed next time
        orphans.remember_written(root, result.written)
    result.diagnostics = _fold_years(result.diagnostics)
    return result


_YEARLESS = "paper dates without a year"


def _fold_years(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One note per listing for its paper dates that took the listing's year, with a count
    and the first line, instead of a note per paper (2,010 of them at 10,000 papers)."""
    by_file: dict[tuple[str, str], list[Diagnostic]] = {}
    out: list[Diagnostic] = []
    for diag in diagnostics:
        if diag.level == "info" and diag.message.startswith(_YEARLESS):
            found = by_file.setdefault((diag.path, diag.message), [])
            if not found:
                out.append(diag)  # its place, replaced below
            found.append(diag)
        else:
            out.append(diag)
    for (path, message), found in by_file.items():
        if len(found) > 1:
            first = min(found, key=lambda d: d.line or 0)
            folded = info(path, first.line, f"{len(found):,} {message}", "lines: " + _lines(found))
            out[out.index(found[0])] = folded
    return out


def _lines(found: list[Diagnostic]) -> str:
    numbers = sorted(d.line for d in found if d.line)
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _drop_samples(
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


def _yielded(records: dict[str, Record], candidates: dict[str, _Candidate]) -> list[str]:
    """The records some listing paper is: one of their identities is a listing paper's."""
    return [
        slug
        for slug, record in records.items()
        if any(key in candidates for key in _identities(record.meta))
    ]


def _write(folder: Path, record: Record, result: IngestResult) -> bool:
    data = dump_record(record).encode()
    result.written[record.slug] = orphans.digest(data)
    try:
        write_atomic(folder / f"{record.slug}.md", data)
    except OSError as exc:  # a full disk, a read-only folder: the old file is left whole
        where = f"content/papers/{record.slug}.md"
        result.diagnostics.append(error(where, None, f"cannot write this record: {exc}"))
        return False
    return True


def _amend(folder: Path, slug: str, result: IngestResult) -> bool:
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
        changed = [_update(fresh, meta) for meta in result.additions.get(slug, [])]
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


def _changed_names(
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


def _read_listings(
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
            files.append((path, known[0]))
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
            if known is None or known[0] != read[1]:
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


def _read_listing(
    path: Path, sha: str | OSError, parsed: Parsed, result: IngestResult, cache: IngestCache
) -> tuple[Listing, str] | None:
    """A listing and a digest of its bytes: parsed anew (in `parsed`) or as cached."""
    if isinstance(sha, OSError):
        result.diagnostics.append(error(path.name, None, f"cannot read this listing: {sha}"))
        return None
    found = parsed.get(path.name)
    if found is None:
        listing = cache.listings[path.name][1]
    elif isinstance(found, tuple):
        result.diagnostics.extend(found)
        return None
    else:
        listing = found
        cache.listings[path.name] = (sha, listing)
        result.parsed += 1
    result.diagnostics.extend(listing.diagnostics)
    return listing, sha


def _collect(listing: Listing, listed: dt.date | None, out: dict[str, _Candidate]) -> None:
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


def _known(candidate: _Candidate, out: dict[str, _Candidate]) -> _Candidate | None:
    known = out.get(candidate.keys[0])  # the title, or the abstract for a made-up title
    if known is None and len(candidate.keys) > 1:
        by_abstract = out.get(candidate.keys[1])
        if by_abstract is not None and by_abstract.meta.get("title_inferred"):
            return by_abstract
    return known


def _candidate(entry: Entry, listing: Listing, listed: dt.date | None) -> _Candidate:
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
    return _Candidate(_identities(meta), meta, notes)


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
            f"{_YEARLESS} took the listing's year {year} (listing date {reference})",
        )
    ]


def _combine(known: _Candidate, other: _Candidate) -> None:
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
    known_records = cache.records
    if changed is None:
        with os.scandir(folder) as found:
            names = sorted(e.name for e in found if _is_record_name(e.name))
        look = set(names)
    else:
        look = {n for n in changed | cache.recheck if _is_record_name(n)}
        names = sorted(look.union(known_records))
    seen: dict[str, tuple[int, int, Record]] = {}
    unreadable: set[str] = set()
    for name in names:
        known = known_records.get(name)
        if known is not None and name not in look:
            seen[name] = known
            records[name[:-3]] = known[2]
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
        if stat and known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            seen[name] = known
            records[name[:-3]] = known[2]
            continue
        record, problems = read_record(path, f"content/papers/{name}")
        diagnostics.extend(problems)
        if record is None:
            broken.add(path.stem)
            unreadable.add(name)
        else:
            records[path.stem] = record
            if stat is not None:
                seen[name] = (stat.st_mtime_ns, stat.st_size, record)
    cache.records, cache.recheck, cache.complete = seen, unreadable, True
    return records, broken


def _is_record_name(name: str) -> bool:
    return name.endswith(".md") and not name.startswith(".")


@dataclass(slots=True)
class Merged:
    """A merge that changed no record, with its index of the records' identities, so that
    the next merge of the same listings, after a few records changed (a title edit in a
    session), looks only at the listings' papers those records could match: at 10,000
    papers a whole merge took 55 ms of a 350 ms build."""

    inputs: list[tuple[str, str, dt.date | None]]
    broken: set[str]
    records: dict[str, Record]  # as merged
    index: Index
    candidates: dict[str, _Candidate]  # by each of their keys
    order: dict[int, int]  # by id of a candidate, its place in the merge
    orphans: list[str] = field(default_factory=list)  # of the records as merged

    def redo(
        self,
        inputs: list[tuple[str, str, dt.date | None]],
        existing: dict[str, Record],
        broken: set[str],
        result: IngestResult,
    ) -> bool:
        """Merge again, as _merge would, if no record is new or gone and none is to be made;
        False (nothing done) otherwise."""
        before = self.records
        if inputs != self.inputs or broken != self.broken or existing.keys() != before.keys():
            return False
        changed = [slug for slug, record in existing.items() if record is not before[slug]]
        if len(changed) > 100:
            return False
        index = self.index
        touched: set[str] = set()
        for slug in changed:
            old, new = index.keys_of[slug], _identities(existing[slug].meta)
            touched.update(old, new)
            for key in old:
                index.drop(key, slug)
            for key in new:
                index.add(key, slug)
            index.keys_of[slug] = new
        affected = {id(c): c for k in touched if (c := self.candidates.get(k)) is not None}
        found = [
            (self.order[key], slug, candidate)
            for key, candidate in affected.items()
            if (slug := _find(candidate, index, self.candidates)) is not None
        ]
        if len(found) < len(affected):
            return False  # a new record to make: the whole merge does it
        result.records, result.papers = dict(existing), len(self.order)
        now = _yielded({slug: existing[slug] for slug in changed}, self.candidates)
        stale = set(changed) - set(now)
        self.orphans = sorted({*self.orphans, *stale} - set(now))
        result.orphans = self.orphans
        for _, slug, candidate in sorted(found, key=lambda item: item[0]):  # as _merge would
            if _update(existing[slug], candidate.meta):
                result.updated.append(slug)
                result.additions.setdefault(slug, []).append(candidate.meta)
                result.diagnostics.extend(candidate.notes)
        return True


@dataclass(slots=True)
class Index:
    """The records' identities (see _identities): per key the records that have it, in the
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


def _merge(
    candidates: list[_Candidate],
    by_key: dict[str, _Candidate],
    existing: dict[str, Record],
    broken: set[str],
    result: IngestResult,
) -> Index:
    """Merge the listings' papers into the records; the index of the records' identities,
    as they were before, is returned."""
    result.records = dict(existing)
    identities = _identity_index(existing)
    taken = set(existing) | broken
    for candidate in candidates:
        slug = _find(candidate, identities, by_key)
        if slug is not None:
            if _update(existing[slug], candidate.meta):
                result.updated.append(slug)
                result.additions.setdefault(slug, []).append(candidate.meta)
                result.diagnostics.extend(candidate.notes)
            continue
        base = slugify(candidate.meta["title"])
        if base in broken:
            continue  # its record exists but is unreadable; it is reported, never replaced
        slug = unique(base, taken)
        taken.add(slug)
        # Links only for new records: parsing every abstract was a third of a warm run.
        links = extract_links(candidate.meta.get("abstract", ""))
        if links:
            candidate.meta["links"] = links
        result.records[slug] = Record(slug=slug, meta=candidate.meta)
        result.new.append(slug)
        result.diagnostics.extend(candidate.notes)
    return identities


def _identity_index(records: dict[str, Record]) -> Index:
    """Keys a listing paper is recognised by: its title and its abstract, folded."""
    owners: dict[str, list[str]] = {}
    keys_of = {}
    for slug, record in records.items():
        keys = keys_of[slug] = _identities(record.meta)
        for key in keys:
            owners.setdefault(key, []).append(slug)
    return Index(owners, keys_of)


def _identities(meta: dict[str, Any]) -> list[str]:
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


def _find(candidate: _Candidate, index: Index, by_key: dict[str, _Candidate]) -> str | None:
    """The record a listing paper is: the first (by file name) with one of its keys, but not
    by the abstract alone a record whose own title is another listing paper's (two papers
    of one abstract under two titles: a deleted record of one is made again, not merged
    into the other's)."""
    owners = index.owners
    for key in candidate.keys:
        found = owners.get(key)
        if found is None:
            continue
        slug = found[0]
        if key.startswith("a:"):
            own = index.keys_of.get(slug) or ()
            other = by_key.get(own[0]) if own and own[0].startswith("t:") else None
            if other is not None and other is not candidate:
                continue
        return slug
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
