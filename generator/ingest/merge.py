"""The merge: each listing paper found among the records (by title or abstract) and added to
it, or made a new record; and a merge that changed nothing, redone in part after a few
records changed.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..links import extract_links
from ..models import Record
from ..slugs import slugify, unique
from .identity import Index, identities, identity_index
from .papers import Candidate, update_record
from .result import IngestResult


def merge(
    candidates: list[Candidate],
    by_key: dict[str, Candidate],
    existing: dict[str, Record],
    broken: set[str],
    result: IngestResult,
) -> Index:
    """Merge the listings' papers into the records; the index of the records' identities,
    as they were before, is returned."""
    result.records = dict(existing)
    identities = identity_index(existing)
    taken = set(existing) | broken
    for candidate in candidates:
        slug = _find(candidate, identities, by_key)
        if slug is not None:
            if update_record(existing[slug], candidate.meta):
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


def _find(candidate: Candidate, index: Index, by_key: dict[str, Candidate]) -> str | None:
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


def yielded(records: dict[str, Record], candidates: dict[str, Candidate]) -> list[str]:
    """The records some listing paper is: one of their identities is a listing paper's."""
    return [
        slug
        for slug, record in records.items()
        if any(key in candidates for key in identities(record.meta))
    ]


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
    candidates: dict[str, Candidate]  # by each of their keys
    order: dict[int, int]  # by id of a candidate, its place in the merge
    orphans: list[str] = field(default_factory=list)  # of the records as merged

    def redo(
        self,
        inputs: list[tuple[str, str, dt.date | None]],
        existing: dict[str, Record],
        broken: set[str],
        result: IngestResult,
    ) -> bool:
        """Merge again, as merge would, if no record is new or gone and none is to be made;
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
            old, new = index.keys_of[slug], identities(existing[slug].meta)
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
        now = yielded({slug: existing[slug] for slug in changed}, self.candidates)
        stale = set(changed) - set(now)
        self.orphans = sorted({*self.orphans, *stale} - set(now))
        result.orphans = self.orphans
        for _, slug, candidate in sorted(found, key=lambda item: item[0]):  # as merge would
            if update_record(existing[slug], candidate.meta):
                result.updated.append(slug)
                result.additions.setdefault(slug, []).append(candidate.meta)
                result.diagnostics.extend(candidate.notes)
        return True
