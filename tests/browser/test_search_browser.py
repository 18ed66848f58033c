"""Search and discovery in a real browser: the seed site built with its Pagefind index and
served as static files, at the root of a host and under a /repo/ sub-path; keyboard
shortcuts; no serious accessibility violations on the new pages."""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from static_host import serve
from test_pages_browser import AXE, serious_violations

from generator.build import build_site


@dataclass(frozen=True)
class Searchable:
    url: str  # where the site is served, ending in "/"
    output: Path


def build_searchable(root: Path, output: Path, base_url: str) -> Searchable:
    result = build_site(root, output=output, base_url=base_url, search=True)
    assert [d.format() for d in result.diagnostics if d.path == "search"] == []
    assert (output / "pagefind" / "pagefind-ui.js").is_file()
    return Searchable(base_url, output)


@pytest.fixture(scope="module")
def at_root(seed_site, tmp_path_factory) -> Iterator[Searchable]:
    out = tmp_path_factory.mktemp("searchable")
    with serve(out) as url:
        yield build_searchable(seed_site.root, out, url)


@pytest.fixture(scope="module")
def under_repo(seed_site, tmp_path_factory) -> Iterator[Searchable]:
    """Built for http://127.0.0.1:PORT/repo/ and served there, as GitHub Pages would."""
    host = tmp_path_factory.mktemp("pages-host")
    with serve(host) as url:
        yield build_searchable(seed_site.root, host / "repo", url + "repo/")


def distinctive(output: Path) -> tuple[str, dict]:
    """A long word found in exactly one paper (title or abstract), and that paper."""
    papers = json.loads((output / "papers.json").read_text(encoding="utf-8"))
    seen: collections.Counter[str] = collections.Counter()
    words = {}
    for p in papers:
        found = set(re.findall(r"[a-z]{10,}", (p["title"] + " " + p.get("abstract", "")).lower()))
        seen.update(found)
        words[p["slug"]] = found
    for p in sorted(papers, key=lambda p: p["slug"]):
        unique = sorted(w for w in words[p["slug"]] if seen[w] == 1)
        if unique and p.get("abstract"):
            in_abstract = [w for w in unique if w in p["abstract"].lower()]
            if in_abstract:
                return in_abstract[0], p
    raise AssertionError("no distinctive word in the seeds")


def search_and_follow(site: Searchable, open_page) -> None:
    word, paper = distinctive(site.output)
    page, watch = open_page(site.url + "topics/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    base_path = re.sub(r"^https?://[^/]+", "", site.url)
    result = page.locator(f'.pagefind-ui__result-link[href="{base_path}{paper["url"]}"]')
    result.wait_for(timeout=15000)
    # the facets load after the first results; under load that can take a moment
    page.wait_for_function(
        "document.querySelectorAll('.pagefind-ui__filter-name').length >= 3", timeout=15000
    )
    filters = page.locator(".pagefind-ui__filter-name").all_inner_texts()
    assert {"topic", "tag", "year"} <= {f.strip().lower() for f in filters}, filters
    # the index holds topic slugs; the labels show the topic's name
    page.evaluate("document.querySelectorAll('#search details').forEach(d => d.open = true)")
    labels = " ".join(page.locator(".pagefind-ui__filter-label").all_inner_texts())
    assert f"{paper['topic']} (" in labels, labels
    result.click()
    page.wait_for_url(site.url + paper["url"])
    assert page.locator("h1").count() == 1
    assert watch.problems() == []


def test_a_word_from_an_abstract_finds_its_paper(at_root: Searchable, open_page) -> None:
    search_and_follow(at_root, open_page)


def test_search_works_under_a_sub_path(under_repo: Searchable, open_page) -> None:
    search_and_follow(under_repo, open_page)


def test_j_and_k_move_between_papers_with_visible_focus(at_root: Searchable, open_page):
    page, watch = open_page(at_root.url + "topics/vision/")
    at = (
        "Array.from(document.querySelectorAll('.paper-item'))"
        ".findIndex(i => i.contains(document.activeElement))"
    )
    page.keyboard.press("j")
    assert page.evaluate(at) == 0
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate(at) == 2
    page.keyboard.press("k")
    assert page.evaluate(at) == 1
    assert page.locator(".paper-item.is-current").count() == 1
    style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert style not in ("none", "")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("jk")  # typed into the box, not taken as shortcuts
    assert page.evaluate("document.activeElement.value") == "jk"
    assert watch.problems() == []


def test_slash_on_the_search_page_focuses_its_search_box(at_root: Searchable, open_page):
    page, _ = open_page(at_root.url + "search/")
    page.locator(".pagefind-ui__search-input").wait_for()
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.className").startswith("pagefind-ui__search")


@pytest.mark.parametrize(
    "path", ["search/?q=transformer", "topics/", "listings/", "topics/vision/code/"]
)
def test_no_serious_accessibility_violations(path: str, at_root: Searchable, open_page):
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm install --prefix tests/.tools axe-core@4)")
    if path == "listings/":
        path = json.loads((at_root.output / "papers.json").read_text())[0]["sources"][0]
        path = "listings/" + re.sub(r"[^a-z0-9]+", "-", path.rsplit(".", 1)[0].lower()) + "/"
    page, watch = open_page(at_root.url + path)
    if path.startswith("search/"):
        page.locator(".pagefind-ui__result").first.wait_for(timeout=15000)
    page.add_script_tag(path=str(AXE))
    found = {"light": serious_violations(page)}
    page.emulate_media(color_scheme="dark")
    found["dark"] = serious_violations(page)
    assert found == {"light": [], "dark": []}
    assert watch.problems() == []
