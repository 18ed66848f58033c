"""Data a reader can trust: no junk kept (orphans and --prune), dates that never move between
clones, undated papers never given a publication date, non-listings refused, the seeds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from generator.build import build_site

if TYPE_CHECKING:
    from conftest import BuiltSite

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "content" / "listings"
AFFILIATION, DAILY, META, DAILY_2 = sorted(p.name for p in SEEDS.iterdir())
YEAR = 365 * 24 * 3600


def digest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


def records(root: Path) -> dict[str, dict]:
    return {p.stem: front(p) for p in sorted((root / "content" / "papers").glob("*.md"))}


# -- the seeds ---------------------------------------------------------------------------------


def test_the_seeds_give_171_records_with_001_and_003_dated_2025(seed_site: BuiltSite) -> None:
    found = records(seed_site.root)
    assert len(found) == 171
    for name in (DAILY, DAILY_2):
        years = {m["listed"].year for m in found.values() if m["sources"] == [name]}
        assert years == {2025}, name
    assert {m["listed"].year for m in found.values() if m["sources"] == [META]} == {2024}


def test_the_bundled_records_carry_the_listing_years() -> None:
    bundled = records(REPO)
    assert len(bundled) == 171
    by_source = {
        name: {m["listed"] for m in bundled.values() if name in m["sources"]}
        for name in (DAILY, META, DAILY_2)
    }
    assert {d.year for d in by_source[DAILY]} == {2025}
    assert {d.year for d in by_source[DAILY_2]} == {2025}
    assert {d.year for d in by_source[META]} == {2024}
    assert not [m for m in bundled.values() if AFFILIATION in m["sources"] and "published" in m]


# -- undated papers --------------------------------------------------------------------------


def test_affiliation_papers_are_never_given_a_publication_date(seed_site: BuiltSite) -> None:
    site = seed_site
    undated = {s: m for s, m in records(site.root).items() if m["sources"] == [AFFILIATION]}
    assert len(undated) == 10
    assert not [m for m in undated.values() if "published" in m]
    papers = {p["slug"]: p for p in json.loads(site.text("papers.json"))}
    for slug in undated:
        assert "published" not in papers[slug]
        page = site.page(f"papers/{slug}/index.html")
        names = {m.attrs.get("name") for m in page.find_all("meta")}
        assert "citation_publication_date" not in names
        facts = {dt.text().strip(): dt.parent.find("dd").text() for dt in page.find_all("dt")}
        assert "no publication date" in facts["Added"]
        assert "Published" not in facts and "Listed" not in facts
        bib = site.text(f"papers/{slug}/cite.bib")
        assert "year" not in bib and "publication date unknown" in bib
    # every card of an undated paper says "added", on every kind of list page
    lists = ["index.html", "archive/index.html", *site.html_pages()]
    seen = 0
    for page_path in lists:
        if not page_path.endswith("index.html") or page_path.startswith("papers/"):
            continue
        for item in site.page(page_path).find_all("li", cls="paper-item"):
            link = item.find("a")
            slug = link.attrs["href"].rstrip("/").rsplit("/", 1)[-1] if link else ""
            if slug in undated:
                seen += 1
                meta = item.find("p", cls="paper-meta")
                assert meta is not None and meta.find("span", cls="date-added"), page_path
    assert seen >= 10
    feed = site.text("feed.xml")
    for slug in undated:
        entry = feed.split(f"papers/{slug}/</id>")
        if len(entry) > 1:
            assert "<published>" not in entry[1].split("</entry>")[0]


def test_the_home_page_headlines_the_newest_dated_listing(seed_site: BuiltSite) -> None:
    heading = seed_site.page("index.html").find("h2", id="latest-heading")
    assert heading is not None and "30 April 2025" in heading.text()


# -- dates that do not move ------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": "2025-06-01T12:00:00",
        "GIT_COMMITTER_DATE": "2025-06-01T12:00:00",
    }
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_two_clones_a_year_apart_build_byte_identical_sites(tmp_path: Path, new_site) -> None:
    origin = new_site(tmp_path / "origin", listing_years={})
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "digest.yaml", "content")
    git(origin, "commit", "-q", "-m", "listings")
    outputs = []
    for n, age in enumerate((0, YEAR)):
        clone = tmp_path / f"clone{n}"
        git(tmp_path, "clone", "-q", str(origin), str(clone))
        stamp = time.time() - age
        for path in (clone / "content" / "listings").iterdir():
            os.utime(path, (stamp, stamp))
        result = build_site(clone, search=False)
        assert not [d for d in result.diagnostics if d.level == "error"]
        outputs.append(clone / "site")
    files = sorted(p.relative_to(outputs[0]) for p in outputs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outputs[1]) for p in outputs[1].rglob("*") if p.is_file())
    for relative in files:
        assert (outputs[0] / relative).read_bytes() == (outputs[1] / relative).read_bytes(), (
            relative
        )
    listed = {m["listed"] for m in records(tmp_path / "clone1").values()}
    assert {d.year for d in listed} == {2025, 2024}  # from the commit, not the clone's time
    pins = (tmp_path / "clone1" / "content" / "listing-dates.yaml").read_text("utf-8")
    assert f'"{DAILY}": 2025-04-30' in pins


def test_a_pinned_date_wins_over_a_later_file_time(tmp_path: Path, new_site) -> None:
    root = new_site(tmp_path / "site", listings=None, listing_years={})
    listing = root / "content" / "listings" / DAILY
    shutil.copy(SEEDS / DAILY, listing)
    old = time.time() - YEAR
    os.utime(listing, (old, old))
    build_site(root, search=False)
    first = {m["listed"] for m in records(root).values()}
    shutil.rmtree(root / "content" / "papers")
    shutil.rmtree(root / ".digest-cache")
    os.utime(listing, None)  # touched today: the pin keeps the year
    build_site(root, search=False)
    assert {m["listed"] for m in records(root).values()} == first


# -- no junk kept ----------------------------------------------------------------------------


def test_prune_removes_the_unedited_orphans_and_names_the_edited_one(
    tmp_path: Path, new_site
) -> None:
    root = new_site(tmp_path / "site")
    assert digest(root, "ingest").returncode == 0
    gone = {s for s, m in records(root).items() if m["sources"] == [DAILY_2]}
    assert len(gone) == 31
    edited = sorted(gone)[0]
    path = root / "content" / "papers" / f"{edited}.md"
    path.write_text(path.read_text("utf-8") + "\nMy notes on this paper.\n", "utf-8")
    (root / "content" / "listings" / DAILY_2).unlink()

    build = digest(root, "build")
    assert build.returncode == 0, build.stderr
    assert "31 orphan records that no listing yields any more" in build.stderr

    dry = digest(root, "ingest", "--prune", "--dry-run")
    assert dry.returncode == 0 and "would remove" in dry.stdout
    assert set(records(root)) >= gone

    pruned = digest(root, "ingest", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "30 orphan records removed, 1 kept" in pruned.stdout
    assert f"kept (edited) content/papers/{edited}.md" in pruned.stdout
    left = set(records(root))
    assert left & gone == {edited} and len(left) == 171 - 30

    again = digest(root, "ingest", "--prune")
    assert "0 orphan records removed, 1 kept" in again.stdout
    assert set(records(root)) == left


def test_a_removed_listing_that_parses_differently_leaves_orphans(tmp_path: Path, new_site) -> None:
    root = new_site(tmp_path / "site", listings=None)
    listing = root / "content" / "listings" / "a.txt"
    listing.write_text(
        "Apr 30\n\nSparse Routing for Mixtures\n\nWe route tokens sparsely and halve the "
        "cost of mixtures of experts.\n\nDense Retrieval Revisited\n\nWe revisit dense "
        "retrieval and find simple baselines match recent methods.\n",
        "utf-8",
    )
    build_site(root, search=False)
    listing.write_text(listing.read_text("utf-8").split("Dense Retrieval")[0], "utf-8")
    result = build_site(root, search=False)
    (note,) = [d for d in result.diagnostics if "orphan" in d.message]
    assert "dense-retrieval-revisited" in note.message


# -- what is not a listing -------------------------------------------------------------------

HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>Daily Papers - Hugging Face</title>
<script>window.dataLayer = [];</script></head>
<body><nav><a href="/models">Models</a></nav>
<h3>Multi-Scale Grouped Prototypes for Interpretable Semantic Segmentation</h3>
<p>Prototypical part learning is emerging as a promising approach.</p>
</body></html>
"""


