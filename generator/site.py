"""Records → the site model: papers with their effective topic and tags, grouped by topic,
tag, month and listing. Pure: reads nothing, writes nothing.

A record becomes a Paper in paper_fields.py; the groups are made in groups.py.

Tests: tests/test_build.py, tests/test_pages.py, tests/test_session.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from .classify import Classification, Taxonomy, taxonomy
from .config import Config
from .errors import Diagnostic
from .groups import Group, listing_groups, month_groups, tag_groups, topic_groups
from .metadata import CiteMemo, cite_keys
from .models import Paper, Record
from .paper_fields import to_paper


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    papers: tuple[Paper, ...]
    topics: tuple[Group, ...]
    tags: tuple[Group, ...]
    months: tuple[Group, ...]
    listings: tuple[Group, ...]
    cite_keys: Mapping[str, str] = field(default_factory=dict)  # by slug, unique in the site

    def latest_listing(self) -> Group | None:
        """The newest listing by its date; one that gives no date never leads."""
        dated = [g for g in self.listings if g.date is not None]
        return dated[-1] if dated else None

    def earlier_listings(self, count: int) -> list[Group]:
        """The listings before the latest, newest first (those without a date last)."""
        latest = self.latest_listing()
        return [g for g in reversed(self.listings) if g is not latest][:count]


class Made(NamedTuple):
    """A paper as the model made it, with what it was made from."""

    record: Record
    config: Config
    paper: Paper | None  # None: a draft, not shown
    notes: list[Diagnostic]  # the problems found in its record


@dataclass(slots=True)
class ModelMemo:
    """Papers made by earlier builds of a session, by slug, with the record object and the
    config they were made from: an unchanged record is not classified again."""

    papers: dict[str, Made] = field(default_factory=dict)
    config: Config | None = None
    # classification by a digest of (title, abstract, own topic, own tags), for one taxonomy
    classes: dict[bytes, Classification] = field(default_factory=dict)
    classes_added: int = 0  # since the memo was made, so a build knows to save it
    taxonomy: tuple[object, ...] | None = None  # the one `classes` hold for, once known
    undated: frozenset[str] = frozenset()  # the listings giving no date, as last built
    order: dict[str, tuple[Paper, tuple[int, str, str]]] = field(default_factory=dict)  # _sorted
    cites: CiteMemo = field(default_factory=CiteMemo)

    def use_taxonomy(self, config: Config) -> None:
        """Forget the classifications made with another taxonomy (digest.yaml edited while
        `digest serve` runs: the papers are grouped again)."""
        now = (config.topics, config.tags, config.other_topic)
        if self.taxonomy is not None and self.taxonomy != now:
            self.classes = {}
        self.taxonomy = now


def build_model(
    config: Config,
    records: Iterable[Record],
    listing_dates: Mapping[str, dt.date | None],
    memo: ModelMemo | None = None,
    changed: Iterable[str] = (),
    undated: Collection[str] = (),
) -> tuple[Site, list[Diagnostic]]:
    """The site model; with a memo, records that are the same objects as last time (and not
    among `changed`) reuse their Paper. `undated`: the listings that give no date."""
    memo = memo if memo is not None else ModelMemo()
    memo.use_taxonomy(config)
    again = bool(memo.papers)  # a build after another in this process (a session)
    undated = frozenset(undated)
    same_config = memo.config == config and memo.undated == undated
    memo.undated = undated
    known_classes = len(memo.classes)
    memo.config = config
    stale = set(changed)
    diagnostics: list[Diagnostic] = []
    papers = []
    made: dict[str, Made] = {}
    tax: Taxonomy | None = None
    for record in records:
        known = memo.papers.get(record.slug)
        if known and same_config and known.record is record and record.slug not in stale:
            made[record.slug] = known
        else:
            notes: list[Diagnostic] = []
            if tax is None:
                tax = taxonomy(config)
            paper = _dated(to_paper(config, record, notes, memo.classes, tax), undated)
            made[record.slug] = Made(record, config, paper, notes)
        paper, notes = made[record.slug].paper, made[record.slug].notes
        diagnostics.extend(notes)
        if paper is not None:
            papers.append(paper)
    memo.papers = made
    memo.classes_added += len(memo.classes) - known_classes
    papers = _sorted(papers, memo if again else None)
    site = Site(
        config=config,
        papers=tuple(papers),
        topics=topic_groups(config, papers),
        tags=tag_groups(papers),
        months=month_groups(papers),
        # a listing giving no date is not dated by the day it came: not the latest issue
        listings=listing_groups(
            papers, {n: None if n in undated else d for n, d in listing_dates.items()}
        ),
        cite_keys=cite_keys(papers, memo.cites if again else None),
    )
    return site, diagnostics


def _dated(paper: Paper | None, undated: frozenset[str]) -> Paper | None:
    """A paper whose every listing gives no date, and no date of its own, is only added."""
    if paper is None or paper.published or not paper.sources or not undated:
        return paper
    if all(source in undated for source in paper.sources):
        return dataclasses.replace(paper, added=True)
    return paper


def _sorted(papers: list[Paper], memo: ModelMemo | None) -> list[Paper]:
    """Newest first; each paper's sort key kept in `memo` while it is the same object."""
    if memo is None:
        return sorted(papers, key=newest_first)
    known = memo.order
    keys = {}
    for paper in papers:
        found = known.get(paper.slug)
        keys[paper.slug] = found if found and found[0] is paper else (paper, newest_first(paper))
    memo.order = keys
    return [paper for paper, _ in sorted(keys.values(), key=itemgetter(1))]


def newest_first(paper: Paper) -> tuple[int, str, str]:
    return (-paper.date.toordinal(), paper.title.casefold(), paper.slug)
