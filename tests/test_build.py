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


def test_pages_drawn_by_worker_processes_are_those_of_a_serial_build(
    tmp_path, seed_site: BuiltSite, new_site, monkeypatch
) -> None:
    """Two rounds of forked workers (paper pages with the list items, then list pages),
    taking pages from a shared counter, write the bytes `--jobs 1` writes; so does a
    session's second build, whose items are all drawn already and whose workers then have
    only list pages to draw."""
    import generator.workers
    from generator.build import build_site
    from generator.session import BuildSession

    monkeypatch.setattr(generator.workers, "MIN_PAGES_PER_WORKER", 1)
    root = new_site(tmp_path / "forked")
    url = seed_site.base_url
    serial = build_site(root, output=tmp_path / "serial", base_url=url, search=False, jobs=1)
    forked = build_site(root, output=tmp_path / "forked-out", base_url=url, search=False, jobs=2)
    assert serial.drawn == forked.drawn > 400
    assert digests(tmp_path / "forked-out") == digests(tmp_path / "serial")
    assert digests(tmp_path / "serial") == digests(seed_site.output)

    session = BuildSession(root, root / "digest.yaml", tmp_path / "session", url)
    session.build()
    templates = root / "themes" / "default" / "templates"
    templates.mkdir(parents=True)
    home = Path(generator.workers.__file__).parents[1] / "themes/default/templates/list.html"
    (templates / "list.html").write_text(home.read_text().replace("<h1>", "<h1 id='top'>"))
    again = session.build()
    assert again.drawn > 100 and not [d for d in again.diagnostics if d.level == "error"]
    redrawn = digests(tmp_path / "session")
    before = digests(tmp_path / "serial")
    changed = [p for p in redrawn if redrawn[p] != before.get(p) and p.endswith(".html")]
    marked = [p for p in changed if b"<h1 id='top'>" in (tmp_path / "session" / p).read_bytes()]
    assert len(changed) > 100 and marked == changed
