"""Filters of topic and tag pages: static views (with code, by year) linked from a filter
bar, each listing exactly the papers it names, across pages, without JavaScript."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest

from generator.classify import tag_key
from generator.config import load_config
from generator.ingest import load_records
from generator.models import Paper, is_code_link
from generator.plan import filter_views, plan
from generator.site import build_model

if TYPE_CHECKING:
    from conftest import BuiltSite


def year(p: dict) -> str:
    day = p.get("published") or p.get("listed")
    return day[:4] if day else "undated"


def listed(site: BuiltSite, base: str) -> list[str]:
    """The paper URLs of a view, following its pagination."""
    found, page = [], f"{base}index.html"
    while True:
        tree = site.page(page)
        for item in tree.find_all("li", cls="paper-item"):
            found.append(site.resolve(page, item.find("a").attrs["href"]))
        nav = tree.find("nav", cls="pagination")
        nxt = nav.find("a", rel="next") if nav else None
        if nxt is None:
            return found
        page = site.resolve(page, nxt.attrs["href"]) + "index.html"


def check_views(site: BuiltSite, base: str, papers: list[dict]) -> int:
    """Every link of the filter bar on `base` leads to a view of exactly its papers."""
    bar = site.page(f"{base}index.html").find("nav", cls="filter-bar")
    if bar is None:
        return 0
    links = bar.find_all("a")
    current = [a for a in links if a.attrs.get("aria-current") == "page"]
    assert len(current) == 1 and current[0].text().startswith("All")
    for a in links:
        target = site.resolve(f"{base}index.html", a.attrs["href"])
        view = target[len(base) :].strip("/")
        if view == "":
            wanted = papers
        elif view == "code":
            wanted = [p for p in papers if any(is_code_link(u) for u in p.get("links", []))]
        else:
            wanted = [p for p in papers if year(p) == view]
        assert 0 < len(wanted) < len(papers) or view == "", (base, view)
        assert listed(site, target) == [p["url"] for p in wanted], (base, view)
        assert a.find("span", cls="count").text() == str(len(wanted))
        marked = site.page(f"{target}index.html").find("nav", cls="filter-bar")
        here = marked.find("a", aria_current="page").attrs["href"]
        assert site.resolve(f"{target}index.html", here) == target
    return len(links) - 1


def test_topic_views_list_exactly_their_papers(seed_site: BuiltSite) -> None:
    papers = json.loads(seed_site.text("papers.json"))
    views = 0
    for topic in {p["topic"] for p in papers}:
        mine = [p for p in papers if p["topic"] == topic]
        slug = seed_site.resolve("topics/index.html", _topic_href(seed_site, topic))
        views += check_views(seed_site, slug, mine)
    assert views > 10


def test_tag_views_list_exactly_their_papers(seed_site: BuiltSite) -> None:
    papers = json.loads(seed_site.text("papers.json"))
    tags = seed_site.page("tags/index.html").find_all("a", cls="tag")
    for a in tags[:12]:
        name = a.children[0].strip()
        mine = [p for p in papers if tag_key(name) in {tag_key(t) for t in p["tags"]}]
        check_views(seed_site, seed_site.resolve("tags/index.html", a.attrs["href"]), mine)


def _topic_href(site: BuiltSite, name: str) -> str:
    cards = site.page("topics/index.html").find_all("li", cls="card")
    return next(c.find("a").attrs["href"] for c in cards if c.find("a").text() == name)


def test_filtered_views_are_paginated(tmp_path, fixture_site, build_at) -> None:
    site = build_at(fixture_site("paged", tmp_path / "paged"))
    papers = json.loads(site.text("papers.json"))
    mine = [p for p in papers if p["topic"] == "Language Models"]
    check_views(site, "topics/language-models/", mine)


def test_a_view_equal_to_the_whole_list_is_not_made() -> None:
    one_year = tuple(
        Paper(
            slug=f"p{i}",
            title="t",
            abstract="",
            topic="T",
            tags=(),
            sources=(),
            links=("https://github.com/a/b",),
            published=dt.date(2024, 1, 1 + i),
        )
        for i in range(3)
    )
    assert [f.slug for f, _ in filter_views(one_year)] == [""]


@pytest.mark.parametrize("kind", ["topic", "tag"])
def test_the_extra_pages_stay_within_budget(kind: str, seed_site: BuiltSite) -> None:
    """Every paper is on one year view and at most one code view, so the views add at most
    twice the pages of the whole lists, plus one partly filled page per view."""
    config, _ = load_config(seed_site.root / "digest.yaml")
    records, _ = load_records(seed_site.root / "content" / "papers", [])
    site, _ = build_model(config, records.values(), {})
    pages = [p for p in plan(site) if p.kind == kind]
    whole = [p for p in pages if not p.context["filter"]]
    views = {(p.context["group_base"], p.context["filter"]) for p in pages if p.context["filter"]}
    assert len(pages) - len(whole) <= 2 * len(whole) + len(views)