@pytest.mark.parametrize("strict", [False, True])
def test_an_html_page_and_a_binary_are_refused_and_the_rest_builds(
    tmp_path: Path, strict: bool, new_site
) -> None:
    root = new_site(tmp_path / "site")
    (root / "content" / "listings" / "saved-page.html").write_bytes(HTML_PAGE)
    (root / "content" / "listings" / "figure.png").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    )
    run = digest(root, "build", *(["--strict"] if strict else []))
    assert run.returncode == (1 if strict else 0), run.stderr
    for name in ("saved-page.html", "figure.png"):
        lines = [line for line in run.stderr.splitlines() if f"{name}:" in line]
        assert len(lines) == 1 and "not a listing" in lines[0], lines
    assert len(records(root)) == 171
    assert "Traceback" not in run.stderr


def test_ingesting_some_listings_names_no_orphans_and_will_not_prune(
    tmp_path: Path, new_site
) -> None:
    root = new_site(tmp_path / "site")
    assert digest(root, "ingest").returncode == 0
    one = digest(root, "ingest", f"content/listings/{DAILY}")
    assert one.returncode == 0 and "orphan" not in one.stderr
    refused = digest(root, "ingest", "--prune", f"content/listings/{DAILY}")
    assert refused.returncode == 2 and "give no FILE" in refused.stderr
    assert len(records(root)) == 171
