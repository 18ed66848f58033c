"""A paper page leads to the paper (direct links for the identifiers its abstract names,
then searches by title), and its BibTeX compiles: pybtex parses every entry without a
warning, keys are unique and stable in shape, math is kept, no year is invented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote_plus, urlsplit

import pybtex.errors
import pytest
from pybtex.database import parse_string

from generator.build import build_site
from generator.config import PAPER_LINKS
from generator.markup import plain_text
from generator.metadata import bib_title, cite_keys
from generator.models import Paper

if TYPE_CHECKING:
    from conftest import BuiltSite

SEARCHES = [name for name, _ in PAPER_LINKS]


def find_links(site: BuiltSite, slug: str) -> list[tuple[str, str]]:
    nav = site.page(f"papers/{slug}/index.html").find("nav", cls="find")
    assert nav is not None, slug
    return [(a.text().strip(), a.attrs["href"]) for a in nav.find_all("a")]


def slugs(site: BuiltSite) -> list[str]:
    return sorted(p.parent.name for p in (site.output / "papers").glob("*/index.html"))


def test_every_seed_paper_page_has_the_four_searches_by_title(seed_site: BuiltSite) -> None:
    titles = {p["slug"]: p["title"] for p in json.loads(seed_site.text("papers.json"))}
    for slug in slugs(seed_site):
        links = find_links(seed_site, slug)
        searches = [(text, href) for text, href in links if text.startswith("Search ")]
        assert [text.removeprefix("Search ") for text, _ in searches] == SEARCHES
        for _, href in searches:
            assert quote_plus(plain_text(titles[slug])) in href, (slug, href)
            queries = [q for v in parse_qs(urlsplit(href).query).values() for q in v]
            assert plain_text(titles[slug]) in queries


def test_an_arxiv_id_in_the_abstract_is_linked_first(tmp_path: Path, new_site, parse_html) -> None:
    root = new_site(tmp_path / "site", listings=None)
    (root / "content" / "listings" / "a.txt").write_text(
        "Apr 30\n\nSparse Routing for Mixtures of Experts\n\nWe route tokens sparsely "
        "(arXiv:2403.01234v2) and halve the cost; see also doi:10.1145/3580305.3599404. "
        "Reviews at https://openreview.net/forum?id=AbC_12-x.\n",
        "utf-8",
    )
    build_site(root, search=False)
    page = root / "site" / "papers" / "sparse-routing-for-mixtures-of-experts" / "index.html"
    nav = parse_html(page.read_text("utf-8")).find("nav", cls="find")
    hrefs = [a.attrs["href"] for a in nav.find_all("a")]
    assert hrefs[:3] == [
        "https://arxiv.org/abs/2403.01234",
        "https://doi.org/10.1145/3580305.3599404",
        "https://openreview.net/forum?id=AbC_12-x",
    ]
    assert len(hrefs) == 3 + len(SEARCHES)


def test_every_seed_cite_bib_parses_without_a_warning(seed_site: BuiltSite) -> None:
    pybtex.errors.set_strict_mode(True)  # a warning raises
    keys = []
    undated = {
        p["slug"]
        for p in __import__("json").loads(seed_site.text("papers.json"))
        if "affiliation" in p and "published" not in p
    }
    for slug in slugs(seed_site):
        text = seed_site.text(f"papers/{slug}/cite.bib")
        data = parse_string(text, "bibtex")
        ((key, entry),) = data.entries.items()
        keys.append(key)
        assert re.fullmatch(r"[a-z0-9]+[0-9]{4}[a-z]?", key), key
        assert entry.fields["url"].endswith(f"/papers/{slug}/")
        assert ("year" in entry.fields) == (slug not in undated), slug
        shown = seed_site.page(f"papers/{slug}/index.html").find("pre", id="bibtex").text()
        assert shown == text
    assert len(keys) == len(set(keys))
    r2 = next(s for s in slugs(seed_site) if s.startswith("r-2-tuning"))
    assert "{{$R^2$-Tuning:" in seed_site.text(f"papers/{r2}/cite.bib")


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("$R^2$-Tuning: Fast", "$R^2$-Tuning: Fast"),
        ("50% of C# & {braces}_x", r"50\% of C\# \& braces\_x"),
        (r"\textbf{Bold} move", "Bold move"),
        # commands that run when typeset never reach the entry as commands
        (r"Leak $\input{/etc/passwd}$ now", r"Leak \$\textbackslash{}input\{/etc/passwd\}\$ now"),
        (
            r"$\immediate\write18{rm}$",
            r"\$\textbackslash{}immediate\textbackslash{}write18\{rm\}\$",
        ),
    ],
)
def test_titles_are_escaped_and_keep_safe_math(title: str, field: str) -> None:
    assert bib_title(title) == field


def test_colliding_keys_get_letters_in_listing_order() -> None:
    import datetime as dt

    def paper(slug: str, title: str, day: int) -> Paper:
        return Paper(slug, title, "", "Other", (), (), listed=dt.date(2025, 1, day))

    papers = [paper("b", "Sparse Routing", 2), paper("a", "Sparse Attention", 1)]
    keys = cite_keys([*papers, paper("c", "The Sparse", 3), paper("d", "Dense", 4)])
    assert keys == {"a": "sparse2025", "b": "sparse2025a", "c": "sparse2025b", "d": "dense2025"}


def test_keys_stay_one_word_a_year_and_a_letter_past_twenty_seven_collisions() -> None:
    import datetime as dt
    import re

    papers = [
        Paper(f"p{n:03}", f"Sparse Model {n}", "", "Other", (), (), listed=dt.date(2025, 1, 1))
        for n in range(120)
    ]
    papers.append(Paper("q", "Sparse2", "", "Other", (), (), listed=dt.date(2025, 2, 1)))
    keys = cite_keys(papers)
    assert len(set(keys.values())) == len(papers)
    assert all(re.fullmatch(r"[a-z0-9]+[0-9]{4}[a-z]?", key) for key in keys.values())
    assert keys["p000"] == "sparse2025" and keys["p026"] == "sparse2025z"
    assert keys["p027"] == "sparse22025a" and keys["p053"] == "sparse32025a"


def test_a_sessions_cite_keys_equal_those_made_from_scratch() -> None:
    """The memo keys again only the groups that changed; the keys are those of a build
    that starts afresh, after edits that join, leave, reorder and crowd groups."""
    import dataclasses
    import datetime as dt
    import random

    from generator.metadata import CiteMemo

    rng = random.Random(5)
    words = ["Sparse", "Dense"]  # about 40 a group and year: crowded groups too

    def made(n: int) -> Paper:
        day = dt.date(2024 + n % 2, 1 + n % 12, 1 + n % 28)
        return Paper(f"p{n}", f"{rng.choice(words)} {n}", "", "Other", (), (), listed=day)

    papers = [made(n) for n in range(160)]
    memo = CiteMemo()
    cite_keys(papers, memo)
    for step in range(40):
        i = rng.randrange(len(papers))
        kind = step % 3
        if kind == 0:  # a title edit: maybe another group
            papers[i] = dataclasses.replace(papers[i], title=f"{rng.choice(words)} edit {step}")
        elif kind == 1:  # a paper removed
            papers.pop(i)
        else:  # a new paper, listed earlier than some: the group's order changes
            papers.append(made(1000 + step))
        assert cite_keys(papers, memo) == cite_keys(papers), step
