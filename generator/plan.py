"""The plan of the site: every page it has, as sections (the home page, the paper pages, each
topic's, tag's, month's and listing's pages), in a fixed order. Which template draws a page
and what it shows are decided here; drawing it is render.py's job.

Tests: tests/test_pages.py, tests/test_filters.py
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from .charts import trend
from .config import Config
from .models import Paper, is_code_link
from .site import Group, Site

PAPER_TEMPLATE = "paper.html"


@dataclass(frozen=True, slots=True)
class Page:
    """One output file: where it goes, which template draws it, and what it shows."""

    path: str
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    kind: str = "page"


def listing_label(group: Group) -> str:
    """How a listing is named: its date, else the one institution all its papers come from
    (affiliation listings carry no date), else its file name."""
    if group.date:
        return long_date(group.date)
    places = {p.affiliation for p in group.papers if p.affiliation}
    return places.pop() if len(places) == 1 else group.name


def long_date(value: dt.date | None) -> str:
    return f"{value.day} {value.strftime('%B %Y')}" if value else ""


@dataclass(frozen=True, slots=True)
class Section:
    """Pages planned together: a group's pages, or pages of the site as a whole. A section's
    pages are a function of its `name`, its `facts`, the papers' list items and the config;
    with those unchanged, so are its pages (keys.py skips planning them again).

    Kinds: "site" (pages showing the whole site: counts, latest papers; `papers` empty),
    "papers" (one page per paper, keyed by paper) and "group" (a topic's, tag's, month's or
    listing's pages)."""

    name: str
    kind: str
    papers: tuple[Paper, ...]
    facts: tuple[object, ...]
    pages: Callable[[], Iterator[Page]]


def plan(site: Site) -> Iterator[Page]:
    """Every HTML page of the site, in a fixed order."""
    for section in sections(site):
        yield from section.pages()


def paper_page(paper: Paper) -> Page:
    return Page(
        f"papers/{paper.slug}/index.html",
        PAPER_TEMPLATE,
        paper.title,
        {"slug": paper.slug},
        kind="paper",
    )


def sections(site: Site) -> Iterator[Section]:
    """The plan of the site as sections, in page order."""
    config = site.config

    def single(path: str, template: str, title: str, kind: str, **context: Any) -> Section:
        page = Page(path, template, title, context, kind=kind)
        return Section(path, "site", (), (), lambda: iter((page,)))

    def group(name: str, pages: Callable[[], Iterator[Page]], g: Group, *facts: object) -> Section:
        return Section(name, "group", g.papers, (g.name, g.slug, g.date, *facts), pages)

    yield single("index.html", "home.html", config.title, "home")
    yield Section("papers", "papers", site.papers, (), lambda: map(paper_page, site.papers))
    yield single("topics/index.html", "topics.html", "Topics", "index")
    for g in site.topics:
        yield group(
            f"topics/{g.slug}", partial(_filtered, config, f"topics/{g.slug}", g, "topic"), g
        )
    yield single("tags/index.html", "tags.html", "Tags", "index")
    for g in site.tags:
        yield group(f"tags/{g.slug}", partial(_filtered, config, f"tags/{g.slug}", g, "tag"), g)
    yield single("archive/index.html", "archive.html", "Archive", "index")
    for year, months in _years(site.months).items():
        yield single(
            f"archive/{year}/index.html",
            "archive.html",
            f"Archive {year}",
            "index",
            year=year,
            months=months,
        )
    for g in site.months:
        yield group(
            f"archive/{g.slug}", partial(_paged, config, f"archive/{g.slug}", g, "month"), g
        )
    yield single("listings/index.html", "listings.html", "Listings", "index")
    for i, g in enumerate(site.listings):
        previous = site.listings[i - 1] if i > 0 else None
        after = site.listings[i + 1] if i + 1 < len(site.listings) else None
        around = [(n.slug, n.date) if n else None for n in (previous, after)]
        context = {"group": g, "issue": i + 1, "previous": previous, "next": after}
        yield group(f"listings/{g.slug}", partial(_listing_pages, g, context), g, i, around)
    yield single("search/index.html", "search.html", "Search", "search")
    yield single("404.html", "404.html", "Page not found", "404")


def _listing_pages(group: Group, context: dict[str, Any]) -> Iterator[Page]:
    for path, template, kind in LISTING_PAGES:
        yield Page(f"listings/{group.slug}/{path}", template, _listing_title(group), context, kind)


def _listing_title(group: Group) -> str:
    return f"Listing of {long_date(group.date)}" if group.date else f"Listing {group.name}"


# A listing is drawn twice: as a page of the site and as an e-mail ready to paste into a
# newsletter tool (inline styles, absolute links, no scripts).
LISTING_PAGES = (("index.html", "listing.html", "listing"), ("email.html", "email.html", "email"))


@dataclass(frozen=True, slots=True)
class Filter:
    """One view of a topic's or a tag's papers, as its filter bar links it: all of them
    (slug ""), those with code ("code"), or those of one year ("2024", or "undated")."""

    slug: str
    label: str
    count: int


def filter_views(papers: tuple[Paper, ...]) -> list[tuple[Filter, tuple[Paper, ...]]]:
    """The views of a list of papers (newest first): all, with code, and each year; a view
    is made only when it differs from the whole list and is not empty.

    The views are static pages rather than a script over the list items because lists are
    paginated: a script could only filter the page it is on, and a static page works without
    JavaScript too. The cost: every paper is on one year view and, with code, one code view.
    Measured (tests/perf/bench_search.py): at 10,000 papers 2,364 view pages beside 1,682
    topic and tag pages, about 2.4 s of a 55 s cold build, and only views whose papers
    changed are drawn again; at the 171 seed papers, 246 small pages (0.25 s).
    """
    views = [(Filter("", "All", len(papers)), papers)]
    code: list[Paper] = []
    years: dict[int | None, list[Paper]] = {}  # None: undated
    for paper in papers:  # one pass: planning a big tag's views is most of replanning it
        if paper.links and any(map(is_code_link, paper.links)):
            code.append(paper)
        date = paper.published or paper.listed
        years.setdefault(date.year if date else None, []).append(paper)
    if 0 < len(code) < len(papers):
        views.append((Filter("code", "With code", len(code)), tuple(code)))
    if len(years) > 1:
        for year, chunk in sorted(years.items(), key=lambda item: item[0] is None):
            slug = "undated" if year is None else str(year)
            label = "Undated" if year is None else slug
            views.append((Filter(slug, label, len(chunk)), tuple(chunk)))
    return views


def _filtered(config: Config, base: str, group: Group, kind: str) -> Iterator[Page]:
    """A topic's or a tag's pages: the whole list, then each filtered view of it."""
    views = filter_views(group.papers)
    bar = tuple(f for f, _ in views)
    for view, papers in views:
        extra: dict[str, Any] = {"filters": bar, "filter": view.slug, "group_base": base}
        if kind == "topic" and not view.slug:
            extra["trend"] = trend(group.name, group.papers)
        where = f"{base}/{view.slug}" if view.slug else base
        title = f"{group.name} · {view.label}" if view.slug else group.name
        yield from _paged(config, where, group, kind, papers, title, extra)


def _paged(
    config: Config,
    base: str,
    group: Group,
    kind: str,
    papers: tuple[Paper, ...] | None = None,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Iterator[Page]:
    papers = group.papers if papers is None else papers
    title = title or group.name
    size = config.page_size
    chunks = [papers[i : i + size] for i in range(0, len(papers), size)] or [()]
    for number, chunk in enumerate(chunks, 1):
        path = f"{base}/index.html" if number == 1 else f"{base}/page/{number}/index.html"
        context = {
            "group": group,
            "sections": by_month(chunk) if kind != "month" else [(group.name, chunk)],
            "number": number,
            "pages": len(chunks),
            "base": base,
            "list_kind": kind,
            "shown_count": len(papers),
            "group_base": base,
            "filters": (),
            "filter": "",
            **(extra or {}),
        }
        if number > 1:
            context.pop("trend", None)
        yield Page(
            path,
            "list.html",
            title if number == 1 else f"{title} (page {number})",
            context,
            kind=kind,
        )


def by_month(papers: tuple[Paper, ...]) -> list[tuple[str, tuple[Paper, ...]]]:
    """Papers (already newest first) under month headings."""
    sections: list[tuple[str, tuple[Paper, ...]]] = []
    start, last = 0, (0, 0)
    for i, paper in enumerate(papers):
        date = paper.date
        month = (date.year, date.month)
        if month != last:
            if i:
                sections.append((month_heading(*last), papers[start:i]))
            start, last = i, month
    if papers:
        sections.append((month_heading(*last), papers[start:]))
    return sections


@lru_cache(maxsize=4096)
def month_heading(year: int, month: int) -> str:
    return dt.date(year, month, 1).strftime("%B %Y")


def _years(months: tuple[Group, ...]) -> dict[int, list[Group]]:
    years: dict[int, list[Group]] = {}
    for group in months:
        assert group.date is not None
        years.setdefault(group.date.year, []).append(group)
    return years


def relative_root(path: str) -> str:
    """The way back to the site root from a page, so output works under any sub-path."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def page_url(path: str) -> str:
    """The clean URL of an output file, relative to the site root."""
    if path == "index.html":
        return ""
    return path[: -len("index.html")] if path.endswith("/index.html") else path
