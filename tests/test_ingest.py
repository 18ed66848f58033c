"""Listings → records: the seeds, years, duplicates across files, and damaged listings among
good ones. Every site is a copy under tmp_path; the repository's content/papers is never
written."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from generator.records import read_record
from generator.titles import MAX_LENGTH

REPO = Path(__file__).resolve().parents[1]
AFFILIATION, DAILY, META, DAILY_2 = sorted(p.name for p in (REPO / "content/listings").iterdir())
METHODS = ("L2COcc", "RecBench", "LoRA-Null", "IteRPrimE", "TimesBERT", "MEC", "SPPD")
# The paper dates of the metadata seed written without a year, by line.
YEARLESS = {55, 139, 179, 195, 243, 251, 259, 363, 411, 419, 435}
ABSTRACT = "We study {0}. It matters for {0} at scale, as our experiments on six benchmarks show."


def listing(*papers: tuple[str, str], date: str = "Apr 30") -> str:
    return date + "\n\n" + "".join(f"{title}\n\n{abstract}\n\n" for title, abstract in papers)


def paper(title: str, topic: str = "") -> tuple[str, str]:
    return title, ABSTRACT.format(topic or title.lower())


@pytest.fixture(scope="module")
def seeds(tmp_path_factory, new_site, ingest_site, listing_mtime):
    """The seed listings ingested once, their files dated 2 May 2025."""
    root = new_site(tmp_path_factory.mktemp("seeds"))
    for path in (root / "content/listings").iterdir():
        listing_mtime(path, dt.date(2025, 5, 2))
    return root, ingest_site(root)


@pytest.fixture
def site(tmp_path, new_site):
    """An empty site: the repository's digest.yaml and no listings."""
    return new_site(tmp_path / "site", listings=None)


def records(root: Path) -> dict[str, dict]:
    """Every record's front matter by slug, read as the generator reads it."""
    out = {}
    for path in sorted((root / "content/papers").glob("*.md")):
        record, problems = read_record(path)
        assert record is not None, problems
        out[path.stem] = record.meta
    return out


def by_title(root: Path) -> dict[str, dict]:
    return {meta["title"]: meta for meta in records(root).values()}


# -- the seeds --------------------------------------------------------------------------------


def test_seeds_give_171_records(seeds):
    root, result = seeds
    metas = list(records(root).values())
    assert len(metas) == result.papers == len(result.new) == 171
    assert Counter(s for m in metas for s in m["sources"]) == {
        DAILY: 75,
        META: 55,
        DAILY_2: 31,
        AFFILIATION: 10,
    }
    assert all(len(m["sources"]) == 1 for m in metas)
    from_meta = [m for m in metas if m["sources"] == [META]]
    assert sum(1 for m in from_meta if "authors_count" in m and "published" in m) == 53
    assert all(isinstance(m["published"], dt.date) for m in from_meta if "published" in m)


def test_seed_affiliation_papers_get_readable_titles(seeds):
    root, _ = seeds
    inferred = [m for m in records(root).values() if m["sources"] == [AFFILIATION]]
    assert len(inferred) == 10
    assert all(m["title_inferred"] is True for m in inferred)
    assert all(m["affiliation"] == "Zhejiang University" for m in inferred)
    titles = sorted(m["title"] for m in inferred)
    for method in METHODS:
        assert sum(t.startswith(f"{method}: ") for t in titles) == 1, (method, titles)
    for title in titles:
        assert len(title) <= MAX_LENGTH and title[0].isupper(), title
        assert not re.match(r"(?i)(we|our|this|these|such)\b", title), title
    others = [m for m in records(root).values() if m["sources"] != [AFFILIATION]]
    assert not any("title_inferred" in m or "affiliation" in m for m in others)


def test_damaged_dates_keep_month_and_day_with_one_warning(seeds):
    root, result = seeds
    warnings = [d for d in result.diagnostics if d.level == "warning"]
    assert sorted(d.location() for d in warnings) == [f"{META}:179", f"{META}:251"]
    dates = {m["title"][:20]: m.get("published") for m in records(root).values()}
    # Papers are followed by their metadata: these two dates belong to the papers above them.
    assert dates["RealSyn: An Effectiv"] == dt.date(2024, 2, 17)
    assert dates["Revisiting End-to-En"] == dt.date(2024, 6, 2)


