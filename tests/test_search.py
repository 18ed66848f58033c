"""Search: what the paper pages give Pagefind (text, filters, sort), a real index of paper
pages only, and a build that succeeds with one warning when Pagefind cannot run."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator import search
from generator.build import build_site

if TYPE_CHECKING:
    from conftest import BuiltSite

LISTING = """Apr 30

Photonic Lattices for Quantum Walks

We build photonic lattices that run quantum walks on chip. Code: https://github.com/x/walks

Sparse Attention for Long Documents

We study sparse attention for long documents and language models.
"""


@pytest.fixture
def tiny_site(tmp_path: Path, new_site) -> Path:
    root = new_site(tmp_path / "tiny", listings=None, listing_years={"001_tiny.txt": 2024})
    (root / "content" / "listings" / "001_tiny.txt").write_text(LISTING, encoding="utf-8")
    return root


def search_warnings(result) -> list[str]:
    return [d.format() for d in result.diagnostics if d.path == "search"]


def test_paper_pages_give_pagefind_text_filters_and_a_date(seed_site: BuiltSite) -> None:
    papers = json.loads(seed_site.text("papers.json"))
    paper = next(p for p in papers if p.get("published") and p["tags"] and p.get("links"))
    tree = seed_site.page(f"{paper['url']}index.html")
    bodies = [n for n in tree.iter() if "data-pagefind-body" in n.attrs]
    assert len(bodies) == 1 and bodies[0].tag == "article"
    filters: dict[str, set[str]] = {}
    for node in tree.iter():
        spec = node.attrs.get("data-pagefind-filter")
        if spec:
            name, _, value = spec.partition(":")
            filters.setdefault(name, set()).add(value or node.text().strip())
    # topics and tags by slug, named by the search page (Pagefind's UI runs names as HTML)
    mount = seed_site.page("search/index.html").find("div", id="search")
    names = json.loads(mount.attrs["data-filter-names"])
    assert all(re.fullmatch(r"[a-z0-9-]+", v) for v in filters["topic"] | filters["tag"])
    assert {names["topic"][slug] for slug in filters["topic"]} == {paper["topic"]}
    assert {names["tag"][slug] for slug in filters["tag"]} == set(paper["tags"])
    assert filters["year"] == {paper["published"][:4]}
    sorts = [n.attrs["data-pagefind-sort"] for n in tree.iter() if "data-pagefind-sort" in n.attrs]
    assert sorts == [f"date:{paper['published']}"]
    ignored = [n for n in tree.iter() if "data-pagefind-ignore" in n.attrs]
    assert {n.tag for n in ignored} >= {"dl", "nav", "section"}  # facts, breadcrumbs, cite


def test_only_paper_pages_are_searchable(seed_site: BuiltSite) -> None:
    for relative in seed_site.html_pages():
        has_body = "data-pagefind-body" in seed_site.text(relative)
        assert has_body == relative.startswith("papers/"), relative


def test_the_search_page_and_every_header_lead_to_search(seed_site: BuiltSite) -> None:
    page = seed_site.page("search/index.html")
    mount = page.find("div", id="search")
    assert seed_site.resolve("search/index.html", mount.attrs["data-bundle"]) == "pagefind/"
    assert page.find("noscript") is not None
    for relative in ("index.html", "topics/index.html", "search/index.html"):
        form = seed_site.page(relative).find("form", role="search")
        assert seed_site.resolve(relative, form.attrs["action"]) == "search/"


def test_pagefind_indexes_the_paper_pages(tiny_site: Path) -> None:
    result = build_site(tiny_site, search=True)
    assert search_warnings(result) == []
    bundle = result.output / "pagefind"
    assert (bundle / "pagefind-ui.js").is_file() and (bundle / "pagefind-ui.css").is_file()
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 2
    assert not (result.output / ".pagefind.tmp").exists()


@pytest.mark.parametrize(
    "command",
    [None, [sys.executable, "-c", "import sys; sys.exit(3)"], ["/nonexistent/pagefind"]],
    ids=["missing", "failing", "not-runnable"],
)
def test_without_pagefind_the_build_succeeds_with_one_warning(
    command, tiny_site: Path, monkeypatch
) -> None:
    monkeypatch.setattr(search, "pagefind_command", lambda: command)
    result = build_site(tiny_site, search=True)
    assert result.ok
    assert len(search_warnings(result)) == 1, result.diagnostics
    assert "built without search" in search_warnings(result)[0]
    assert [d for d in result.diagnostics if d.level == "warning"] == [
        d for d in result.diagnostics if d.path == "search"
    ]
    assert (result.output / "search" / "index.html").is_file()
    assert len(list((result.output / "papers").glob("*/index.html"))) == 2
    assert not (result.output / "pagefind").exists()


def test_search_off_in_the_config_runs_no_pagefind(tmp_path: Path, new_site, monkeypatch):
    root = new_site(tmp_path / "off", listings=None, search=False)
    monkeypatch.setattr(search, "pagefind_command", lambda: pytest.fail("Pagefind was run"))
    result = build_site(root, search=True)
    assert search_warnings(result) == []
