"""The site's groups of papers: by topic (the taxonomy's order), by tag, by month and by
listing, each with a slug unique among its kind.

Tests: tests/test_pages.py, tests/adversarial/test_hostile_urls.py, tests/test_build.py
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .classify import tag_key
from .config import Config
from .models import Paper
from .slugs import slugify, unique


@dataclass(frozen=True, slots=True)
class Group:
    """Papers under one heading: a topic, a tag, a month or a listing."""

    name: str
    slug: str
    papers: tuple[Paper, ...]
    date: dt.date | None = None


def topic_groups(config: Config, papers: list[Paper]) -> tuple[Group, ...]:
    by_topic: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        by_topic[paper.topic].append(paper)
    order = [rule.name for rule in config.topics] + [config.other_topic]
    extra = sorted(set(by_topic) - set(order), key=lambda name: (name.casefold(), name))
    names = [name for name in [*order, *extra] if by_topic.get(name)]
    # the taxonomy's topics first: a record's `topic: Efficient Models!` took the page of
    # the topic Efficient Models (issue 19); it is efficient-models-2
    slugs = _unique_slugs(names, "topic")
    return tuple(Group(name, slugs[name], tuple(by_topic[name])) for name in names)


def _unique_slugs(
    names: Iterable[str], fallback: str, base: Callable[[str], str] = str
) -> dict[str, str]:
    """Each name's slug, the later of two that would be the same getting `-2`, `-3`..."""
    taken: set[str] = set()
    slugs = {}
    for name in names:
        slug = slugs[name] = unique(slugify(base(name), fallback), taken)
        taken.add(slug)
    return slugs


def tag_groups(papers: list[Paper]) -> tuple[Group, ...]:
    names: dict[str, str] = {}
    by_tag: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        tags = paper.tags
        for tag, key in zip(tags, _tag_keys(tags), strict=True):
            names.setdefault(key, tag)
            by_tag[key].append(paper)
    taken: set[str] = set()
    groups = []
    for key in sorted(by_tag, key=lambda k: names[k].casefold()):
        slug = unique(slugify(names[key], "tag"), taken)
        taken.add(slug)
        groups.append(Group(names[key], slug, tuple(by_tag[key])))
    return tuple(groups)


@lru_cache(maxsize=1 << 16)  # a paper's tags, as many papers have them, in every build
def _tag_keys(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(tag_key, tags))


def month_groups(papers: list[Paper]) -> tuple[Group, ...]:
    by_month: dict[tuple[int, int], list[Paper]] = defaultdict(list)
    for paper in papers:
        date = paper.date
        by_month[(date.year, date.month)].append(paper)
    return tuple(
        Group(
            dt.date(year, month, 1).strftime("%B %Y"),
            f"{year:04d}/{month:02d}",
            tuple(by_month[(year, month)]),
            dt.date(year, month, 1),
        )
        for year, month in sorted(by_month, reverse=True)
    )


def listing_groups(
    papers: list[Paper], listing_dates: Mapping[str, dt.date | None]
) -> tuple[Group, ...]:
    """Listings oldest first, so the last is the latest issue."""
    by_source: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        for source in paper.sources:
            by_source[source].append(paper)
    names = sorted(by_source, key=lambda n: (listing_dates.get(n) or dt.date(1970, 1, 1), n))
    # `news 1.txt`, `news-1.txt` and `News_1.md` shared one page: suffixed in the order of
    # their names, which a listing's date does not change
    slugs = _unique_slugs(sorted(by_source), "listing", lambda name: name.rsplit(".", 1)[0])
    return tuple(
        Group(name, slugs[name], tuple(by_source[name]), listing_dates.get(name)) for name in names
    )
