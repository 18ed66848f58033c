"""Trends at a glance: inline SVG charts of papers per month, valid, with a text alternative,
and with the numbers of papers.json."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from generator.charts import bar_chart, month_span, small_multiples, trend
from generator.models import Paper
from generator.slugs import slugify

if TYPE_CHECKING:
    from conftest import BuiltSite

SVG = "{http://www.w3.org/2000/svg}"


def dated(slug: str, day: dt.date | None) -> Paper:
    return Paper(slug=slug, title=slug, abstract="", topic="T", tags=(), sources=(), listed=day)


def months_of(site: BuiltSite) -> dict[str, collections.Counter[str]]:
    """Per topic, papers per month (YYYY-MM) from papers.json; undated papers left out, and
    so are those of the affiliation listing (it gives no date: `listed` is the day it came)."""
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for p in json.loads(site.text("papers.json")):
        added = "affiliation" in p and "published" not in p
        day = p.get("published") or (None if added else p.get("listed"))
        if day:
            out[p["topic"]][day[:7]] += 1
    return out


def svg_of(site: BuiltSite, relative: str, chart_id: str) -> ET.Element:
    """The chart's <svg> element cut out of the page and parsed as XML: it must be
    well-formed on its own."""
    text = site.text(relative)
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', text, re.S)
    assert match, f"no chart {chart_id} in {relative}"
    return ET.fromstring(match.group(0))


def bars(element: ET.Element) -> collections.Counter[str]:
    return collections.Counter(
        {r.get("data-month"): int(r.get("data-count")) for r in element.iter(f"{SVG}rect")}
    )


def assert_text_alternative(site: BuiltSite, relative: str, svg: ET.Element) -> None:
    assert svg.get("role") == "img"
    ids = svg.get("aria-labelledby").split()
    named = {e.get("id"): (e.text or "").strip() for e in svg if e.get("id")}
    assert all(named.get(i) for i in ids), (ids, named)
    assert svg.find(f"{SVG}title") is not None and svg.find(f"{SVG}desc") is not None
    table = site.page(relative).find("details", cls="chart-data").find("table")
    assert table is not None and table.find("th", scope="col") is not None


def test_papers_per_month_skip_nothing_and_count_undated_apart() -> None:
    papers = [dated("a", dt.date(2023, 11, 3)), dated("b", dt.date(2024, 2, 1))]
    papers += [dated("c", dt.date(2024, 2, 9)), dated("d", None)]
    t = trend("T", papers)
    assert t.counts == (((2023, 11), 1), ((2024, 2), 2))
    assert t.undated == 1 and t.total == 3
    assert month_span([t]) == [(2023, 11), (2023, 12), (2024, 1), (2024, 2)]
    svg = ET.fromstring(bar_chart(t, "c1", "Papers per month"))
    assert svg.tag == f"{SVG}svg"
    assert bars(svg) == {"2023-11": 1, "2023-12": 0, "2024-01": 0, "2024-02": 2}
    desc = svg.find(f"{SVG}desc").text
    assert "3 papers" in desc and "February 2024" in desc and "1 paper without a date" in desc


def test_an_empty_series_still_draws() -> None:
    svg = ET.fromstring(small_multiples([trend("T", [dated("x", None)])], "c2", "Nothing"))
    assert list(svg.iter(f"{SVG}rect")) == []
    assert svg.find(f"{SVG}desc").text == "No dated papers."


def test_topics_index_chart_matches_papers_json(seed_site: BuiltSite) -> None:
    svg = svg_of(seed_site, "topics/index.html", "topics-chart")
    expected = months_of(seed_site)
    rows = {g.get("data-series"): g for g in svg.iter(f"{SVG}g") if g.get("data-series")}
    assert set(rows) == {t for t, c in expected.items() if c}
    for name, row in rows.items():
        assert +bars(row) == expected[name], name
    spans = {frozenset(bars(row)) for row in rows.values()}
    assert len(spans) == 1  # one shared time axis
    assert_text_alternative(seed_site, "topics/index.html", svg)


@pytest.mark.parametrize("topic", ["Vision", "Language Models"])
def test_a_topic_page_chart_matches_papers_json(topic: str, seed_site: BuiltSite) -> None:
    relative = f"topics/{slugify(topic)}/index.html"
    svg = svg_of(seed_site, relative, "trend-chart")
    assert +bars(svg) == months_of(seed_site)[topic]
    assert_text_alternative(seed_site, relative, svg)
    table = seed_site.page(relative).find("details", cls="chart-data").find("tbody")
    rows = {
        r.find("time").attrs["datetime"]: int(r.find("td").text()) for r in table.find_all("tr")
    }
    assert rows == months_of(seed_site)[topic]


def test_only_the_first_page_of_a_topic_shows_its_chart(tmp_path, fixture_site, build_at):
    site = build_at(fixture_site("paged", tmp_path / "paged"))
    assert "trend-chart" in site.text("topics/language-models/index.html")
    assert "trend-chart" not in site.text("topics/language-models/page/2/index.html")
