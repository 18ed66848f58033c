"""content/papers/*.md across ingests: nothing the user wrote is lost, nothing is rewritten
without cause, a broken record is reported and kept, and writes are atomic."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator.atomic import write_atomic
from generator.front import read_front
from generator.models import Record
from generator.records import dump_record, parse_record, read_record

ABSTRACT = "We study {0}. It matters for {0} at scale, as our experiments on six benchmarks show."
EDITED = """\
---
# my own note on this paper
title: "My Better Title"
abstract: >-
  We study sparse experts. It matters for sparse experts at scale, as our
  experiments on six benchmarks show.
listed: 2025-04-30
sources: [a.txt]
tags: [reading-group, moe]
topic: Efficient Models
---
## Notes

Read with *care*; compare with the dense baseline.
"""


def listing(*titles: str, date: str = "Apr 30") -> str:
    body = "".join(f"{t}\n\n{ABSTRACT.format(t.lower())}\n\n" for t in titles)
    return f"{date}\n\n{body}"


@pytest.fixture
def site(tmp_path, new_site, listing_mtime):
    """A site with one listing of three papers, dated 2025 by its file time."""
    root = new_site(tmp_path / "site", listings=None)
    path = root / "content/listings/a.txt"
    path.write_text(listing("Sparse Experts", "Dense Retrieval", "Prompt Tuning"))
    listing_mtime(path, __import__("datetime").date(2025, 5, 2))
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under content/papers (hidden ones too) with its bytes and mtime."""
    folder = root / "content/papers"
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def add_listing(root: Path, name: str, text: str) -> None:
    (root / "content/listings" / name).write_text(text, encoding="utf-8")


def test_a_second_run_changes_nothing(site, ingest_site):
    first = ingest_site(site)
    assert len(first.new) == 3
    before = snapshot(site)
    second = ingest_site(site)
    assert "0 new, 0 updated" in second.summary()
    assert snapshot(site) == before


def test_a_second_run_of_the_seeds_changes_nothing(tmp_path, new_site, ingest_site):
    root = new_site(tmp_path / "seeds")
    assert "171 new, 0 updated" in ingest_site(root).summary()
    before = snapshot(root)
    assert "171 papers: 0 new, 0 updated" in ingest_site(root).summary()
    assert snapshot(root) == before


def test_hand_edits_survive_three_runs(site, ingest_site):
    ingest_site(site)
    path = site / "content/papers/sparse-experts.md"
    path.write_text(EDITED, encoding="utf-8")
    edited = path.read_bytes()
    for _ in range(3):
        result = ingest_site(site)
        assert (result.new, result.updated) == ([], [])
        assert path.read_bytes() == edited
    assert sorted(p.name for p in (site / "content/papers").iterdir()) == [
        "dense-retrieval.md",
        "prompt-tuning.md",
        "sparse-experts.md",
    ]


def test_a_new_listing_adds_its_name_to_sources_and_keeps_the_edits(site, ingest_site):
    ingest_site(site)
    path = site / "content/papers/sparse-experts.md"
    path.write_text(EDITED, encoding="utf-8")
    add_listing(site, "b.txt", listing("Sparse Experts", "Brand New Paper", date="May 2, 2025"))
    result = ingest_site(site)
    assert (result.new, result.updated) == (["brand-new-paper"], ["sparse-experts"])
    record, _ = read_record(path)
    assert record is not None
    assert record.meta["sources"] == ["a.txt", "b.txt"]
    assert record.meta["title"] == "My Better Title"
    assert record.meta["tags"] == ["reading-group", "moe"]
    assert record.meta["topic"] == "Efficient Models"
    assert record.body == EDITED.split("---\n", 2)[2]
    before = snapshot(site)
    assert "0 new, 0 updated" in ingest_site(site).summary()
    assert snapshot(site) == before


def test_a_deleted_record_comes_back(site, ingest_site):
    ingest_site(site)
    path = site / "content/papers/dense-retrieval.md"
    original = path.read_bytes()
    path.unlink()
    result = ingest_site(site)
    assert (result.new, result.updated) == (["dense-retrieval"], [])
    assert path.read_bytes() == original


