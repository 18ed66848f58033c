"""Realistic scrapes (tests/listings/realistic/): hard-wrapped text, whole copied pages with
their chrome, several institutions, damaged bytes, and files that are not listings. Every
field of every paper is compared with expected.yaml, written by hand from the files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.listings import parse_bytes
from generator.models import Entry, PartialDate

CASES = Path(__file__).resolve().parent / "listings" / "realistic"
EXPECTED = yaml.safe_load((CASES / "expected.yaml").read_text(encoding="utf-8"))


def as_expected(entry: Entry) -> dict:
    """An entry in expected.yaml's shape: absent fields left out."""
    out: dict = {"title": entry.title, "abstract": entry.abstract}
    if entry.authors_count is not None:
        out["authors"] = entry.authors_count
    if entry.published is not None:
        published = entry.published
        out["published"] = [published.month, published.day, published.year]
    if entry.affiliation is not None:
        out["affiliation"] = entry.affiliation
    return out


def test_the_corpus_is_large_and_varied():
    papers = sum(len(want.get("papers", [])) for want in EXPECTED.values())
    assert len(EXPECTED) >= 12 and papers >= 80
    assert sorted(EXPECTED) == sorted(p.name for p in CASES.iterdir() if p.suffix != ".yaml")


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if not w.get("refused")))
def test_every_field_of_every_paper(name):
    want = EXPECTED[name]
    listing = parse_bytes((CASES / name).read_bytes(), name)
    assert [as_expected(e) for e in listing.entries] == want["papers"]
    date = want.get("date")
    assert listing.date == (PartialDate(*date) if date else None)
    assert all(d.path == name and d.line for d in listing.diagnostics if d.level != "info")


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if w.get("refused")))
def test_what_is_not_a_listing_is_refused_with_one_warning(name):
    listing = parse_bytes((CASES / name).read_bytes(), name)
    assert listing.entries == []
    (note,) = listing.diagnostics
    assert (note.level, note.path) == ("warning", name)
    assert note.message.startswith("not a listing") and "Abstract:" in note.hint
