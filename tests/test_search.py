"""Search: the records given to Pagefind (text, filters, sort keys, what a card shows), made
from the papers; the indexer skipped when they did not change; a real index; a build that
succeeds with one warning, saying why, when Pagefind cannot run."""

from __future__ import annotations

import json
import shutil
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


def model_of(root: Path):
    """The site model a build of `root` makes (built without search)."""
    from generator.config import load_config
    from generator.ingest import ingest
    from generator.site import ModelMemo, build_model

    config, _ = load_config(root / "digest.yaml")
    ingested = ingest(root, config)
    site, _ = build_model(
        config, ingested.records.values(), ingested.listing_dates, ModelMemo(), [], set()
    )
    return site


def test_a_record_holds_what_search_needs(tiny_site: Path) -> None:
    site = model_of(tiny_site)
    records = {r.url: r for r in search.index_input(site)}
    paper = next(p for p in site.papers if p.code_links)
    record = records[paper.url]
    assert record.url == f"papers/{paper.slug}/"  # relative: the script resolves it
    title, _, abstract = record.content.partition(search.TITLE_END)
    assert title.strip() == "Photonic Lattices for Quantum Walks"
    assert abstract.strip().startswith("We build photonic lattices")
    assert record.filters == {
        "topic": [paper.topic],
        "tag": list(paper.tags),
        "year": ["2024"],
        "code": ["has code"],
    }
    assert record.sort == {"date": "2024-04-30"}
    assert record.meta["title"] == "Photonic Lattices for Quantum Walks"
    assert record.meta["date"] == "2024-04-30" and record.meta["code"] == "1"
    assert record.meta["topic"] == paper.topic
    topic_slug = next(g.slug for g in site.topics if g.name == paper.topic)
    assert record.meta["topic_slug"] == topic_slug
    tag_slugs = {g.name: g.slug for g in site.tags}
    shown = json.loads(record.meta["tags"])
    assert shown == [[t, tag_slugs[t]] for t in paper.tags[: search.CARD_TAGS]]
    other = next(r for r in records.values() if r is not record)
    assert "code" not in other.filters and "code" not in other.meta


def test_names_with_markup_are_given_as_they_are(tmp_path: Path, new_site) -> None:
    """No HTML is made of them here: the page inserts them as text."""
    root = new_site(tmp_path / "hostile", listings=None, listing_years={"001_t.txt": 2024})
    (root / "content" / "listings" / "001_t.txt").write_text(LISTING, encoding="utf-8")
    build_site(root, search=False)
    record = next((root / "content" / "papers").glob("sparse-*.md"))
    evil = "<img src=x onerror=alert(1)>"
    text = record.read_text(encoding="utf-8").replace("---\n", f"---\ntopic: '{evil}'\n", 1)
    record.write_text(text.replace("sources:", f"tags: ['{evil}']\nsources:"), encoding="utf-8")
    site = model_of(root)
    found = next(r for r in search.index_input(site) if r.url.startswith("papers/sparse-"))
    assert found.filters["topic"] == [evil] and evil in found.filters["tag"]
    assert found.meta["topic"] == evil and json.loads(found.meta["tags"])[0][0] == evil


def test_math_in_a_title_is_rendered_for_the_card(tmp_path: Path, new_site) -> None:
    root = new_site(tmp_path / "math", listings=None, listing_years={"001_m.txt": 2024})
    listing = "Apr 30\n\n$R^2$-Tuning for Walks\n\nWe tune walks on chip for long documents.\n"
    (root / "content" / "listings" / "001_m.txt").write_text(listing, encoding="utf-8")
    (record,) = search.index_input(model_of(root))
    assert "<math" in record.meta["title_html"] and "<msup>" in record.meta["title_html"]
    assert record.meta["title"].startswith("R^2")


