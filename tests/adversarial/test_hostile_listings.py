"""Hostile listing files beside a good one: no crash, a `file:line` for every problem, safe
slugs, and the rest of the site still builds."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from hostile import (
    SEED,
    Tally,
    guarded_build,
    make_root,
    scan_output,
    seed_titles,
    time_limit,
)

from generator.listings import parse_bytes
from generator.result import BuildResult

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CHROME = [
    "new",
    "Get trending papers in your email inbox!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
]
CHROME_LINES = 100_000
BIG = 50_000_000


def abstract(topic: str) -> str:
    return (
        f"We study {topic} in depth. Our method improves results on several benchmarks while "
        "staying simple to use, and we release the code for others to build on."
    )


ODD_TITLES = [
    "\u202eRTL Override gnp.exe\u202c Attacks on Vision Transformers",
    "Cafe\u0301 Combining Marks: Ze\u0301ro\u0308-Shot Learning with A\u030a\u0301\u0302ccents",
    "😀🚀 Emoji Models: 👩\u200d💻 Zero Width Joiners at Scale 🏳️\u200d🌈",
    "ＦＵＬＬ－ＷＩＤＴＨ：Ｐｕｎｃｔｕａｔｉｏｎ（Ｔｅｓｔ）！",
    "\u05de\u05d5\u05d3\u05dc \u05e9\u05e4\u05d4 \u200f\u05d2\u05d3\u05d5\u05dc\u200f RTL",
    "😀😀😀",
    "\u200b\u200d\u2060\ufeff",
    "Tabs\tand\u00a0no-break\u2003spaces\u2028line separator",
]


def listing(titles: list[str], date: str = "Apr 30") -> str:
    parts = [date, ""]
    for i, title in enumerate(titles):
        parts += [title, "", abstract(f"hostile case {i}"), ""]
    return "\n".join(parts)


def hostile_listings() -> dict[str, bytes]:
    rng = random.Random(8)
    chrome = [CHROME[i % len(CHROME)] for i in range(CHROME_LINES)]
    paper_block = (
        "A Repeated Title About Transformers\n\n" + abstract("repetition") + "\n\n"
    ).encode()
    return {
        "random.txt": rng.randbytes(200_000),
        "utf16-no-bom.txt": listing(["Sixteen Bits"]).encode("utf-16-le"),
        "big.txt": b"May 2\n\n" + paper_block * (BIG // len(paper_block) + 1),
        "chrome-only.txt": "\n".join(chrome).encode(),
        # a title-less abstract after the chrome: its warning must name the right line
        "chrome-then-paper.txt": (
            "\n".join([*chrome, "", "May 1", "", abstract("chrome")])
        ).encode(),
        "nul.txt": listing(["Null\x00 Bytes\x00 In Titles"])
        .replace("hostile", "ho\x00stile")
        .encode(),
        "overlong.txt": (
            "May 3\n\nAn Overlong Abstract Line\n\n"
            + "This sentence repeats to make an overlong line. " * 40_000
            + "\n\nAn Overlong URL\n\nSee http://example.org/"
            + "a" * 300_000
            + " and \\textbf{" * 20_000
            + " and $x$" * 10_000
            + ".\n"
        ).encode(),
        "unicode.txt": listing(ODD_TITLES).encode(),
        "bom-crlf.txt": b"\xef\xbb\xbf"
        + listing(["Windows Line Endings"]).replace("\n", "\r\n").encode(),
        "cp1252.txt": listing(["Caf\xe9 Latin-1 Bytes"]).encode("cp1252"),
        "empty.txt": b"",
        "header-only.txt": b"Daily Papers\n\nMay 4\n",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tally: Tally) -> tuple[Path, BuildResult]:
    files = hostile_listings()
    tally.tried(len(files))
    root = make_root(tmp_path_factory.mktemp("hostile-listings"), files)
    return root, guarded_build(root, tally)


def by_file(result: BuildResult, name: str) -> list[str]:
    return [d.format() for d in result.diagnostics if d.path == name]


def test_no_errors_and_every_listing_problem_has_file_and_line(built) -> None:
    _, result = built
    assert not [d.format() for d in result.diagnostics if d.level == "error"]
    for name in hostile_listings():
        for diag in result.diagnostics:
            if diag.path == name and diag.level != "info":
                assert diag.line is not None and diag.line >= 1, diag.format()
                assert diag.format().startswith(f"{diag.level}: {name}:{diag.line}: ")


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("random.txt", 1, "not a text file"),
        ("utf16-no-bom.txt", 1, "not a text file"),
        ("chrome-only.txt", 1, "no papers found"),
        ("empty.txt", 1, "no papers found"),
        ("header-only.txt", 1, "no papers found"),
        ("chrome-then-paper.txt", CHROME_LINES + 4, "no title line"),
        ("cp1252.txt", 3, "not valid UTF-8"),
    ],
)
def test_each_bad_file_is_named_with_its_line(built, name: str, line: int, words: str) -> None:
    _, result = built
    found = [d for d in result.diagnostics if d.path == name and words in d.message]
    assert found, by_file(result, name)
    assert found[0].line == line, found[0].format()


def test_the_good_listing_and_the_readable_papers_all_build(built) -> None:
    root, _ = built
    papers = json.loads((root / "site" / "papers.json").read_text(encoding="utf-8"))
    titles = [p["title"] for p in papers]
    assert set(seed_titles()) <= set(titles)
    by_source = {s for p in papers for s in p["sources"]}
    assert {SEED, "big.txt", "nul.txt", "overlong.txt", "unicode.txt"} <= by_source
    assert {"bom-crlf.txt", "cp1252.txt", "chrome-then-paper.txt"} <= by_source
    assert titles.count("A Repeated Title About Transformers") == 1  # 360,000 times one paper
    assert "Null Bytes In Titles" in titles
    assert "Windows Line Endings" in titles and "Café Latin-1 Bytes" in titles
    for paper in papers:
        page = root / "site" / paper["url"] / "index.html"
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page


def test_odd_unicode_titles_survive_and_slugs_stay_safe(built) -> None:
    root, _ = built
    papers = json.loads((root / "site" / "papers.json").read_text(encoding="utf-8"))
    shown = {p["title"] for p in papers if p["sources"] == ["unicode.txt"]}
    for title in ODD_TITLES:  # no-break spaces become spaces; nothing else changes
        assert title.replace("\xa0", " ").strip() in shown, title
    slugs = [p["slug"] for p in papers]
    assert len(slugs) == len(set(slugs))
    on_disk = [p.stem for p in (root / "content" / "papers").glob("*.md")]
    pages = [p.name for p in (root / "site" / "papers").iterdir() if p.is_dir()]
    for slug in [*slugs, *on_disk, *pages]:
        assert SLUG.fullmatch(slug) and len(slug) <= 80, slug
    assert sorted(on_disk) == sorted(slugs) == sorted(pages)


def test_no_nul_or_control_character_reaches_a_record_or_page(built) -> None:
    root, _ = built
    for path in [*(root / "content" / "papers").glob("*.md"), *(root / "site").rglob("*.html")]:
        data = path.read_bytes()
        assert b"\x00" not in data, path
        assert not re.search(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]", data), path


def test_hostile_listings_leave_nothing_executable(built, tally: Tally) -> None:
    root, _ = built
    assert scan_output(root / "site", tally) == []


def test_an_overlong_line_is_reported_with_its_line(tally: Tally) -> None:
    tally.tried()
    text = "May 3\n\nA Title\n\n" + "word " * 400_000 + "\n"
    listing = parse_bytes(text.encode(), "long.txt")
    assert [d for d in listing.diagnostics if d.line == 5], listing.diagnostics


def test_a_listing_with_many_blank_lines_parses_quickly(tally: Tally) -> None:
    tally.tried()
    text = "May 2\n\nA Title\n\n" + abstract("blank lines") + "\n" * 20_000
    with time_limit(1.0):
        listing = parse_bytes(text.encode(), "blank-lines.txt")
    assert len(listing.entries) == 1


def test_a_long_run_of_prose_lines_parses_in_linear_time(tally: Tally) -> None:
    tally.tried()
    line = ("This is a long prose line that goes on and on. " * 7)[:330]
    text = "May 3\n\nA Title\n\n" + "\n".join([line] * (8_000_000 // 331)) + "\n"
    with time_limit(1.0):
        listing = parse_bytes(text.encode(), "prose.txt")
    assert len(listing.entries) == 1
