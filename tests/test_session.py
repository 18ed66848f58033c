"""Builds in a session (`digest serve`): each reuses the last one's work, and what it writes
is what a build from nothing writes. Notes edits take the quickest path (notes_edit.py)."""

from __future__ import annotations

import filecmp
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import incremental
from generator.build import build_site
from generator.errors import DigestError
from generator.notes_edit import notes_edits
from generator.session import BuildSession


@pytest.fixture
def session(tmp_path: Path, new_site: Callable[..., Path]) -> BuildSession:
    root = new_site(tmp_path / "s", search=False)
    built = BuildSession(root, root / "digest.yaml", root / "site")
    built.build()  # makes the records
    built.build()  # reads them
    return built


def _records(session: BuildSession) -> list[Path]:
    return sorted((session.root / "content" / "papers").glob("*.md"))


def _same_as_a_build_from_nothing(session: BuildSession, tmp_path: Path) -> None:
    """The session's output equals a clean build's, file for file, byte for byte."""
    clean = tmp_path / "clean"
    build_site(session.root, output=clean, clean=True, search=False)
    ours = session.output
    names = {p.relative_to(ours) for p in ours.rglob("*") if p.is_file()}
    theirs = {p.relative_to(clean) for p in clean.rglob("*") if p.is_file()}
    assert names == theirs
    _, mismatch, errors = filecmp.cmpfiles(ours, clean, [str(n) for n in names], shallow=False)
    assert not mismatch and not errors


def _notes(session: BuildSession, record: Path, parse: Callable[[str], Any]) -> str:
    page = session.output / "papers" / record.stem / "index.html"
    section = parse(page.read_text(encoding="utf-8")).find("section", cls="notes")
    return section.text() if section else ""


def test_a_notes_edit_draws_only_that_paper_page(
    session: BuildSession, tmp_path: Path, parse_html: Callable[[str], Any]
) -> None:
    record = _records(session)[3]
    record.write_text(record.read_text() + "\nA sentence written in the session.\n")
    result = session.build([str(record)])
    assert list(result.timings) == ["notes"]  # the quick path
    assert result.drawn == 1
    assert result.written == [f"papers/{record.stem}/index.html"]
    assert "A sentence written in the session." in _notes(session, record, parse_html)
    # The next full build of the session finds nothing left to draw...
    again = session.build()
    assert (again.drawn, again.stats.written) == (0, 0)
    # ...and the output is what a build from nothing makes.
    _same_as_a_build_from_nothing(session, tmp_path)


def test_notes_edits_of_several_records_in_one_batch(
    session: BuildSession, tmp_path: Path, parse_html: Callable[[str], Any]
) -> None:
    records = _records(session)[:3]
    for i, record in enumerate(records):
        record.write_text(record.read_text() + f"\nBatch note {i}.\n")
    result = session.build([str(r) for r in records])
    assert list(result.timings) == ["notes"]
    assert result.drawn == 3
    for i, record in enumerate(records):
        assert f"Batch note {i}." in _notes(session, record, parse_html)
    _same_as_a_build_from_nothing(session, tmp_path)


def test_a_field_edit_redraws_the_lists_showing_it(session: BuildSession, tmp_path: Path) -> None:
    record = _records(session)[5]
    text = record.read_text()
    record.write_text(text.replace("\ntitle: ", "\ntitle: Retitled ", 1))
    result = session.build([str(record)])
    assert "notes" not in result.timings
    assert result.drawn > 1  # the paper, and the topic, tag, month and listing pages
    topic_pages = [p for p in result.written if p.startswith("topics/")]
    assert topic_pages
    assert "Retitled" in (session.output / topic_pages[0]).read_text(encoding="utf-8")
    _same_as_a_build_from_nothing(session, tmp_path)


