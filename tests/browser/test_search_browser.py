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
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
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
    assert (output / "pagefind" / "pagefind.js").is_file()
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


def base_path(site: Searchable) -> str:
    return re.sub(r"^https?://[^/]+", "", site.url)


def papers_of(site: Searchable) -> list[dict]:
    return json.loads((site.output / "papers.json").read_text(encoding="utf-8"))


def long_date(iso: str) -> str:
    year, month, day = iso.split("-")
    months = "January February March April May June July August September October November December"
    return f"{int(day)} {months.split()[int(month) - 1]} {year}"


def search_and_follow(site: Searchable, open_page) -> None:
    """The header box of another page shows the paper in place; Enter leads to /search/ with
    the query, whose first card is that paper, with its date, topic and tags."""
    word, paper = distinctive(site.output)
    href = base_path(site) + paper["url"]
    page, watch = open_page(site.url + "topics/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type(word)
    peek = page.locator(".search-peek .peek-item").first
    peek.wait_for(timeout=15000)
    assert peek.locator("a").first.get_attribute("href") == href
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    card = page.locator(".search-result").first
    card.wait_for(timeout=15000)
    assert card.locator(".paper-title a").get_attribute("href") == href
    meta = card.locator(".paper-meta").inner_text()
    date = paper.get("published") or paper.get("listed")
    assert long_date(date) in meta and paper["topic"] in meta, meta
    tags = card.locator(".tag").all_inner_texts()
    assert tags == paper["tags"][:3]
    excerpt = card.locator(".paper-summary").inner_text()
    assert word in excerpt.lower() and card.locator(".paper-summary mark").count() >= 1
    title_start = " ".join(paper["title"].split()[:4])
    assert title_start not in excerpt, excerpt  # the card never repeats its title
    assert page.locator("input[type=search]").count() == 1  # the search page has one box
    card.locator(".paper-title a").click()
    page.wait_for_url(site.url + paper["url"])
    assert page.locator("h1").count() == 1
    assert watch.problems() == []


def test_a_word_from_an_abstract_finds_its_paper(at_root: Searchable, open_page) -> None:
    search_and_follow(at_root, open_page)


def test_search_works_under_a_sub_path(under_repo: Searchable, open_page) -> None:
    search_and_follow(under_repo, open_page)


def settled(page) -> None:
    page.wait_for_selector("#search-results[aria-busy=false]", state="attached", timeout=15000)


def all_cards(page) -> None:
    """Every result card shown, "Show more" clicked until it goes. A newer drawing of the
    results may hide the button between the look and the click (seen under load, as the
    page's first search was drawn again): then look again."""
    page.locator(".search-result").first.wait_for(timeout=15000)
    settled(page)
    more = page.locator("#search-more")
    for _ in range(100):
        if not more.is_visible():
            return
        before = page.locator(".search-result").count()
        try:
            more.click(timeout=3000)
        except PlaywrightTimeoutError:
            settled(page)
            continue
        page.wait_for_function(
            f"document.querySelectorAll('.search-result').length > {before}", timeout=10000
        )
        settled(page)
    raise AssertionError("'Show more' never went")


def facet_counts(page, key: str) -> dict[str, int]:
    return page.evaluate(
        """key => Object.fromEntries([...document.querySelectorAll(`.facet input[name="${key}"]`)]
            .map(i => [i.value, +i.closest('label').querySelector('.count').textContent]))""",
        key,
    )


def test_a_topic_narrows_the_results_and_the_counts_match_the_cards(
    at_root: Searchable, open_page
) -> None:
    page, watch = open_page(at_root.url + "search/?q=model")
    all_cards(page)
    before = page.locator(".search-result").count()
    topics = facet_counts(page, "topic")
    assert topics and all(n > 0 for n in topics.values())  # no value with no result offered
    counts = page.locator(".facet .count").all_inner_texts()
    assert counts and all(int(c) > 0 for c in counts)
    assert sum(topics.values()) == before  # one topic a paper
    topic, expected = sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))[1]
    page.locator(f'.facet input[name="topic"][value="{topic}"]').check()
    page.wait_for_url(re.compile(r"topic="))
    all_cards(page)
    cards = page.locator(".search-result")
    assert 0 < cards.count() == expected < before
    metas = cards.locator(".paper-meta").all_inner_texts()
    assert all(topic in m for m in metas)
    assert facet_counts(page, "topic")[topic] == cards.count()
    years = facet_counts(page, "year")
    for year, n in years.items():
        assert sum(1 for m in metas if re.search(rf"\b{year}\b", m)) == n, (year, metas)
    code = facet_counts(page, "code").get("has code", 0)
    assert code == cards.locator(".badge-code").count()
    counts = page.locator(".facet .count").all_inner_texts()
    assert all(int(c) > 0 for c in counts)
    assert "topic=" in page.url
    assert watch.problems() == []