def test_slug_collisions_are_numbered_and_stable(site, ingest_site):
    stem = "A Very Long Title About Sparse Mixtures of Experts for Efficient Inference in Large"
    add_listing(site, "b.txt", listing(f"{stem} Language Models", f"{stem} Vision Models"))
    result = ingest_site(site)
    base = "a-very-long-title-about-sparse-mixtures-of-experts-for-efficient-inference-in"
    assert result.new[-2:] == [base, f"{base}-2"]
    first = snapshot(site)
    (site / f"content/papers/{base}.md").unlink()
    assert ingest_site(site).new == [base]
    assert snapshot(site)[f"{base}.md"][0] == first[f"{base}.md"][0]
    assert ingest_site(site).new == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: Sparse Experts\nsources: [a.txt\n---\nnotes\n", 3),  # where [ opened
        ("---\ntitle: Sparse Experts\n  bad: indent\n---\n", 3),
        ("title: Sparse Experts\n", 1),
        ("---\ntitle: Sparse Experts\n", 1),
        ("---\n- just\n- a list\n---\n", 2),
    ],
    ids=["unclosed-list", "bad-indent", "no-front-matter", "unclosed", "not-a-mapping"],
)
def test_a_broken_record_is_reported_and_never_overwritten(site, ingest_site, text, line):
    ingest_site(site)
    path = site / "content/papers/sparse-experts.md"
    path.write_text(text, encoding="utf-8")
    add_listing(site, "b.txt", listing("Sparse Experts"))
    for _ in range(2):
        result = ingest_site(site)
        (problem,) = [d for d in result.diagnostics if d.level == "error"]
        assert (problem.path, problem.line) == ("content/papers/sparse-experts.md", line)
        assert path.read_text(encoding="utf-8") == text
        assert result.new == [] and result.updated == []
    assert len(list((site / "content/papers").iterdir())) == 3


def test_failed_replace_keeps_the_old_file_and_leaves_no_temp_file(site, ingest_site, monkeypatch):
    ingest_site(site)
    before = snapshot(site)
    add_listing(site, "b.txt", listing("Sparse Experts"))

    def fail(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = ingest_site(site)
    (problem,) = [d for d in result.diagnostics if d.level == "error"]
    assert problem.path == "content/papers/sparse-experts.md"
    assert "No space left" in problem.message
    assert result.updated == []
    assert snapshot(site) == before  # the same files, bytes and times: no temp file left


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "r.md"
    path.write_bytes(b"old")

    def fail(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        write_atomic(path, b"new" * 1000)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_written_records_have_ordinary_permissions(site, ingest_site):
    umask = os.umask(0)
    os.umask(umask)
    ingest_site(site)
    path = site / "content/papers/prompt-tuning.md"
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    add_listing(site, "b.txt", listing("Prompt Tuning"))
    assert ingest_site(site).updated == ["prompt-tuning"]
    assert path.stat().st_mode & 0o777 == 0o640


def test_dry_run_writes_nothing(site, ingest_site):
    result = ingest_site(site, dry_run=True)
    assert len(result.new) == 3
    assert not (site / "content/papers").exists()


@pytest.mark.parametrize(
    "meta",
    [
        {"title": "a\x85b\u2028c", "sources": ["x.txt"]},
        {"title": "---", "abstract": "key: value # not a comment", "sources": ["x.txt"]},
        {"title": "yes", "abstract": "null", "sources": ["2024-01-01"]},
        {"title": "\ufeffBOM", "abstract": "'quoted' \"twice\"", "tags": ["@x", "!y", "*z"]},
    ],
)
def test_dump_and_parse_round_trip(meta):
    text = dump_record(Record("s", meta, "body\n---\nmore\n"))
    record, problems = parse_record(text, "s", "s.md")
    assert problems == [] and record is not None
    assert (record.meta, record.body) == (meta, "body\n---\nmore\n")
    assert dump_record(record) == text


TRICKY = [
    "plain words", "it's", "a: b", "a #b", "#c", "- d", "yes", "No", "on", "null", "~", "",
    " lead", "trail ", "12", "012", "0x1F", "1_000", "1:20", "+3", "-3", "1.5", ".inf", "1e5",
    "2024-02-29", "2024-02-30", "2024-1-2", "2024-01-02 10:00", "true", "True", "false",
    "'quoted'", '"dq"', "x'y", "tab\there", "bell\x07", "nbsp\xa0x", "é ünï 模型", "<<", "=",
    "[flow]", "{map}", "a, b", "*alias", "&anchor", "!tag", "|", ">", "%", "@", "`", "key:",
    "line\u2028sep", "\ufeffbom", "a  b", "emoji 🙂", "surrogate?", "?", ":", "-", "FALSE",
    "NULL", "Off", "Nullable", "Offline", "Falsehood", "Yesterday",
]  # fmt: skip
KEYS = ["title", "abstract", "authors_count", "published", "sources", "tags", "yes", "x y"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.one_of(
                st.sampled_from(TRICKY),
                st.text(max_size=12),
                st.integers(-5, 10**20),
                st.booleans(),
                st.none(),
                st.dates(),
                st.lists(st.sampled_from(TRICKY), max_size=3),
            ),
        ),
        max_size=6,
    )
)
def test_front_matter_read_directly_is_what_yaml_reads(fields) -> None:
    """Records as `digest ingest` writes them, with awkward values: the direct reader gives
    YAML's result exactly, or declines."""
    record = Record(slug="s", meta=dict(fields), body="")
    front = dump_record(record).split("---\n")[1]
    direct = read_front(front)
    if direct is not None:
        expected = yaml.safe_load(front)
        assert direct == expected
        assert [type(v) for v in direct.values()] == [type(v) for v in expected.values()]