def test_seed_years(seeds):
    root, result = seeds
    listed = Counter(m.get("listed") for m in records(root).values())
    assert listed == {
        dt.date(2025, 4, 30): 75,  # from listing_years in digest.yaml
        dt.date(2024, 12, 10): 55,
        dt.date(2025, 3, 11): 31,
        dt.date(2025, 5, 2): 10,  # no date in the affiliation listing: the file's date
    }
    assert any(
        d.location() == f"{AFFILIATION}:1" and "no date" in d.message for d in result.diagnostics
    )
    notes = [d for d in result.diagnostics if d.level == "info"]
    assert Counter(d.location() for d in notes) == Counter(
        [f"{AFFILIATION}:1", f"{META}:{min(YEARLESS)}"]
    ), "every inferred year is reported, in one note per listing"
    (years,) = [d for d in notes if d.path == META]
    assert years.message.startswith(f"{len(YEARLESS)} paper dates without a year took")
    assert years.hint == "lines: " + ", ".join(map(str, sorted(YEARLESS)[:10])) + " and 1 more"
    inferred = [m for m in records(root).values() if m.get("published_inferred")]
    assert len(inferred) == len(YEARLESS)
    assert all(m["published"].year == 2024 for m in inferred)
    exact = [m for m in records(root).values() if "published" in m and m not in inferred]
    assert exact and not any("published_inferred" in m for m in exact)


# -- years ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mtime", "year"),
    [(dt.date(2025, 5, 1), 2025), (dt.date(2025, 4, 30), 2025), (dt.date(2025, 4, 29), 2024)],
)
def test_listing_year_is_the_latest_not_after_the_file_time(
    site, ingest_site, listing_mtime, mtime, year
):
    path = site / "content/listings/a.txt"
    path.write_text(listing(paper("Sparse Experts")), encoding="utf-8")
    listing_mtime(path, mtime)
    result = ingest_site(site)
    assert by_title(site)["Sparse Experts"]["listed"] == dt.date(year, 4, 30)
    (note,) = [d for d in result.diagnostics if d.level == "info"]
    assert (note.location(), str(year) in note.message) == ("a.txt:1", True)


def test_listing_years_override_the_file_time(tmp_path, new_site, ingest_site, listing_mtime):
    root = new_site(tmp_path / "s", listings=None, listing_years={"a.txt": 2021, "b.txt": 2020})
    for name in ("a.txt", "b.txt"):
        path = root / "content/listings" / name
        path.write_text(listing(paper(f"Paper {name}")), encoding="utf-8")
        listing_mtime(path, dt.date(2025, 5, 2))
    result = ingest_site(root)
    titles = by_title(root)
    assert titles["Paper a.txt"]["listed"] == dt.date(2021, 4, 30)
    assert titles["Paper b.txt"]["listed"] == dt.date(2020, 4, 30)
    assert not [d for d in result.diagnostics if d.level != "info" or "a.txt" in d.path]


def test_paper_date_without_year_takes_the_listing_year(site, ingest_site, listing_mtime):
    path = site / "content/listings/meta.txt"
    path.write_text(
        "Dec 10\n\n"
        "Late Paper\n\nWe study late papers. They come late, as six benchmarks show at scale.\n\n"
        "  • 3 authors\n·\nDec 20\n\n"
        "Early Paper\n\nWe study early papers. They come early, as six benchmarks show here.\n\n"
        "  • 2 authors\n·\nAug 27\n\n"
        "Dated Paper\n\nWe study dated papers. They have years, as six benchmarks show here.\n\n"
        "  • 1 author\n·\nJun 4, 2019\n",
        encoding="utf-8",
    )
    listing_mtime(path, dt.date(2024, 12, 11))
    result = ingest_site(site)
    titles = by_title(site)
    late, early, dated = titles["Late Paper"], titles["Early Paper"], titles["Dated Paper"]
    assert (late["published"], late["published_inferred"]) == (dt.date(2023, 12, 20), True)
    assert (early["published"], early["published_inferred"]) == (dt.date(2024, 8, 27), True)
    assert dated["published"] == dt.date(2019, 6, 4) and "published_inferred" not in dated
    assert all(m["listed"] == dt.date(2024, 12, 10) for m in titles.values())
    notes = sorted(d.location() for d in result.diagnostics if d.level == "info")
    assert notes == ["meta.txt:1", "meta.txt:17", "meta.txt:9"]


