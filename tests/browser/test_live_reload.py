"""Live reload end to end: `digest serve` in a temporary site, Debian's chromium driven by
Playwright, files edited on disk while the pages are open."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

from generator.reload import OVERLAY_ID
from generator.themes import builtin_themes

SLUG = "a-neural-space-time-representation-for-text-to-image-personalization"


@pytest.fixture(scope="module")
def chromium(browser: Browser) -> Browser:
    return browser  # the session's one browser (tests/conftest.py)


@pytest.fixture(scope="module")
def shared(
    serve_template: Path, serve_in: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """One server for the tests that leave the site as they found it."""
    root = tmp_path_factory.mktemp("live-reload") / "site"
    shutil.copytree(serve_template, root, copy_function=shutil.copy2)
    site = serve_in(root)
    yield site
    assert site.stop() == 0


@pytest.fixture
def served(shared: Any) -> Any:
    shared.settle()
    return shared


def open_page(chromium: Browser, url: str) -> Page:
    page = chromium.new_page(viewport={"width": 900, "height": 400})
    page.goto(url)
    page.evaluate("() => { window.__digestTestMark = true; }")  # gone after a reload
    return page


def reloaded(page: Page) -> bool:
    return not page.evaluate("() => window.__digestTestMark === true")


def append_notes(record: Path, sentence: str) -> None:
    text = record.read_text(encoding="utf-8")
    record.write_text(text.rstrip("\n") + f"\n\n{sentence}\n", encoding="utf-8")


def test_notes_edit_appears_and_scroll_is_kept(chromium: Browser, served: Any) -> None:
    page = open_page(chromium, f"{served.url}papers/{SLUG}/")
    home = open_page(chromium, served.url)  # a page the edit does not change
    page.evaluate("() => window.scrollTo(0, 300)")
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 0
    sentence = f"A sentence written at {time.time():.0f} while the page was open."
    start = time.perf_counter()
    append_notes(served.root / "content" / "papers" / f"{SLUG}.md", sentence)
    expect(page.get_by_text(sentence)).to_be_visible(timeout=10000)
    elapsed = time.perf_counter() - start
    assert not reloaded(page)  # the new body was swapped in: no reload, no flash
    assert abs(page.evaluate("() => window.scrollY") - scrolled) <= 2
    assert not reloaded(home)  # not among the pages the build wrote
    page.close()
    home.close()
    build = served.status()["recent"][-1]["seconds"]
    # Watching, debouncing, reloading and painting are serve's share, and must be quick.
    assert elapsed - build < 0.75, f"{elapsed:.2f}s, of which the build took {build:.2f}s"
    if elapsed >= 2.0 and build >= 1.25:
        pytest.xfail(f"BuildSession.build took {build:.2f}s of the {elapsed:.2f}s (issue: builds)")
    assert elapsed < 2.0, f"took {elapsed:.2f}s (the build {build:.2f}s)"


def test_a_title_edit_refreshes_the_page_and_its_head_in_place(
    chromium: Browser, served: Any
) -> None:
    """The <title> and <meta> of the page change with its body, without a reload: the page
    loads the same stylesheets and scripts."""
    record = served.root / "content" / "papers" / f"{SLUG}.md"
    good = record.read_text(encoding="utf-8")
    page = open_page(chromium, f"{served.url}papers/{SLUG}/")
    title = f"A Retitled Paper {time.time():.0f}"
    record.write_text(good.replace("\ntitle: ", f"\ntitle: {title} ", 1), encoding="utf-8")
    try:
        expect(page.locator("h1")).to_contain_text(title, timeout=10000)
        assert title in page.title()
        assert not reloaded(page)  # swapped in: no reload, no flash
        assert page.locator("head > title").count() == 1
        assert page.locator('head > link[rel="canonical"]').count() == 1
        sheets = page.evaluate("() => document.styleSheets.length")
        assert sheets >= 2  # the stylesheets were kept, not loaded again
    finally:
        record.write_text(good, encoding="utf-8")
        page.close()


def test_broken_record_shows_the_overlay_until_fixed(chromium: Browser, served: Any) -> None:
    record = served.root / "content" / "papers" / f"{SLUG}.md"
    good = record.read_text(encoding="utf-8")
    page = open_page(chromium, f"{served.url}papers/{SLUG}/")
    served.wait_for(lambda s: s["last_good_ready"])
    record.write_text(good.replace("---\n", "---\ntitle: [<b>unclosed\n", 1), encoding="utf-8")
    overlay = page.locator(f"#{OVERLAY_ID}")
    expect(overlay).to_be_visible(timeout=10000)
    expect(overlay).to_contain_text(f"content/papers/{SLUG}.md:")
    assert page.locator(f"#{OVERLAY_ID} b").count() == 0  # the message is text, not markup
    assert overlay.evaluate("e => getComputedStyle(e).position") == "fixed"
    assert not reloaded(page)  # the last good page stays, under the overlay
    # the server still answers, and a page loaded now gets the overlay from the server
    second = chromium.new_page()
    second.goto(f"{served.url}papers/{SLUG}/")
    expect(second.locator(f"#{OVERLAY_ID}")).to_be_visible()
    expect(second.locator("h1")).not_to_have_text("Page not found")  # the last good page
    record.write_text(good, encoding="utf-8")
    expect(overlay).to_have_count(0, timeout=10000)
    expect(second.locator(f"#{OVERLAY_ID}")).to_have_count(0, timeout=10000)
    page.close()
    second.close()


def test_base_template_override_updates_every_open_page(chromium: Browser, served: Any) -> None:
    home = open_page(chromium, served.url)
    paper = open_page(chromium, f"{served.url}papers/{SLUG}/")
    base = builtin_themes() / "default" / "templates" / "base.html"
    override = served.root / "themes" / "default" / "templates" / "base.html"
    before = served.status()["builds"]
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(base.read_text(encoding="utf-8"), encoding="utf-8")
    served.wait_for(lambda s: s["builds"] > before)
    served.settle()
    banner = "Banner from a site-level template override"
    text = override.read_text(encoding="utf-8")
    override.write_text(text.replace("<main", f'<p id="banner">{banner}</p>\n<main', 1))
    for page in (home, paper):
        expect(page.locator("#banner")).to_have_text(banner, timeout=10000)
    override.unlink()
    for page in (home, paper):
        expect(page.locator("#banner")).to_have_count(0, timeout=10000)
    home.close()
    paper.close()


def test_a_head_that_loads_something_new_reloads_the_page(chromium: Browser, served: Any) -> None:
    """A swap keeps what the old <head> loaded: a new stylesheet in it needs a reload."""
    paper = open_page(chromium, f"{served.url}papers/{SLUG}/")
    base = builtin_themes() / "default" / "templates" / "base.html"
    override = served.root / "themes" / "default" / "templates" / "base.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    link = '<link rel="stylesheet" href="{{ root }}static/extra.css">'
    override.write_text(base.read_text(encoding="utf-8").replace("</head>", f"{link}\n</head>"))
    try:
        expect(paper.locator('head > link[href$="static/extra.css"]')).to_have_count(
            1, timeout=10000
        )
        assert reloaded(paper)
    finally:
        override.unlink()
        paper.close()


def test_stylesheet_change_swaps_without_reload(chromium: Browser, served: Any) -> None:
    page = open_page(chromium, served.url)
    style = builtin_themes() / "default" / "static" / "style.css"
    override = served.root / "themes" / "default" / "static" / "style.css"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(style.read_text(encoding="utf-8"), encoding="utf-8")
    served.settle()
    page.reload()
    page.evaluate("() => { window.__digestTestMark = true; }")
    override.write_text(
        override.read_text(encoding="utf-8") + "\nbody { outline: 7px solid rgb(1, 2, 3); }\n"
    )
    page.wait_for_function(
        "() => getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'", timeout=10000
    )
    assert not reloaded(page)
    override.unlink()
    page.close()


def test_server_restart_reloads_the_page(chromium: Browser, serve_copy: Callable[..., Any]) -> None:
    served = serve_copy()
    page = open_page(chromium, served.url)
    port = served.port
    assert served.stop() == 0
    again = serve_copy("site", port)
    assert again.port == port
    page.wait_for_function("() => window.__digestTestMark !== true", timeout=10000)
    page.close()
