"""The whole pipeline on the seed listings: deterministic output, nothing machine-specific
in it, and a rebuild that writes nothing when nothing changed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import BuiltSite


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def second_build(tmp_path_factory, seed_site: BuiltSite, new_site, build_at) -> BuiltSite:
    """The same input built again from scratch, in another folder."""
    return build_at(new_site(tmp_path_factory.mktemp("again")))


def test_the_same_input_builds_a_byte_identical_site(
    seed_site: BuiltSite, second_build: BuiltSite
) -> None:
    first, second = digests(seed_site.output), digests(second_build.output)
    assert len(first) > 400
    assert first.keys() == second.keys()
    assert [path for path in first if first[path] != second[path]] == []


def test_the_output_names_no_build_folder(seed_site: BuiltSite) -> None:
    marker = str(seed_site.root.parent).encode()
    assert [
        p for p in seed_site.output.rglob("*") if p.is_file() and marker in p.read_bytes()
    ] == []


def test_a_rebuild_of_an_unchanged_site_writes_nothing(second_build: BuiltSite, build_at) -> None:
    before = digests(second_build.output)
    again = build_at(second_build.root)
    assert again.result.stats.written == 0
    assert again.result.stats.removed == 0
    assert digests(again.output) == before


def test_build_reports_its_stages_and_counts(seed_site: BuiltSite) -> None:
    result = seed_site.result
    assert result.ok
    assert result.papers == len(list((seed_site.root / "content" / "papers").glob("*.md")))
    assert result.pages == len(seed_site.html_pages())
    assert "ingest" in result.timings and len(result.timings) >= 3  # stages are timed
    assert "built" in result.summary()
