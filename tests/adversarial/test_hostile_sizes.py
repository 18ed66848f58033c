"""Inputs that made the output blow up (issue 19): dates centuries apart, a date in the
year 9999, thousands of tags on one record. Each is a warning at its line; the site stays
small and quick to build."""

from __future__ import annotations

import time
from pathlib import Path

from hostile import Tally, guarded_build, make_root, time_limit

MB = 1 << 20


def record(title: str, extra: str) -> str:
    return f"---\ntitle: {title}\nabstract: An abstract about {title}.\n{extra}---\nNotes.\n"


def site_size(output: Path) -> int:
    return sum(p.stat().st_size for p in output.rglob("*") if p.is_file())


def build(root: Path, tally: Tally) -> tuple[list[str], float]:
    started = time.monotonic()
    with time_limit(120):
        result = guarded_build(root, tally)
    return [d.format() for d in result.diagnostics], time.monotonic() - started


def test_a_date_in_the_year_9999_is_a_warning_at_its_line_and_ignored(
    tmp_path: Path, tally: Tally
) -> None:
    root = make_root(
        tmp_path / "site-root",
        records={
            "far.md": record("Far Future", "sources: [x.txt]\npublished: 9999-12-31\n"),
            "past.md": record("Long Ago", "published: 1850-01-01\n"),
        },
    )
    tally.tried(2)
    found, seconds = build(root, tally)
    assert [d for d in found if d.startswith("warning: content/papers/far.md:5: `published")]
    assert [d for d in found if d.startswith("warning: content/papers/past.md:4: `published")]
    assert site_size(root / "site") < 8 * MB and seconds < 60


def test_papers_centuries_apart_keep_the_charts_small(tmp_path: Path, tally: Tally) -> None:
    root = make_root(
        tmp_path / "site-root",
        records={
            "old.md": record("Old Efficient Pruning", "published: 1901-03-01\n"),
            "new.md": record("New Efficient Pruning", "published: 2024-05-01\n"),
        },
    )
    tally.tried()
    build(root, tally)
    for page in ("topics/index.html", "index.html", "archive/index.html"):
        size = (root / "site" / page).stat().st_size
        assert size < 1 * MB, (page, size)


def test_thousands_of_tags_on_a_record_are_capped_with_a_warning(
    tmp_path: Path, tally: Tally
) -> None:
    tags = "".join(f"- tag number {i}\n" for i in range(4000))
    tagged = record("Tagged", f"tags:\n{tags}")
    root = make_root(tmp_path / "site-root", records={"tags.md": tagged})
    tally.tried()
    found, seconds = build(root, tally)
    assert [d for d in found if "content/papers/tags.md:4:" in d and "4000 `tags`" in d], found
    assert len(list((root / "site" / "tags").glob("*/index.html"))) < 200
    assert site_size(root / "site") < 20 * MB and seconds < 60