def test_the_url_holds_the_state_and_back_restores_it(at_root: Searchable, open_page) -> None:
    page, watch = open_page(at_root.url + "search/?q=diffusion&sort=date")
    all_cards(page)
    dates = page.locator(".search-result time").evaluate_all(
        "ts => ts.map(t => t.getAttribute('datetime'))"
    )
    assert len(dates) > 2 and dates == sorted(dates, reverse=True)
    assert page.locator("#search-sort").input_value() == "date"
    first = page.locator(".search-result .paper-title a").all_inner_texts()
    page.fill("#site-search", "language")
    page.wait_for_url(re.compile(r"q=language"))
    page.wait_for_function(
        "[...document.querySelectorAll('.search-result mark')]"
        ".some(m => /languag/i.test(m.textContent))"
    )
    page.go_back()
    page.wait_for_url(re.compile(r"q=diffusion"))
    page.wait_for_function("document.getElementById('site-search').value === 'diffusion'")
    all_cards(page)
    assert page.locator(".search-result .paper-title a").all_inner_texts() == first
    page.go_forward()
    page.wait_for_function("document.getElementById('site-search').value === 'language'")
    assert watch.problems() == []


def test_arrows_move_enter_opens_escape_clears(at_root: Searchable, open_page) -> None:
    page, watch = open_page(at_root.url + "search/")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("diffusion")
    page.locator(".search-result").nth(2).wait_for(timeout=15000)
    focused = (
        "[...document.querySelectorAll('.search-result')]"
        ".indexOf(document.activeElement.closest('.search-result'))"
    )
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == 0
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == 2
    page.keyboard.press("ArrowUp")
    assert page.evaluate(focused) == 1
    target = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "site-search"
    assert page.input_value("#site-search") == ""
    page.wait_for_function("document.querySelectorAll('.search-result').length === 0")
    page.keyboard.type("diffusion")
    page.locator(".search-result").nth(1).wait_for(timeout=15000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    target = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    assert watch.problems() == []


def test_the_header_box_opens_with_arrows_and_escape_clears(at_root: Searchable, open_page):
    page, watch = open_page(at_root.url + "archive/")
    page.keyboard.press("/")
    page.keyboard.type("diffusion")
    page.locator(".peek-item").nth(1).wait_for(timeout=15000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    target = page.evaluate("document.activeElement.getAttribute('href')")
    assert target and "/papers/" in target
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    page.keyboard.press("/")
    page.keyboard.type("diffusion")
    page.locator(".peek-item").first.wait_for(timeout=15000)
    page.keyboard.press("Escape")
    assert page.input_value("#site-search") == ""
    assert page.locator(".search-peek").is_hidden()
    assert watch.problems() == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_first_result_is_on_the_first_screen(
    scheme: str, at_root: Searchable, browser
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme=scheme, service_workers="block"
    )
    try:
        page = context.new_page()
        page.goto(at_root.url + "search/?q=diffusion", wait_until="load")
        first = page.locator(".search-result").first
        first.wait_for(timeout=15000)
        box = first.bounding_box()
        assert box is not None and box["y"] + 60 < 844, box  # its title is on the first screen
        toggle = page.locator("#search-filters-toggle")
        assert toggle.is_visible() and page.locator("#search-facets").is_hidden()
        toggle.click()
        assert page.locator("#search-facets").is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390
    finally:
        context.close()


def test_slash_on_the_search_page_focuses_its_search_box(at_root: Searchable, open_page):
    page, _ = open_page(at_root.url + "search/")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"


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
        page.locator(".search-result").first.wait_for(timeout=15000)
        page.locator(".facet").first.wait_for(timeout=15000)
    page.add_script_tag(path=str(AXE))
    found = {"light": serious_violations(page)}
    page.emulate_media(color_scheme="dark")
    found["dark"] = serious_violations(page)
    assert found == {"light": [], "dark": []}
    assert watch.problems() == []


def test_without_an_index_the_search_page_says_search_is_unavailable(
    seed_site, tmp_path: Path, monkeypatch, browser
) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")
    out = tmp_path / "no-index"
    result = build_site(seed_site.root, output=out, search=True)
    (warning,) = [d.format() for d in result.diagnostics if d.path == "search"]
    assert "Pagefind could not run" in warning
    with serve(out) as url:
        page = browser.new_page()
        try:
            page.goto(url + "search/?q=diffusion")
            page.wait_for_function(
                "document.getElementById('search-status').textContent.includes('not available')"
            )
            page.goto(url + "topics/")
            page.fill("#site-search", "diffusion")
            page.locator(".search-peek .search-note").wait_for()
        finally:
            page.close()


def test_without_javascript_the_search_page_points_to_the_indexes(
    at_root: Searchable, browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(at_root.url + "search/?q=diffusion")
        note = page.locator(".search-note")
        assert "needs JavaScript" in note.inner_text()
        links = note.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert [re.sub(r"^.*?/(\w+)/$", r"\1", h) for h in links] == ["topics", "tags", "archive"]
    finally:
        context.close()