def test_february_29(tmp_path, new_site, ingest_site, listing_mtime):
    root = new_site(tmp_path / "s", listings=None, listing_years={"fixed.txt": 2025})
    for name in ("leap.txt", "fixed.txt"):
        path = root / "content/listings" / name
        path.write_text(listing(paper(f"Leap {name}"), date="Feb 29"), encoding="utf-8")
        listing_mtime(path, dt.date(2025, 3, 1))
    result = ingest_site(root)
    titles = by_title(root)
    assert titles["Leap leap.txt"]["listed"] == dt.date(2024, 2, 29)
    assert titles["Leap fixed.txt"]["listed"] == dt.date(2024, 2, 29)
    assert any(d.path == "fixed.txt" and d.line == 1 for d in result.diagnostics), (
        "a listing_years year without Feb 29 is reported"
    )


# -- the same paper in several listings -------------------------------------------------------


def test_one_title_in_two_files_is_one_record(site, ingest_site):
    listings = site / "content/listings"
    (listings / "a.txt").write_text(listing(paper("Shared Paper"), paper("Only In A")))
    (listings / "b.txt").write_text(
        listing(("Shared  paper", ABSTRACT.format("shared paper")), paper("Only In B"))
    )
    result = ingest_site(site)
    assert result.papers == 3
    assert by_title(site)["Shared Paper"]["sources"] == ["a.txt", "b.txt"]


def test_a_paper_in_an_affiliation_and_a_daily_listing_is_one_record(site, ingest_site):
    abstract = "We propose GraphZip, a lossless compression scheme for graphs. It halves storage."
    listings = site / "content/listings"
    (listings / "0.txt").write_text(f"Some Lab\nAbstract:{abstract}\n", encoding="utf-8")
    (listings / "1.txt").write_text(listing(("GraphZip: Lossless Graphs", abstract)))
    ingest_site(site)
    (meta,) = records(site).values()
    assert meta["title"] == "GraphZip: Lossless Graphs" and "title_inferred" not in meta
    assert (meta["sources"], meta["affiliation"]) == (["0.txt", "1.txt"], "Some Lab")


def test_an_exact_date_is_not_marked_inferred(site, ingest_site, listing_mtime):
    listings = site / "content/listings"
    entry = "Timed Paper\n\nWe study time. It passes, as our six benchmarks show at scale.\n\n"
    (listings / "a.txt").write_text(f"Dec 10\n\n{entry}  • 3 authors\n·\nJun 4, 2024\n")
    (listings / "b.txt").write_text(f"Dec 11\n\n{entry}  • 3 authors\n·\nJun 4\n")
    for name in ("a.txt", "b.txt"):
        listing_mtime(listings / name, dt.date(2024, 12, 12))
    ingest_site(site)
    meta = by_title(site)["Timed Paper"]
    assert meta["published"] == dt.date(2024, 6, 4) and "published_inferred" not in meta
    (listings / "c.txt").write_text(f"Dec 12\n\n{entry}  • 3 authors\n·\nJun 4\n")
    assert ingest_site(site).updated
    meta = by_title(site)["Timed Paper"]
    assert meta["sources"] == ["a.txt", "b.txt", "c.txt"] and "published_inferred" not in meta


def test_titles_in_other_scripts_stay_apart(site, ingest_site):
    (site / "content/listings/zh.txt").write_text(
        listing(
            paper("大型语言模型的检索增强", "rag"),
            paper("视觉变换器的稀疏注意力", "vit"),
            paper("???", "q1"),
            paper("!!!", "q2"),
        ),
        encoding="utf-8",
    )
    result = ingest_site(site)
    assert result.papers == len(records(site)) == 4
    assert all(re.fullmatch(r"[a-z0-9-]+", slug) for slug in records(site))


