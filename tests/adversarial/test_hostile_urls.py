"""Names whose slugs are the same: a record's topic beside the taxonomy's, listings whose
file names differ only in punctuation. Each gets its own page, suffixed `-2`, `-3`, and
keeps it from build to build (issue 19)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hostile import Tally, guarded_build, make_root


def daily(title: str) -> bytes:
    return f"Daily Papers\n\nApr 30\n\n{title}\n\nWe study {title.lower()} at length.\n".encode()


def record(title: str, topic: str) -> str:
    return f"---\ntitle: {title}\nabstract: Efficient pruning of {title}.\ntopic: {topic}\n---\n"


def heading(output: Path, page: str) -> str:
    text = (output / page / "index.html").read_text(encoding="utf-8")
    return text.split("<h1", 1)[1].split(">", 1)[1].split("</h1>", 1)[0]


def test_a_records_topic_does_not_take_the_taxonomys_topic_page(
    tmp_path: Path, tally: Tally
) -> None:
    root = make_root(
        tmp_path / "site-root",
        records={
            "real.md": record("Real One", "Efficient Models"),
            "bang.md": record("Bang One", "Efficient Models!"),
            "dot.md": record("Dot One", "efficient models."),
        },
    )
    tally.tried(3)
    guarded_build(root, tally)
    out = root / "site"
    assert heading(out, "topics/efficient-models").strip() == "Efficient Models"
    others = {heading(out, f"topics/efficient-models-{n}").strip() for n in (2, 3)}
    assert others == {"Efficient Models!", "efficient models."}
    shown = (out / "topics" / "efficient-models" / "index.html").read_text(encoding="utf-8")
    assert "Real One" in shown and "Bang One" not in shown


def test_listings_whose_names_share_a_slug_each_get_a_page(tmp_path: Path, tally: Tally) -> None:
    names = {"news 1.txt": "Alpha Paper", "news-1.txt": "Beta Paper", "News_1.md": "Gamma Paper"}
    root = make_root(
        tmp_path / "site-root",
        {name: daily(title) for name, title in names.items()},
        listing_years=dict.fromkeys(names, 2024),
    )
    tally.tried(3)
    guarded_build(root, tally)
    out = root / "site"
    pages = _listing_pages(out, names.values())
    assert sorted(pages.values()) == [[t] for t in sorted(names.values())], pages
    guarded_build(root, tally, clean=True)
    assert _listing_pages(out, names.values()) == pages  # the same slugs again


def _listing_pages(out: Path, titles: Iterable[str]) -> dict[str, list[str]]:
    """The titles each listing page shows, by slug."""
    pages = {}
    for slug in ("news-1", "news-1-2", "news-1-3"):
        text = (out / "listings" / slug / "index.html").read_text(encoding="utf-8")
        pages[slug] = [title for title in titles if title in text]
    return pages