@given(st.lists(st.sampled_from([*(f"k: {t}" for t in TRICKY), "k:", "- x", "- ", "k2: v"])))
def test_front_matter_lines_the_direct_reader_accepts_read_as_in_yaml(lines) -> None:
    front = "".join(f"{line}\n" for line in lines)
    direct = read_front(front)
    if direct is not None:
        assert direct == yaml.safe_load(front)


def test_a_new_source_is_added_by_lines_keeping_comments_and_layout(site, ingest_site):
    ingest_site(site)
    path = site / "content/papers/sparse-experts.md"
    path.write_text(EDITED, encoding="utf-8")
    add_listing(site, "b.txt", listing("Sparse Experts", date="May 2, 2025"))
    ingest_site(site)
    assert path.read_text(encoding="utf-8") == EDITED.replace(
        "sources: [a.txt]", "sources: [a.txt, b.txt]"
    )
    block = EDITED.replace("sources: [a.txt]", "sources:\n  - a.txt  # where I saw it")
    path.write_text(block, encoding="utf-8")
    add_listing(site, "c.txt", listing("Sparse Experts", date="May 3, 2025"))
    ingest_site(site)
    assert path.read_text(encoding="utf-8") == block.replace(
        "  - a.txt  # where I saw it", "  - a.txt  # where I saw it\n  - b.txt\n  - c.txt"
    )


def test_a_save_made_while_the_build_merges_is_kept(site, ingest_site, monkeypatch):
    import generator.ingest.record_files

    ingest_site(site)
    path = site / "content/papers/sparse-experts.md"
    add_listing(site, "b.txt", listing("Sparse Experts", date="May 2, 2025"))
    saves = ["\nMy notes, saved while the build ran.\n", "\nAnd a second save.\n"]
    amend = generator.ingest.record_files.amend_front

    def save_then_amend(*args):
        if saves:  # the user saves between the build's read and its replace
            path.write_text(path.read_text(encoding="utf-8") + saves.pop(0), encoding="utf-8")
        return amend(*args)

    monkeypatch.setattr(generator.ingest.record_files, "amend_front", save_then_amend)
    result = ingest_site(site)
    assert result.updated == ["sparse-experts"]
    record, _ = read_record(path)
    assert record is not None and record.meta["sources"] == ["a.txt", "b.txt"]
    assert "saved while the build ran" in record.body and "a second save" in record.body
