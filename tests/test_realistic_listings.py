"""Realistic scrapes (tests/listings/realistic/): hard-wrapped text, whole copied pages with
their chrome, several institutions, damaged bytes, and files that are not listings. Every
field of every paper is compared with expected.yaml, written by hand from the files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.listings import parse_bytes
from generator.listings.chrome import with_user
from generator.models import Entry, PartialDate

HERE = Path(__file__).resolve().parent / "listings"
# Written by four hands apart from the parser's: realistic/ first, then heldout/ (74 papers,
# 65 right and 15 extra before the parser saw it), blind/ (82 papers, 80 right and 4 extra
# before it saw it: a BibTeX file read as a listing, two titles in a row joined) and blind2/
# (100 papers, 97 right and 10 extra before: an e-mail read as a listing, a Title Case
# abstract under its title with no blank line taken for the title's second line).
FOLDERS = (HERE / "realistic", HERE / "heldout", HERE / "blind", HERE / "blind2")
EXPECTED = {
    (folder, name): want
    for folder in FOLDERS
    for name, want in yaml.safe_load((folder / "expected.yaml").read_text("utf-8")).items()
}


def test_listing_chrome_from_digest_yaml_is_skipped():
    text = (
        b"Apr 30\n\nSparse Mixture Models for Retrieval\n\nWe study sparse mixtures for "
        b"dense retrieval and show they halve the index size.\n\nSign in to comment\n"
        b"12 retweets\n\nGraph Transformers at Scale\n\nWe train graph transformers on "
        b"billions of edges and match message passing at a tenth of the cost.\n"
    )
    plain = parse_bytes(text, "x.txt")
    assert "Sign in to comment" in [e.title for e in plain.entries]
    chrome = with_user(("sign in to comment", r"/\d+ retweets/"))
    titles = [e.title for e in parse_bytes(text, "x.txt", chrome).entries]
    assert titles == ["Sparse Mixture Models for Retrieval", "Graph Transformers at Scale"]


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
    files = {(f, p.name) for f in FOLDERS for p in f.iterdir() if p.name != "expected.yaml"}
    assert set(EXPECTED) == files


def cases(refused: bool) -> list:
    return [
        pytest.param(folder, name, id=f"{folder.name}/{name}")
        for (folder, name), want in sorted(EXPECTED.items())
        if bool(want.get("refused")) == refused
    ]


@pytest.mark.parametrize(("folder", "name"), cases(refused=False))
def test_every_field_of_every_paper(folder, name):
    want = EXPECTED[folder, name]
    listing = parse_bytes((folder / name).read_bytes(), name)
    assert [as_expected(e) for e in listing.entries] == want["papers"]
    date = want.get("date")
    assert listing.date == (PartialDate(*date) if date else None)
    assert all(d.path == name and d.line for d in listing.diagnostics if d.level != "info")


@pytest.mark.parametrize(("folder", "name"), cases(refused=True))
def test_what_is_not_a_listing_is_refused_with_one_warning(folder, name):
    listing = parse_bytes((folder / name).read_bytes(), name)
    assert listing.entries == []
    (note,) = listing.diagnostics
    assert (note.level, note.path) == ("warning", name)
    assert note.message.startswith(("not a listing", "no papers found"))
    assert "Abstract:" in note.hint
