"""Search stays fresh while `digest serve` runs: a listing dropped in is indexed in the
background, and a word from one of its abstracts is found on the search page within 10 s."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from chromium import CHROMIUM

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser

WORD = "zyxoptronic"
LISTING = f"""May 2

Zyxoptronic Lattices for Photon Counting

We introduce {WORD} lattices that count photons on chip, and measure them at scale.
"""
FOUND = "document.querySelector('.search-result .paper-title a')"


def indexed(served: Any) -> int:
    """Papers in the served index (0 while there is none)."""
    status, _, body = served.get("/pagefind/pagefind-entry.json")
    if status != 200:
        return 0
    return sum(lang["page_count"] for lang in json.loads(body)["languages"].values())


def searching(browser: Browser, serve_copy: Callable[..., Any]) -> tuple[Any, Any]:
    """The seeds served, their first index in, and a page searching for WORD."""
    served = serve_copy()
    served.settle()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        served.wait_for(lambda _: indexed(served) > 0, timeout=60)
        page.goto(served.url + f"search/?q={WORD}")
        page.wait_for_selector("#search-results[aria-busy=false]", state="attached")
    except BaseException:
        page.close()
        raise
    return served, page


def test_a_paper_added_while_serving_is_found_within_ten_seconds(
    browser: Browser, serve_copy: Callable[..., Any]
) -> None:
    served, page = searching(browser, serve_copy)
    try:
        before = indexed(served)
        assert page.locator(".search-result").count() == 0
        (served.root / "content" / "listings" / "099_added.txt").write_text(LISTING)
        start = time.monotonic()
        while time.monotonic() - start < 10 and indexed(served) < 1 + before:
            time.sleep(0.1)  # the index's page count, over HTTP (cheaper than a page load)
        page.close()  # the open page reloads itself now (see the next test): a new one
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(served.url + f"search/?q={WORD}")
        page.wait_for_selector("#search-results[aria-busy=false]", state="attached")
        found = time.monotonic() - start if page.locator(".search-result").count() else None
        assert found is not None and found < 10, f"not found within 10 s ({found})"
        link = page.locator(".search-result .paper-title a").first
        assert link.inner_text().startswith("Zyxoptronic Lattices")
        assert "/papers/zyxoptronic-lattices" in (link.get_attribute("href") or "")
    finally:
        page.close()
    assert served.stop() == 0


def test_an_open_search_page_reloads_when_the_index_is_in(
    browser: Browser, serve_copy: Callable[..., Any]
) -> None:
    served, page = searching(browser, serve_copy)
    try:
        (served.root / "content" / "listings" / "099_added.txt").write_text(LISTING)
        page.wait_for_function(f"{FOUND} !== null", timeout=10_000)
    finally:
        page.close()
    assert served.stop() == 0