# -- damaged listings among good ones ---------------------------------------------------------


def test_damaged_listings_are_reported_and_the_rest_ingests(site, ingest_site):
    listings = site / "content/listings"
    good = (REPO / "content/listings" / DAILY_2).read_bytes()
    base = listing(paper("Crlf Paper"), paper("Second Crlf Paper"))
    files = {
        "crlf.txt": base.replace("\n", "\r\n").encode(),
        "bom.txt": b"\xef\xbb\xbf" + listing(paper("Bom Paper")).encode(),
        "latin1.txt": listing(paper("Modèles Légers", "modèles")).encode("latin-1"),
        "no-abstract.txt": b"Apr 30\n\nLonely Title\n\nOther Title\n\n"
        + ABSTRACT.format("x").encode(),
        "no-blank.txt": f"Apr 30\n{paper('Tight A')[0]}\n{paper('Tight A')[1]}\n"
        f"{paper('Tight B')[0]}\n{paper('Tight B')[1]}\n".encode(),
        "dup-a.txt": listing(paper("Twice Listed")).encode(),
        "dup-b.txt": listing(paper("Twice Listed")).encode(),
        "empty.txt": b"",
        "chrome.txt": b"new\n\nSubscribe\n\nDaily Papers\n",
        "huge.txt": (ABSTRACT.format("size") + " ") * 60_000,
        "seed.txt": good,
    }
    for name, data in files.items():
        (listings / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    result = ingest_site(site)
    titles = by_title(site)
    for title in (
        "Crlf Paper",
        "Second Crlf Paper",
        "Bom Paper",
        "Modèles Légers",
        "Lonely Title",
        "Other Title",
        "Tight A",
        "Tight B",
        "Twice Listed",
    ):
        assert title in titles, title
    assert titles["Twice Listed"]["sources"] == ["dup-a.txt", "dup-b.txt"]
    assert "abstract" not in titles["Lonely Title"]
    assert sum("seed.txt" not in m["sources"] for m in titles.values()) == 10
    assert result.papers == 10 + 31
    problems = {d.location() for d in result.diagnostics if d.level != "info"}
    assert {
        "latin1.txt:3",
        "no-abstract.txt:3",
        "empty.txt:1",
        "chrome.txt:1",
        "huge.txt:1",
    } <= problems
    assert all(d.line for d in result.diagnostics if d.level != "info")


def test_unreadable_listing_is_an_error_and_the_rest_ingests(site, ingest_site):
    listings = site / "content/listings"
    (listings / "good.txt").write_text(listing(paper("Good Paper")))
    (listings / "folder.txt").mkdir()
    result = ingest_site(site, [listings / "good.txt", listings / "folder.txt", site / "gone.txt"])
    assert "Good Paper" in by_title(site)
    errors = sorted(d.path for d in result.diagnostics if d.level == "error")
    assert errors == ["folder.txt", "gone.txt"]


def test_named_files_only(site, ingest_site):
    listings = site / "content/listings"
    (listings / "a.txt").write_text(listing(paper("Paper A")))
    (listings / "b.txt").write_text(listing(paper("Paper B")))
    result = ingest_site(site, [listings / "b.txt"])
    assert (result.files, list(by_title(site))) == (1, ["Paper B"])


def test_listings_parsed_in_a_forked_process_give_the_same_ingest(
    tmp_path, new_site, ingest_site, monkeypatch
):
    """Past FORK_FROM bytes the listings are parsed in a forked process while the records
    are read: the records and every diagnostic, in order, are those of parsing here."""
    import generator.ingest.listing_files

    broken = {"empty.txt": b"", "latin1.txt": listing(paper("Modèles Légers")).encode("latin-1")}
    results = []
    for fork_from in (1 << 40, 0):
        monkeypatch.setattr(generator.ingest.listing_files, "FORK_FROM", fork_from)
        root = new_site(tmp_path / ("forked" if fork_from == 0 else "serial") / "site")
        for name, data in broken.items():
            (root / "content/listings" / name).write_bytes(data)
        named = [*sorted((root / "content/listings").iterdir()), root / "gone.txt"]
        result = ingest_site(root, named)
        results.append((result, records(root)))
    (serial, serial_records), (forked, forked_records) = results
    assert forked_records == serial_records and len(forked_records) > 171

    def said(result):
        return [(d.location(), d.message.split(": [Errno")[0]) for d in result.diagnostics]

    assert said(forked) == said(serial)
    assert {"empty.txt", "latin1.txt", "gone.txt"} <= {d.path for d in forked.diagnostics}
    assert forked.parsed == serial.parsed


def test_a_session_merges_again_as_a_whole_merge_would(site, ingest_site, monkeypatch):
    """A session's ingest, told which records changed, redoes only the part of the merge
    those records touch (ingest.merge.Merged); after each edit its records and report are those
    of a whole ingest of the same files without a cache, whether or not the part suffices:
    a retitled record, an abstract no listing paper matches any more (a record is made
    again), a source taken out (put back), two records given one title, and again."""
    import shutil

    import generator.ingest.pipeline
    from generator.config import load_config
    from generator.ingest import IngestCache, ingest

    whole_merges = []
    merge = generator.ingest.pipeline.merge
    monkeypatch.setattr(
        generator.ingest.pipeline, "merge", lambda *args: whole_merges.append(args) or merge(*args)
    )

    listings = site / "content/listings"
    (listings / "a.txt").write_text(listing(*(paper(f"Paper {n}") for n in "ABCDE")))
    (listings / "b.txt").write_text(listing(paper("Paper B"), paper("Paper F"), date="May 2"))
    config, _ = load_config(site / "digest.yaml")
    cache = IngestCache()
    ingest(site, config, cache=cache)
    assert ingest(site, config, cache=cache).new == []  # settled
    papers = site / "content/papers"

    def edit(slug: str, old: str, new: str) -> Path:
        path = papers / f"{slug}.md"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        return path

    edits = [
        lambda: edit("paper-a", "title: Paper A", "title: Paper A, retitled"),
        lambda: edit("paper-a", "We study paper a.", "A new abstract."),
        lambda: edit("paper-b", "- b.txt\n", ""),
        lambda: edit("paper-c", "title: Paper C", "title: Paper D"),
        lambda: edit("paper-e", "title: Paper E", "title: Paper E again"),
        lambda: edit("paper-c", "title: Paper D", "title: Paper C"),  # the title shared no more
        lambda: edit("paper-d", "title: Paper D", "title: Paper C"),  # shared, second in order
    ]
    redone = []
    for i, make in enumerate(edits):
        changed = make()
        whole = site.parent / f"whole-{i}"
        shutil.copytree(site, whole)
        whole_merges.clear()
        ours = ingest(site, config, cache=cache, changed=[str(changed)])
        if not whole_merges:
            redone.append(i)
        theirs = ingest_site(whole)
        assert (ours.new, sorted(ours.updated), ours.papers) == (
            theirs.new,
            sorted(theirs.updated),
            theirs.papers,
        ), i
        assert records(site) == records(whole), i
        assert [str(d) for d in ours.diagnostics] == [str(d) for d in theirs.diagnostics], i
    # whole when a record is to be made, and after a merge that made or updated one (edit 3
    # makes one: paper-c, retitled as paper D is, is no longer Paper C's by its abstract)
    assert redone == [0, 5]


def test_records_read_again_alike_are_compared_by_identity_from_then_on(
    tmp_path, new_site, monkeypatch
) -> None:
    """Records read again whole (their times changed, their text not) are alike to those of
    the last merge; the cache then holds them, so the next build compares none field by
    field."""
    import os

    from generator.build import build_site
    from generator.ingest import state

    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)
    build_site(root, search=False)
    for record in (root / "content" / "papers").glob("*.md"):
        os.utime(record, ns=(1, record.stat().st_mtime_ns + 10**9))
    build_site(root, search=False)  # reads them all again: alike
    compared: list[object] = []
    real = state._merged_alike
    monkeypatch.setattr(state, "_merged_alike", lambda a, b: compared.append(a) or real(a, b))
    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    record.write_text(record.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
    build_site(root, search=False)
    assert len(compared) == 1
