"""Listing files → entries: format detection, the three formats, dates, made-up titles, and
damaged input (which must give warnings with file:line, never an exception)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
import yaml

from generator.listings import FORMATS, detect, parse_bytes
from generator.listings.dates import match_date, year_not_after
from generator.models import PartialDate
from generator.titles import MAX_LENGTH, infer_title

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "content" / "listings"
CASES = Path(__file__).resolve().parent / "listings"
EXPECTED = yaml.safe_load((CASES / "expected.yaml").read_text(encoding="utf-8"))

AFFILIATION, DAILY, META, DAILY_2 = sorted(p.name for p in SEEDS.iterdir())
METHODS = ("L2COcc", "RecBench", "LoRA-Null", "IteRPrimE", "TimesBERT", "MEC", "SPPD")


def seed(name: str) -> bytes:
    return (SEEDS / name).read_bytes()


def warned_lines(listing) -> list[int | None]:
    return [d.line for d in listing.diagnostics if d.level == "warning"]


def shape(listing) -> list[tuple]:
    return [(e.line, e.title, e.abstract, e.authors_count, e.published) for e in listing.entries]


# -- the seeds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "count", "date", "date_line"),
    [
        (AFFILIATION, "affiliation", 10, None, None),
        (DAILY, "daily", 75, PartialDate(4, 30), 9),
        (META, "daily-meta", 55, PartialDate(12, 10), 11),
        (DAILY_2, "daily", 31, PartialDate(3, 11), 9),
    ],
)
def test_seed_listing(name, fmt, count, date, date_line):
    listing = parse_bytes(seed(name), name)
    assert (listing.format, len(listing.entries)) == (fmt, count)
    assert (listing.date, listing.date_line) == (date, date_line)
    assert all(e.abstract for e in listing.entries)
    if fmt == "affiliation":
        assert listing.affiliation == "Zhejiang University"
        assert all(e.title is None for e in listing.entries)
    else:
        assert all(e.title and not e.title.endswith(".") for e in listing.entries)


def test_metadata_listing_keeps_damaged_dates_with_one_warning_each():
    listing = parse_bytes(seed(META), META)
    dated = [e for e in listing.entries if e.authors_count and e.published]
    assert len(dated) == 53
    damaged = {e.published_line: e.published for e in listing.entries if e.published_line}
    assert damaged[179] == PartialDate(2, 17, None)
    assert damaged[251] == PartialDate(6, 2, None)
    warnings = [d for d in listing.diagnostics if d.level == "warning"]
    assert [(d.path, d.line) for d in warnings] == [(META, 179), (META, 251)]
    assert "Feb 17 2" in warnings[0].message and "Jun 2 1" in warnings[1].message


def test_affiliation_titles_lead_with_the_named_method():
    listing = parse_bytes(seed(AFFILIATION), AFFILIATION)
    titles = [infer_title(e.abstract) for e in listing.entries]
    for method in METHODS:
        assert any(t.startswith(f"{method}: ") for t in titles), (method, titles)
    assert "L2COcc: a lightweight camera-centric SSC framework" in titles
    for title in titles:
        assert_readable(title)


def assert_readable(title: str) -> None:
    """A title a reader could scan in a list: short, plain text, not a sentence fragment."""
    assert 10 <= len(title) <= MAX_LENGTH, title
    assert title[0].isupper() or title[0].isdigit(), title
    assert not re.search(r"[\\${}]", title), title
    assert not re.match(r"(?i)(we|our|this|these|such|in this|here)\b", title), title
    assert not title.endswith((",", ";", ":", "-", "(", ".")), title
    assert title.count("(") == title.count(")"), title


@pytest.mark.parametrize(
    "abstract",
    [".", ":", " ; ", "\\emph{.}", "We propose .", "x" * 500, "(" * 300],
)
def test_made_up_title_is_never_empty_or_long(abstract):
    title = infer_title(abstract)
    assert title.strip() and len(title) <= MAX_LENGTH


# -- small listings kept as files, with what each must give (listings/expected.yaml) ----------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_listing_case(name):
    want = EXPECTED[name]
    listing = parse_bytes((CASES / name).read_bytes(), name)
    assert listing.format == want["format"]
    if "date" in want:
        assert listing.date == PartialDate(*want["date"])
    assert listing.affiliation == want.get("affiliation")
    got = [
        {
            "title": e.title,
            "abstract": e.abstract[: len(spec["abstract"])],
            "authors": e.authors_count,
            "published": e.published,
            "affiliation": e.affiliation,
        }
        for e, spec in zip(listing.entries, want["entries"], strict=False)
    ]
    expected = [
        {
            "title": spec["title"],
            "abstract": spec["abstract"],
            "authors": spec.get("authors"),
            "published": PartialDate(*spec["published"]) if "published" in spec else None,
            "affiliation": spec.get("affiliation"),
        }
        for spec in want["entries"]
    ]
    assert got == expected
    assert len(listing.entries) == len(expected)
    assert warned_lines(listing) == want["warnings"]
    assert all(d.path == name for d in listing.diagnostics)


# -- damaged bytes and layouts ----------------------------------------------------------------


def test_crlf_and_cr_line_endings_read_like_lf():
    data = seed(META)
    lf = parse_bytes(data, META)
    for ending in (b"\r\n", b"\r"):
        other = parse_bytes(data.replace(b"\n", ending), META)
        assert shape(other) == shape(lf)
        assert warned_lines(other) == warned_lines(lf)


def test_utf8_bom_is_dropped():
    plain = parse_bytes(seed(AFFILIATION), AFFILIATION)
    with_bom = parse_bytes(b"\xef\xbb\xbf" + seed(AFFILIATION), AFFILIATION)
    assert with_bom.affiliation == "Zhejiang University"
    assert shape(with_bom) == shape(plain)
    assert with_bom.diagnostics == plain.diagnostics


def test_trailing_spaces_tabs_and_control_characters_are_ignored():
    data = seed(DAILY).replace(b"\n", b" \t\x00\n")
    assert shape(parse_bytes(data, DAILY)) == shape(parse_bytes(seed(DAILY), DAILY))


def test_latin1_bytes_are_read_with_a_warning_at_their_line():
    text = (
        "Mar 11\n\nÉtude des modèles de langue\n\n"
        "Nous étudions les modèles de langue. Ils généralisent mieux que prévu, à grande échelle.\n"
    )
    listing = parse_bytes(text.encode("latin-1"), "latin.txt")
    assert [(e.title, e.abstract[:14]) for e in listing.entries] == [
        ("Étude des modèles de langue", "Nous étudions ")
    ]
    (warning,) = listing.diagnostics
    assert (warning.level, warning.path, warning.line) == ("warning", "latin.txt", 3)
    assert "UTF-8" in warning.message


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n\n",
        b"\xef\xbb\xbf",
        b"new\n\nGet trending papers in your email inbox!\n\n"
        b"Subscribe\n\nDaily Papers\n\nbyAK and the research community\n",
    ],
    ids=["empty", "blank", "bom-only", "chrome-only"],
)
def test_a_listing_without_papers_gives_one_warning(data):
    listing = parse_bytes(data, "empty.txt")
    assert listing.entries == []
    assert [(d.level, d.path, d.line) for d in listing.diagnostics] == [("warning", "empty.txt", 1)]


def test_header_only_listing_gives_one_warning():
    listing = parse_bytes(b"Daily Papers\n\nApr 30\n", "header.txt")
    assert listing.entries == []
    (note,) = listing.diagnostics
    assert (note.level, note.line, note.path) == ("warning", 1, "header.txt")
    assert "no papers found" in note.message and "affiliation listing" in note.hint


def test_five_megabyte_single_line_is_one_paper_quickly():
    line = " ".join(e.abstract for e in parse_bytes(seed(DAILY), DAILY).entries)
    data = (line * (5_000_000 // len(line) + 1))[:5_000_000].encode()
    start = time.perf_counter()
    listing = parse_bytes(data, "huge.txt")
    (entry,) = listing.entries
    title = infer_title(entry.abstract)
    assert time.perf_counter() - start < 5
    assert entry.title is None and len(entry.abstract) > 4_000_000
    assert 0 < len(title) <= MAX_LENGTH
    # one warning for the missing title, one for a line far longer than any abstract
    assert warned_lines(listing) == [1, 1]
    assert any("characters long" in d.message for d in listing.diagnostics)


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 200, b"%PDF-1.7\n" + bytes(range(32)) * 100],
    ids=["noise", "pdf"],
)
def test_a_binary_file_is_skipped_with_a_warning(data):
    listing = parse_bytes(data, "paper.pdf")
    assert listing.entries == []
    assert [(d.level, d.location()) for d in listing.diagnostics] == [("warning", "paper.pdf:1")]
    assert "not a text file" in listing.diagnostics[0].message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_bom_is_read(encoding):
    text = seed(DAILY).decode("utf-8")
    data = text.encode(encoding)
    if encoding != "utf-16":
        data = "\ufeff".encode(encoding) + data
    listing = parse_bytes(data, DAILY)
    assert shape(listing) == shape(parse_bytes(seed(DAILY), DAILY))
    assert listing.diagnostics == []


# -- detection --------------------------------------------------------------------------------


def test_each_format_declares_name_detect_and_parse():
    for fmt in FORMATS:
        assert isinstance(fmt.NAME, str) and callable(fmt.detect) and callable(fmt.parse)
        assert isinstance(fmt.detect(""), float)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Some Lab\nAbstract:We study x. It works.\nAbstract:We study y.\n", "affiliation"),
        ("Apr 30\n\nTitle\n\nAbstract text.\n\n  • 3 authors\n·\nJun 4, 2024\n", "daily-meta"),
        ("Apr 30\n\nTitle\n\nAbstract text.\n", "daily"),
        ("Just One Line", "daily"),
    ],
)
def test_detect(text, name):
    assert name == detect(text).NAME


# -- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "date", "rest"),
    [
        ("Apr 30", PartialDate(4, 30), ""),
        ("Jun 4, 2024", PartialDate(6, 4, 2024), ""),
        ("Jun 4 2024", PartialDate(6, 4, 2024), ""),
        ("Sept 3", PartialDate(9, 3), ""),
        ("September 3, 2023", PartialDate(9, 3, 2023), ""),
        ("Feb 17 2", PartialDate(2, 17), "2"),
        ("Jun 2 1", PartialDate(6, 2), "1"),
        ("Feb 29", PartialDate(2, 29), ""),
        ("  Dec 10  ", PartialDate(12, 10), ""),
    ],
)
def test_match_date(line, date, rest):
    found = match_date(line)
    assert found is not None and (found.date, found.rest) == (date, rest)


@pytest.mark.parametrize(
    "line",
    [
        "Feb 30",
        "Foo 3",
        "Apr",
        "30 Apr",
        "Sept 11 Attacks",
        "May 5G Networks",
        "Mar 2024 Report",
        "Jun 4, 2024 (v2)",
        "Apr 300",
        "",
    ],
)
def test_not_a_date(line):
    assert match_date(line) is None


@pytest.mark.parametrize(
    ("month", "day", "limit", "year"),
    [
        (4, 30, dt.date(2025, 5, 1), 2025),
        (4, 30, dt.date(2025, 4, 30), 2025),
        (4, 30, dt.date(2025, 4, 29), 2024),
        (12, 20, dt.date(2024, 12, 10), 2023),
        (1, 1, dt.date(2024, 1, 1), 2024),
        (2, 29, dt.date(2025, 3, 1), 2024),
        (2, 29, dt.date(2024, 2, 28), 2020),
    ],
)
def test_year_not_after(month, day, limit, year):
    assert year_not_after(month, day, limit) == year
