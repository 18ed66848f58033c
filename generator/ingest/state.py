"""What an ingest keeps for the next one: the listings and records it read, and the inputs
of the last merge that changed nothing.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from ..listings.chrome import Chrome
from ..models import Listing, Record
from .identity import identities
from .merge import Merged
from .papers import Candidate


class CachedListing(NamedTuple):
    digest: str  # of the listing file's bytes
    listing: Listing


@dataclass(slots=True)
class IngestCache:
    """What the last ingest read, so an unchanged file is not parsed again: listings by
    their bytes, records by (modification time, size). Kept in memory by `digest serve`
    and on disk (.digest-cache/ingest.pickle) between builds."""

    listings: dict[str, CachedListing] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)  # by file name
    # (modification time, size) of each record file as read: two maps of plain values, not
    # one of triples, as they pickle and load several times faster
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    settled: Settled | None = None
    # record files to look at again even if not named changed: those read in vain (to report
    # them again) and those the ingest wrote
    recheck: set[str] = field(default_factory=set)
    complete: bool = False  # every file was looked at once: `changed` can be trusted
    # the listings' papers as last collected, for a merge of the same listings again; kept
    # only while no record was made from them (a new record takes its paper's fields)
    collected: tuple[list[tuple[str, str, dt.date | None]], dict[str, Candidate]] | None = None
    merged: Merged | None = None  # the last merge that changed nothing, to redo in part
    chrome: str = ""  # the page chrome the cached listings were parsed with (Chrome.key)

    def saved(self) -> IngestCache:
        """What is worth pickling: not the collected papers, quick to collect again."""
        return IngestCache(
            self.listings,
            self.records,
            self.stats,
            self.settled,
            self.recheck,
            chrome=self.chrome,
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
    return identities(a) == identities(b) and repr(a.get("sources")) == repr(b.get("sources"))