def test_the_digest_changes_with_what_is_indexed_only(tiny_site: Path) -> None:
    import dataclasses

    site = model_of(tiny_site)
    before = search.input_digest(site)
    first = site.papers[0]
    noted = dataclasses.replace(first, notes="A note of mine.", authors_count=3)
    assert (
        search.input_digest(dataclasses.replace(site, papers=(noted, *site.papers[1:]))) == before
    )
    for change in ({"title": "Another"}, {"tags": ("New",)}, {"topic": "Elsewhere"}):
        edited = dataclasses.replace(first, **change)
        other = dataclasses.replace(site, papers=(edited, *site.papers[1:]))
        assert search.input_digest(other) != before, change


def test_pagefind_indexes_the_papers(tiny_site: Path) -> None:
    result = build_site(tiny_site, search=True)
    assert search_warnings(result) == []
    bundle = result.output / "pagefind"
    assert (bundle / "pagefind.js").is_file()
    assert not list(bundle.glob("pagefind-*ui*"))  # the theme has its own UI
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 2
    assert not (result.output / search.STAGING).exists()


def test_the_indexer_is_skipped_when_nothing_it_indexes_changed(tiny_site: Path, monkeypatch):
    build_site(tiny_site, search=True)
    runs = []
    real = search.index_records

    async def counted(*args):
        runs.append(args)
        await real(*args)

    monkeypatch.setattr(search, "index_records", counted)
    record = next((tiny_site / "content" / "papers").glob("*.md"))
    record.write_text(record.read_text(encoding="utf-8") + "\nMy notes.\n", encoding="utf-8")
    result = build_site(tiny_site, search=True)
    assert result.drawn >= 1 and runs == []  # a notes edit: the page, not the index
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace("tags:", "tags: [Fresh]\nold_tags:", 1)
        if "tags:" in text
        else text.replace("---\n", "---\ntags: [Fresh]\n", 1),
        encoding="utf-8",
    )
    build_site(tiny_site, search=True)
    assert len(runs) == 1
    shutil.rmtree(tiny_site / "site" / "pagefind")  # deleted by hand: made again
    build_site(tiny_site, search=True)
    assert len(runs) == 2 and (tiny_site / "site" / "pagefind" / "pagefind.js").is_file()


def test_a_torn_index_is_never_swapped_in(tiny_site: Path, monkeypatch) -> None:
    """An index with a file Pagefind left empty (Pagefind#1271: it answered before its
    writes were done) would break search: the last good index is kept, with a warning."""
    first = build_site(tiny_site, search=True)
    bundle = first.output / "pagefind"
    before = (bundle / "pagefind.js").read_bytes()
    real = search.index_records

    runs = []

    async def torn(records, language, staging, *args):
        runs.append(staging)
        await real(records, language, staging, *args)
        (staging / "pagefind.js").write_bytes(b"")

    monkeypatch.setattr(search, "index_records", torn)
    record = next((tiny_site / "content" / "papers").glob("*.md"))
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("title:", "title: Retitled\nold_title:", 1), encoding="utf-8")
    result = build_site(tiny_site, search=True)
    assert result.ok
    assert len(search_warnings(result)) == 1
    assert "left files of the index empty" in search_warnings(result)[0]
    assert "index of the last build is kept" in search_warnings(result)[0]
    assert (bundle / "pagefind.js").read_bytes() == before
    assert not (result.output / search.STAGING).exists()
    assert len(runs) == search.TRIES  # indexed again each time it came out torn


def test_an_index_torn_once_is_made_again(tiny_site: Path, monkeypatch) -> None:
    real = search.index_records
    runs = []

    async def torn_once(records, language, staging, *args):
        runs.append(staging)
        await real(records, language, staging, *args)
        if len(runs) == 1:
            (staging / "pagefind-entry.json").write_bytes(b"")

    monkeypatch.setattr(search, "index_records", torn_once)
    result = build_site(tiny_site, search=True)
    assert search_warnings(result) == [] and len(runs) == 2
    entry = json.loads((result.output / "pagefind" / "pagefind-entry.json").read_text())
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == 2