def test_a_series_of_field_edits_each_builds_what_a_build_from_nothing_builds(
    session: BuildSession, tmp_path: Path
) -> None:
    """Each build of a session keeps the keys of the lists the edit did not touch (keys.py
    `_same_papers`, `page_key` memo) and plans the others again: after each edit, in turn,
    the output is a clean build's. The edits move papers between groups, reorder lists and
    change what a page shows without changing its place."""
    records = _records(session)

    def front(record: Path, line: str) -> None:
        record.write_text(record.read_text().replace("\n---\n", f"\n{line}\n---\n", 1))

    edits: list[tuple[Path, Callable[[Path], object]]] = [
        (records[0], lambda r: r.write_text(r.read_text().replace("title: ", "title: A ", 1))),
        (records[1], lambda r: front(r, "tags: [session-tag]")),
        (records[2], lambda r: front(r, "tags: [session-tag, second-tag]")),
        (records[1], lambda r: front(r, "topic: A topic of its own")),
        (records[3], lambda r: front(r, "published: 1999-01-02")),
        (records[4], lambda r: front(r, "links: [https://github.com/example/code]")),
        (records[2], lambda r: front(r, "draft: true")),
        (records[5].with_name("new.md"), lambda r: r.write_text("---\ntitle: New\n---\n")),
    ]
    for i, (record, edit) in enumerate(edits):
        edit(record)
        result = session.build([str(record)])
        assert not any(d.level == "error" for d in result.diagnostics), i
        assert result.drawn >= 1, i
        _same_as_a_build_from_nothing(session, tmp_path / str(i))


def test_only_the_files_named_changed_are_read_again(session: BuildSession, tmp_path: Path) -> None:
    """A session's build reads again only the files its watcher names (ingest `changed`);
    those named in a build that failed before reading them are read by the next one."""
    records = _records(session)
    config = session.root / "digest.yaml"
    good = config.read_text()
    marked = records[0].read_text().replace("title: ", "title: Unnamed edit ", 1)
    records[0].write_text(marked)
    skipped = session.build([str(records[1])])  # records[0] changed, but is not named
    assert not any("Unnamed edit" in p.read_text() for p in session.output.glob("topics/*/*.html"))
    assert skipped.drawn == 0
    records[1].write_text(records[1].read_text().replace("title: ", "title: Second edit ", 1))
    config.write_text("title: [unclosed\n")
    with pytest.raises(DigestError):
        session.build([str(config), str(records[1])])
    config.write_text(good)
    fixed = session.build([str(config)])  # records[1] was named by the failed build
    assert f"papers/{records[1].stem}/index.html" in fixed.written
    session.build()  # changes not known: every file is looked at, records[0] too
    _same_as_a_build_from_nothing(session, tmp_path)
    new = records[0].with_name("made-in-the-session.md")
    new.write_text("---\ntitle: Made in the session\n---\n")
    assert "papers/made-in-the-session/index.html" in session.build([str(new)]).written
    new.unlink()
    session.build([str(new)])
    assert not (session.output / "papers" / "made-in-the-session").exists()
    _same_as_a_build_from_nothing(session, tmp_path / "again")


def test_a_taxonomy_edit_groups_the_papers_again(session: BuildSession, tmp_path: Path) -> None:
    """Classifications are remembered for one taxonomy: after digest.yaml's topics change,
    the session's papers are classified again, as a build from nothing classifies them."""
    config = session.root / "digest.yaml"
    data = yaml.safe_load(config.read_text())
    topics = data["taxonomy"]["topics"] = data["taxonomy"]["topics"][::-1]  # ties: first wins
    topics[0]["keywords"].append("model")
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    before = {
        p["slug"]: p["topic"] for p in json.loads((session.output / "papers.json").read_text())
    }
    session.build([str(config)])
    after = {
        p["slug"]: p["topic"] for p in json.loads((session.output / "papers.json").read_text())
    }
    assert sum(before[slug] != after[slug] for slug in after) >= 5
    _same_as_a_build_from_nothing(session, tmp_path)


def test_what_is_not_a_notes_edit(session: BuildSession) -> None:
    state = session.state
    papers = session.root / "content" / "papers"
    record = _records(session)[0]

    def edits(*paths: Path) -> object:
        return notes_edits(papers, [str(p) for p in paths], state.ingest, state.model.papers)

    assert edits() == []
    assert edits(record) == []  # not changed since the last build
    record.write_text(record.read_text() + "\nMore.\n")
    assert [e.name for e in edits(record)] == [record.name]  # type: ignore[attr-defined]
    new = papers / "a-new-record.md"
    new.write_text("---\ntitle: New\n---\n")
    assert edits(record, new) is None  # a new record changes lists
    assert edits(session.root / "digest.yaml") is None
    assert edits(papers.parent / "listings" / "001.txt") is None
    record.write_text(record.read_text().replace("\ntitle: ", "\ntitle: Other ", 1))
    assert edits(record) is None  # a field changed
    record.write_text("---\ntitle: [unclosed\n---\n")
    assert edits(record) is None  # broken YAML: the full build reports it


