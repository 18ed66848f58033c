"""Plain data passed between stages: listing entries, records on disk, papers to render.

Tests: tests/test_filters.py, tests/test_find_and_cite.py
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import Diagnostic


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date as written in a listing, whose year may be missing."""

    month: int
    day: int
    year: int | None = None

    def with_year(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return PartialDate, (self.month, self.day, self.year)  # see manifest.Entry


@dataclass(slots=True)
class Entry:
    """One paper as a listing parser saw it, before years, slugs and duplicates are resolved."""

    source: str
    line: int
    title: str | None
    abstract: str
    authors_count: int | None = None
    published: PartialDate | None = None
    published_line: int | None = None
    affiliation: str | None = None  # the institution named before it (affiliation listings)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        fields = (self.authors_count, self.published, self.published_line, self.affiliation)
        return Entry, (self.source, self.line, self.title, self.abstract, *fields)


@dataclass(slots=True)
class Listing:
    """A parsed listing file."""

    name: str
    format: str
    date: PartialDate | None = None
    date_line: int | None = None
    affiliation: str | None = None
    entries: list[Entry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(slots=True)
class Record:
    """A record file: YAML front matter (kept as the user wrote it) and the Markdown body."""

    slug: str
    meta: dict[str, Any]
    body: str = ""
    path: Path | None = None

    def __reduce__(self) -> tuple[Callable[..., Record], tuple[object, ...]]:
        # see manifest.Entry; the path as text: pickling Path objects (their parts) was a
        # third of saving the ingest cache
        path = None if self.path is None else str(self.path)
        return _record, (self.slug, self.meta, self.body, path)


def _record(slug: str, meta: dict[str, Any], body: str, path: str | None) -> Record:
    return Record(slug, meta, body, None if path is None else Path(path))


EPOCH = dt.date(1970, 1, 1)  # the date of a paper with none


@dataclass(frozen=True, slots=True)
class Paper:
    """A record as the site shows it: effective topic and tags, parsed dates."""

    slug: str
    title: str
    abstract: str
    topic: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    links: tuple[str, ...] = ()
    listed: dt.date | None = None
    published: dt.date | None = None
    published_inferred: bool = False
    # its listings give no date: `listed` is only the day they were added to the site
    added: bool = False
    title_inferred: bool = False
    authors_count: int | None = None
    affiliation: str | None = None
    notes: str = ""
    source_path: str = ""
    draft: bool = False  # `draft: true`, shown only by `digest build --drafts`

    @property
    def date(self) -> dt.date:
        """The date a paper is filed under: publication, else first listing."""
        return self.published or self.listed or EPOCH

    @property
    def url(self) -> str:
        return f"papers/{self.slug}/"

    @property
    def code_links(self) -> tuple[str, ...]:
        return tuple(link for link in self.links if is_code_link(link))


CODE_HOSTS = ("github.com/", "gitlab.com/", "bitbucket.org/", "huggingface.co/", "codeberg.org/")


@lru_cache(maxsize=1 << 17)  # asked for each link of each paper of each list planned
def is_code_link(url: str) -> bool:
    lowered = url.lower()
    return any(host in lowered for host in CODE_HOSTS) or ("/r/" in lowered and "4open" in lowered)
