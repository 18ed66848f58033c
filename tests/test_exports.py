"""papers.json and sitemap.xml as made from per-paper parts: the same bytes as encoding
the whole at once, and still right after a paper changes."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from generator.config import load_config
from generator.exports import SITEMAP, paper_record, papers_json, sitemap
from generator.ingest import load_records
from generator.site import build_model

REPO = Path(__file__).resolve().parents[1]


def seed_papers() -> tuple:
    config, _ = load_config(REPO / "digest.yaml")
    records, _ = load_records(REPO / "content" / "papers", [])
    site, _ = build_model(config, records.values(), {})
    return config, site.papers


def whole(papers: tuple) -> bytes:
    return (
        json.dumps([paper_record(p) for p in papers], ensure_ascii=False, indent=1).encode() + b"\n"
    )


def test_papers_json_from_parts_equals_one_encoding_and_follows_edits() -> None:
    _, papers = seed_papers()
    memo: dict = {}
    keys = {p.slug: f"{p.slug}-v1" for p in papers}
    assert papers_json(papers) == papers_json(papers, keys, memo) == whole(papers)
    assert len(memo) == len(papers)
    edited = dataclasses.replace(papers[3], title='A "quoted" title\nwith ünïcode', tags=("X",))
    papers = (*papers[:3], edited, *papers[4:])
    keys[edited.slug] = "v2"
    again = papers_json(papers, keys, memo)
    assert again == whole(papers)
    assert json.loads(again)[3]["title"] == edited.title
    assert papers_json(()) == b"[]\n"


def test_sitemap_lists_absolute_escaped_urls_but_not_the_404() -> None:
    config, _ = seed_papers()
    config = dataclasses.replace(config, base_url="https://example.org/a&b/")
    data = sitemap(config, ["index.html", "404.html", "papers/x/index.html", "feed.xml"])
    root = ET.fromstring(data)
    locs = [loc.text for loc in root.iter(f"{{{SITEMAP}}}loc")]
    assert locs == [
        "https://example.org/a&b/",
        "https://example.org/a&b/papers/x/",
        "https://example.org/a&b/feed.xml",
    ]
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns=')


def test_a_json_part_is_what_json_dumps_writes() -> None:
    """json_part writes a paper record as json.dumps(indent=1) would, one space further in,
    for every kind of value a record holds, and falls back to json.dumps for others."""
    from generator.exports import json_part

    records = [
        {},
        {"title": 'Quotes " and \\ backslashes, \t tab, \x01 control, \u2028 separator'},
        {"title": "Ünïcödé, 中文, emoji 🧪", "tags": [], "sources": ["a.txt", 'b "c".txt']},
        {"authors_count": 0, "title_inferred": True, "published_inferred": False, "x": None},
        {"nested": {"a": [1, 2]}, "float": 1.5},  # not in a record: json.dumps's way
        {"links": ["https://example.org/?q=1&r=<2>"], "count": -3},
    ]
    _, papers = seed_papers()
    records += [paper_record(p) for p in papers[:20]]
    for record in records:
        expected = " " + json.dumps(record, ensure_ascii=False, indent=1).replace("\n", "\n ")
        assert json_part(record) == expected, record