def test_a_broken_record_then_a_notes_edit(
    session: BuildSession, tmp_path: Path, parse_html: Callable[[str], Any]
) -> None:
    """After a failed build the quick path waits for a full build that succeeds."""
    record = _records(session)[2]
    good = record.read_text()
    record.write_text("---\ntitle: [unclosed\n---\n")
    broken = session.build([str(record)])
    assert any(d.level == "error" for d in broken.diagnostics)
    record.write_text(good + "\nFixed and noted.\n")
    fixed = session.build([str(record)])
    assert "notes" not in fixed.timings
    assert not any(d.level == "error" for d in fixed.diagnostics)
    assert "Fixed and noted." in _notes(session, record, parse_html)
    _same_as_a_build_from_nothing(session, tmp_path)


def test_cli_builds_after_edits_match_a_build_from_nothing(
    tmp_path: Path, new_site: Callable[..., Path]
) -> None:
    """`digest build` after `digest build`: the keys kept in .digest-cache between processes
    (keys.pickle) never keep a page that an edit changed."""
    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)
    build_site(root, search=False)  # the records made by the first build are read
    assert (root / ".digest-cache" / "keys.pickle").is_file()
    records = sorted((root / "content" / "papers").glob("*.md"))
    edits = [
        (records[0], lambda t: t + "\nA note from the command line.\n"),
        (records[1], lambda t: t.replace("\ntitle: ", "\ntitle: Renamed ", 1)),
        (records[2], lambda t: t.replace("\n---\n", "\ntags: [brand-new-tag]\n---\n", 1)),
        (records[3], lambda t: t.replace("\n---\n", "\ndraft: true\n---\n", 1)),
    ]
    for i, (record, edit) in enumerate(edits):
        record.write_text(edit(record.read_text()))
        result = build_site(root, search=False)
        assert result.drawn >= 1
        assert build_site(root, search=False).drawn == 0
        clean = tmp_path / f"clean-{i}"
        build_site(root, output=clean, clean=True, search=False)
        ours = root / "site"
        names = sorted(str(p.relative_to(ours)) for p in ours.rglob("*") if p.is_file())
        assert names == sorted(str(p.relative_to(clean)) for p in clean.rglob("*") if p.is_file())
        _, mismatch, errors = filecmp.cmpfiles(ours, clean, names, shallow=False)
        assert not mismatch and not errors, (record.name, mismatch[:5])


def test_a_clean_build_removes_what_the_last_build_made(
    tmp_path: Path, new_site: Callable[..., Path]
) -> None:
    """`digest build --clean` ignores the cache, not the output: a page the site no longer
    has does not stay behind."""
    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)
    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    page = root / "site" / "papers" / record.stem / "index.html"
    assert page.is_file()
    record.write_text(record.read_text().replace("\n---\n", "\ndraft: true\n---\n", 1))
    result = build_site(root, search=False, clean=True)
    assert result.drawn == result.pages
    assert not page.exists()