def test_pagefind_ends_by_itself_once_the_index_is_written(tiny_site: Path, monkeypatch):
    """Pagefind is let end on its own (its writes all done) rather than stopped."""
    from generator import pagefind_service

    stopped = []
    real = pagefind_service._service_class

    def watched(niceness: int) -> type:
        class Watched(real(niceness)):  # type: ignore[misc]
            async def close(self) -> None:
                stopped.append(self._backend.returncode)
                await super().close()

        return Watched

    monkeypatch.setattr(pagefind_service, "_service_class", watched)
    result = build_site(tiny_site, search=True)
    assert search_warnings(result) == []
    assert stopped == [0]  # it had exited, cleanly, before close


@pytest.mark.parametrize(
    ("binary", "said"),
    [
        (None, "the Pagefind binary was not found"),
        ([sys.executable, "-c", "import sys; sys.exit(3)"], "Pagefind"),
        (["/nonexistent/pagefind"], "Pagefind could not run"),
    ],
    ids=["missing", "failing", "not-runnable"],
)
def test_without_pagefind_the_build_succeeds_with_one_warning_saying_why(
    binary, said, tiny_site: Path, monkeypatch
) -> None:
    if binary is None:
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", "")
        monkeypatch.setattr("pagefind.service.get_executable", lambda: None)
    else:
        script = tiny_site.parent / "fake-pagefind"
        script.write_text("#!/bin/sh\nexec " + " ".join(binary) + "\n")
        script.chmod(0o755)
        monkeypatch.setenv(
            "PAGEFIND_BINARY_PATH",
            str(script) if binary[0] != "/nonexistent/pagefind" else binary[0],
        )
    result = build_site(tiny_site, search=True)
    assert result.ok
    assert len(search_warnings(result)) == 1, result.diagnostics
    assert said in search_warnings(result)[0]
    assert "built without search" in search_warnings(result)[0]
    assert [d for d in result.diagnostics if d.level == "warning"] == [
        d for d in result.diagnostics if d.path == "search"
    ]
    assert (result.output / "search" / "index.html").is_file()
    assert len(list((result.output / "papers").glob("*/index.html"))) == 2
    assert not (result.output / "pagefind").exists()
    assert not (result.output / search.STAGING).exists()


def test_search_off_in_the_config_runs_no_pagefind(tmp_path: Path, new_site, monkeypatch):
    root = new_site(tmp_path / "off", listings=None, search=False)
    monkeypatch.setattr(search, "index_records", lambda *a: pytest.fail("Pagefind was run"))
    result = build_site(root, search=True)
    assert search_warnings(result) == []
    assert "search.js" not in (result.output / "index.html").read_text(encoding="utf-8")


def test_no_page_carries_pagefind_markup(seed_site: BuiltSite) -> None:
    """Pagefind reads no page: the records come from the papers."""
    for relative in seed_site.html_pages():
        assert "data-pagefind" not in seed_site.text(relative), relative


def test_the_search_page_has_one_box_and_every_other_header_leads_to_search(
    seed_site: BuiltSite,
) -> None:
    page = seed_site.page("search/index.html")
    boxes = [n for n in page.iter() if n.tag == "input" and n.attrs.get("type") == "search"]
    assert len(boxes) == 1 and boxes[0].attrs["id"] == "site-search"
    form = page.find("form", role="search")
    assert seed_site.resolve("search/index.html", form.attrs["data-bundle"]) == "pagefind/"
    noscript = page.find("noscript")
    assert noscript is not None
    hrefs = {
        seed_site.resolve("search/index.html", a.attrs["href"])
        for a in noscript.iter()
        if a.tag == "a"
    }
    assert hrefs == {"topics/", "tags/", "archive/"}
    for relative in ("index.html", "topics/index.html"):
        form = seed_site.page(relative).find("form", role="search")
        assert seed_site.resolve(relative, form.attrs["action"]) == "search/"
