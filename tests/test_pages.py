"""The rendered seed site, read back through an HTML parser: every page of the URL table,
escaping, math, papers.json, feeds, the sitemap, pagination and the default taxonomy."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator.check import check_site
from generator.classify import classify, tag_key
from generator.config import Config, Rule
from generator.ingest import load_records
from generator.slugs import slugify

if TYPE_CHECKING:
    from conftest import BuiltSite

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")


def papers_json(site: BuiltSite) -> list[dict]:
    return json.loads(site.text("papers.json"))


def paper_page(site: BuiltSite, title_start: str, abstract_part: str = ""):
    """A paper (from papers.json) and its parsed page, found by title start or abstract."""
    paper = next(
        p
        for p in papers_json(site)
        if (abstract_part and abstract_part in p.get("abstract", ""))
        or (not abstract_part and p["title"].startswith(title_start))
    )
    return paper, site.page(f"{paper['url']}index.html")


# -- the URL table ---------------------------------------------------------------------


def test_every_page_of_the_url_table_exists(seed_site: BuiltSite) -> None:
    out = seed_site.output
    papers = papers_json(seed_site)
    assert len(papers) > 150
    expected = {
        "index.html",
        "topics/index.html",
        "tags/index.html",
        "archive/index.html",
        "listings/index.html",
        "feed.xml",
        "papers.json",
        "sitemap.xml",
        "robots.txt",
        "404.html",
    }
    for paper in papers:
        expected.add(f"papers/{paper['slug']}/index.html")
        # a paper of an undated listing (000_*) is filed under 1970-01, the model's fallback
        date = paper.get("published") or paper.get("listed") or "1970-01-01"
        expected.add(f"archive/{date[:4]}/{date[5:7]}/index.html")
        expected.update(
            f"listings/{slugify(s.rsplit('.', 1)[0])}/index.html" for s in paper["sources"]
        )
    topics = {p["topic"] for p in papers}
    for topic in topics:
        expected.add(f"topics/{slugify(topic)}/index.html")
        expected.add(f"topics/{slugify(topic)}/feed.xml")
    missing = sorted(path for path in expected if not (out / path).is_file())
    assert not missing
    tag_pages = [p for p in (out / "tags").iterdir() if p.is_dir()]
    assert len(tag_pages) == len({tag_key(t) for p in papers for t in p["tags"]})
    names = {seed_site.page(f"tags/{p.name}/index.html").find("h1").text() for p in tag_pages}
    assert {f"Tag: {t}" for p in papers for t in p["tags"]} <= names


def test_home_page_shows_latest_listing_topics_and_months(seed_site: BuiltSite) -> None:
    home = seed_site.page("index.html")
    items = home.find("main").find_all("li", cls="paper-item")
    assert 10 <= len(items) <= 30
    aside = home.find("aside")
    targets = [seed_site.resolve("index.html", a.attrs["href"]) for a in aside.find_all("a")]
    topics = [t for t in targets if t.startswith("topics/")]
    assert len(topics) == len({p["topic"] for p in papers_json(seed_site)})
    assert any(t.startswith("archive/") for t in targets)


def test_paper_page_shows_its_facts(seed_site: BuiltSite) -> None:
    paper, page = paper_page(seed_site, "$R^2$-Tuning")
    main = page.find("main")
    facts = {dt_.text().strip() for dt_ in main.find_all("dt")}
    assert {"Topic", "Listed"} <= facts
    assert main.find("a", href="cite.bib") is not None
    tags = [a.text().strip() for a in main.find("ul", cls="tag-list").find_all("a")]
    assert tags == paper["tags"]
    assert any(a.attrs.get("href") == paper["links"][0] for a in main.find_all("a"))


# -- escaping, math and LaTeX ----------------------------------------------------------


def test_html_in_a_listing_is_shown_never_executed(hostile_site: BuiltSite) -> None:
    pages = hostile_site.html_pages()
    assert len(pages) > 10
    for relative in pages:
        tree = hostile_site.page(relative)
        assert tree.find_all("img") == [], relative
        for script in tree.find_all("script"):
            assert script.attrs.get("type") == "application/ld+json" or script.attrs[
                "src"
            ].endswith(("static/digest.js", "static/search.js")), relative
            assert "<" not in script.text()
        for node in tree.iter():
            assert not [a for a in node.attrs if a.startswith("on")], (relative, node.tag)
    paper, page = paper_page(hostile_site, "Hostile")
    assert "<script>alert(1)</script>" in page.find("h1").text()
    abstract = page.find("section", cls="abstract").text()
    assert "<script>alert(1)</script>" in abstract
    assert "<img src=x onerror=alert(1)>" in abstract
    ld = json.loads(page.find("script", type="application/ld+json").text())
    assert ld["name"] == paper["title"]


def test_math_in_a_title_renders_as_mathml(seed_site: BuiltSite) -> None:
    _, page = paper_page(seed_site, "$R^2$-Tuning")
    heading = page.find("h1")
    math = heading.find("math")
    assert math is not None
    assert math.find("msup") is not None
    assert "$" not in heading.text().replace(math.text(), "")
    assert page.find("title").text().startswith("R^2-Tuning")


def test_latex_commands_in_an_abstract_become_html(seed_site: BuiltSite) -> None:
    # SPPD comes from the affiliation listing (000_*), which gives no titles
    paper, page = paper_page(seed_site, "", "ynamic value margin (SPPD)")
    assert paper["title_inferred"] is True
    abstract = page.find("section", cls="abstract")
    bold = [b.text() for b in abstract.find_all("strong")]
    assert "without any distillation" in bold
    links = [a for a in abstract.find_all("a") if a.attrs["href"].startswith("https://")]
    assert links and "4open.science" in links[0].attrs["href"]
    assert "\\textbf" not in abstract.text() and "\\href" not in abstract.text()


# -- papers.json ---------------------------------------------------------------------------


def test_papers_json_holds_every_record(seed_site: BuiltSite) -> None:
    records, broken = load_records(seed_site.root / "content" / "papers", [])
    assert not broken
    published = {s: r for s, r in records.items() if not r.meta.get("draft")}
    papers = papers_json(seed_site)
    assert [p["slug"] for p in papers].sort() == list(published).sort()
    assert len(papers) == len(published)
    for paper in papers:
        meta = published[paper["slug"]].meta
        assert paper["url"] == f"papers/{paper['slug']}/"
        assert isinstance(paper["topic"], str) and paper["topic"]
        for key, value in meta.items():
            if key in ("tags", "topic"):
                continue
            expected = value.isoformat() if isinstance(value, dt.date) else value
            assert paper[key] == expected, (paper["slug"], key)
        extra = set(paper) - set(meta) - {"slug", "url", "topic", "tags"}
        assert not extra, (paper["slug"], extra)
        assert all(v not in (None, "", []) for k, v in paper.items() if k != "tags")
        for key in ("published", "listed"):
            if key in paper:
                assert re.fullmatch(r"\d{4}-\d\d-\d\d", paper[key])
    dates = [p.get("published") or p.get("listed") or "1970-01-01" for p in papers]
    assert dates == sorted(dates, reverse=True)


# -- feeds, sitemap, robots ---------------------------------------------------------------


def _atom_ok(path: Path, base_url: str) -> int:
    feed = ET.parse(path).getroot()
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), (path, name)
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    assert feed.findtext(f"{ATOM}id").startswith(base_url)
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), (path, name)
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").startswith(base_url)
        assert entry.findtext(f"{ATOM}id").startswith(base_url)
    return len(entries)


@pytest.mark.parametrize("which", ["seed_site", "seed_site_repo"])
def test_feeds_are_well_formed_atom_with_absolute_urls(which: str, request) -> None:
    site: BuiltSite = request.getfixturevalue(which)
    assert _atom_ok(site.output / "feed.xml", site.base_url) > 10
    topic_feeds = sorted((site.output / "topics").glob("*/feed.xml"))
    assert topic_feeds
    for path in topic_feeds:
        _atom_ok(path, site.base_url)


@pytest.mark.parametrize("which", ["seed_site", "seed_site_repo"])
def test_sitemap_lists_every_page_with_absolute_urls(which: str, request) -> None:
    site: BuiltSite = request.getfixturevalue(which)
    urlset = ET.parse(site.output / "sitemap.xml").getroot()
    assert urlset.tag == f"{SITEMAP}urlset"
    locs = [loc.text for loc in urlset.iter(f"{SITEMAP}loc")]
    assert len(locs) == len(site.html_pages()) - 1  # all but 404.html
    for loc in locs:
        assert loc.startswith(site.base_url)
        relative = loc[len(site.base_url) :]
        assert (site.output / relative / "index.html").is_file() or (
            site.output / relative
        ).is_file()
    robots = site.text("robots.txt")
    assert f"Sitemap: {site.base_url}sitemap.xml" in robots


# -- pagination -----------------------------------------------------------------------------


def test_pagination_links_resolve(tmp_path: Path, fixture_site, build_at) -> None:
    site = build_at(fixture_site("paged", tmp_path / "paged"))
    topic = site.output / "topics" / "language-models"
    assert (topic / "page" / "2" / "index.html").is_file()
    assert (topic / "page" / "3" / "index.html").is_file()
    relative = "topics/language-models/page/2/index.html"
    second = site.page(relative)
    nav = second.find("nav", cls="pagination")
    assert (
        site.resolve(relative, nav.find("a", rel="prev").attrs["href"]) == "topics/language-models/"
    )
    assert site.resolve(relative, nav.find("a", rel="next").attrs["href"]) == (
        "topics/language-models/page/3/"
    )
    assert len(second.find_all("li", cls="paper-item")) == 2
    diagnostics, _ = check_site(site.root, site.root / "digest.yaml", site.output)
    assert [d.format() for d in diagnostics if d.level == "error"] == []


# -- the default taxonomy --------------------------------------------------------------------


def test_default_taxonomy_groups_the_seeds_sensibly(seed_site: BuiltSite) -> None:
    papers = papers_json(seed_site)
    topics = collections.Counter(p["topic"] for p in papers)
    largest, count = topics.most_common(1)[0]
    assert count <= len(papers) / 3, (largest, count)
    assert topics.get("Other", 0) < len(papers) / 10
    assert len(topics) >= 8
    # a tag needs evidence (tests/test_labels.py): not every paper has one, none has many
    assert sum(1 for paper in papers if paper["tags"]) >= 0.9 * len(papers)
    for paper in papers:
        assert len(paper["tags"]) <= 6, (paper["slug"], paper["tags"])


def test_a_card_shows_three_tags_and_the_paper_page_all(seed_site: BuiltSite) -> None:
    papers = papers_json(seed_site)
    many = [p for p in papers if len(p["tags"]) > 3]
    assert many
    for paper in many[:5]:
        page = seed_site.page(f"{paper['url']}index.html")
        shown = [a.text() for a in page.find("ul", cls="tag-list").find_all("a", cls="tag")]
        assert shown == paper["tags"]
    home = seed_site.page("index.html")
    for item in home.find_all("li", cls="paper-item"):
        slug = item.find("a").attrs["href"].rstrip("/").rsplit("/", 1)[-1]
        tags = next(p["tags"] for p in papers if p["slug"] == slug)
        shown = [a.text() for a in item.find_all("a", cls="tag")]
        assert shown == tags[:3], slug


def test_tags_differing_in_case_or_accents_share_one_page(
    tmp_path: Path, fixture_site, build_at
) -> None:
    site = build_at(fixture_site("tags", tmp_path / "tags"))
    pages = sorted(p.name for p in (site.output / "tags").iterdir() if p.is_dir())
    llm = [name for name in pages if name.startswith("llm")]
    assert llm == ["llm"]
    page = site.page("tags/llm/index.html")
    assert page.find("h1").text() == "Tag: LLM"
    assert len(page.find_all("li", cls="paper-item")) == 3
    assert [name for name in pages if name.startswith("graph")] == ["graph-neural-networks"]
    graphs = site.page("tags/graph-neural-networks/index.html")
    assert len(graphs.find_all("li", cls="paper-item")) == 2
    for relative in site.html_pages():
        for link in site.page(relative).find_all("a", cls="tag"):
            assert "llm" not in link.text() and "Llm" not in link.text()


def test_matching_is_on_whole_words() -> None:
    config = Config(
        topics=(Rule("Dense", "dense", keywords=("dense",)),),
        tags=(Rule("Graphs", "graphs", phrases=("graph neural",)),),
    )
    assert classify(config, "Condensed matter", "The condensed phase.").topic == "Other"
    assert classify(config, "A dense retriever", "").topic == "Dense"
    assert classify(config, "Dense-retrieval", "").topic == "Dense"
    assert classify(config, "Graph neurally", "graph neuralnet").tags == ()
    assert classify(config, "A Graph Neural Net", "").tags == ("Graphs",)