def test_a_build_with_nothing_to_do_is_skipped(
    tmp_path: Path, new_site: Callable[..., Path]
) -> None:
    """uptodate.py: skipped only while every input and every output file is as the last
    complete build left it; the report (warnings included) is the same."""
    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)
    full = build_site(root, search=False)  # the records the first build made are read
    assert "up to date" not in full.timings
    skipped = build_site(root, search=False)
    assert "up to date" in skipped.timings
    assert skipped.diagnostics == full.diagnostics
    assert (skipped.papers, skipped.pages) == (full.papers, full.pages)

    def rebuilt_after(change: Callable[[], object]) -> bool:
        change()
        rebuilt = "up to date" not in build_site(root, search=False).timings
        assert "up to date" in build_site(root, search=False).timings
        return rebuilt

    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    page = root / "site" / "papers" / record.stem / "index.html"
    assert rebuilt_after(lambda: record.write_text(record.read_text() + "\nNoted.\n"))
    assert rebuilt_after(page.unlink)
    assert page.is_file()
    assert rebuilt_after(lambda: page.write_text("changed by hand"))
    assert "changed by hand" not in page.read_text()
    override = root / "themes" / "default" / "templates" / "404.html"
    override.parent.mkdir(parents=True)
    assert rebuilt_after(lambda: override.write_text("{% extends 'base.html' %}"))
    config = root / "digest.yaml"
    assert rebuilt_after(lambda: config.write_text(config.read_text() + "\n# a comment\n"))
    assert "up to date" not in build_site(root, search=False, base_url="https://x.org/").timings
    assert "up to date" not in build_site(root, search=False, clean=True).timings


def test_a_template_edit_draws_only_the_pages_drawn_with_it(
    session: BuildSession, tmp_path: Path, parse_html: Callable[[str], Any]
) -> None:
    """paper.html overridden: every paper page and nothing else is drawn again (the exports
    and lists are not drawn from it); an edit of the header every page includes draws all."""
    papers = len(_records(session))
    override = session.root / "themes" / "default" / "templates"
    override.mkdir(parents=True)
    builtin = Path(__file__).resolve().parents[1] / "themes" / "default" / "templates"
    source = (builtin / "paper.html").read_text()
    (override / "paper.html").write_text(
        source.replace('<h2 id="abstract-heading">Abstract', '<h2 id="abstract-heading">Summary')
    )
    result = session.build()
    assert result.drawn == papers
    assert {p.split("/")[0] for p in result.written} == {"papers"}
    assert all(p.endswith("/index.html") for p in result.written)
    page = session.output / "papers" / _records(session)[0].stem / "index.html"
    assert parse_html(page.read_text()).find("h2", id="abstract-heading").text() == "Summary"
    _same_as_a_build_from_nothing(session, tmp_path)
    (override / "partials").mkdir()
    header = (builtin / "partials" / "header.html").read_text()
    (override / "partials" / "header.html").write_text(header + "<!-- edited -->\n")
    everything = session.build()
    emails = sum(1 for _ in session.output.glob("listings/*/email.html"))  # standalone pages
    assert emails and everything.drawn == everything.pages - emails
    _same_as_a_build_from_nothing(session, tmp_path / "again")


def test_a_title_edit_shows_new_related_papers_once_computed_in_the_background(
    session: BuildSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large site's session computes related papers in a forked process after a title
    edit: the edit is shown at once (with the last related papers), and the build after the
    computation ends is the same as a build from nothing."""
    monkeypatch.setattr(incremental, "BACKGROUND_FROM", 0)
    record = _records(session)[2]
    record.write_text(record.read_text().replace("title: ", "title: Revised ", 1))
    first = session.build([str(record)])
    assert f"papers/{record.stem}/index.html" in first.written
    assert session.related_ready() is not None  # computing, or done and not yet shown
    deadline = time.monotonic() + 60
    while not session.related_ready():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    session.build()
    assert session.related_ready() is None
    _same_as_a_build_from_nothing(session, tmp_path)


def test_a_cold_build_saves_its_ingest_cache(
    tmp_path: Path, new_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that read every file saves its ingest cache (and lets it go before drawing):
    the next build parses no listing again."""
    from generator.ingest import listing_files as ingest_module

    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)  # makes the records
    build_site(root, search=False)  # reads them
    cache = root / ".digest-cache" / "ingest.pickle"
    cache.unlink()
    build_site(root, search=False, clean=True)  # every file read again: saved
    assert cache.is_file()
    stamp = cache.stat().st_mtime_ns
    parses: list[str] = []
    parse = ingest_module.parse_bytes
    monkeypatch.setattr(
        ingest_module, "parse_bytes", lambda data, name: parses.append(name) or parse(data, name)
    )
    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    record.write_text(record.read_text() + "\nA note.\n")
    build_site(root, search=False)
    assert parses == []
    assert cache.stat().st_mtime_ns >= stamp
