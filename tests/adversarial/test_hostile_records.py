"""Broken and odd records beside good ones: each problem is named with `file:line` (and `:col`
for YAML), the rest of the site builds, nothing the user wrote is rewritten, and `--strict`
turns the warnings into exit status 1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hostile import Tally, guarded_build, make_root, scan_output, seed_titles, time_limit

from generator.build import build_site
from generator.cli import main
from generator.records import parse_record
from generator.result import BuildResult

BOMB = "\n".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
)
BAD = {
    "broken-yaml.md": "---\ntitle: Broken\nabstract: [unclosed, list\nnotes: x\n---\nMy notes\n",
    "wrong-types.md": (
        "---\ntitle: Wrong Types Everywhere\nsources:\n- a.txt\n- b.txt\npublished: yesterday\n"
        "tags: 5\nauthors_count: many\ndraft: maybe\nlisted: [1, 2]\ntopic: {a: 1}\n"
        "links: https://example.org/one-link-as-text\n---\nNotes kept.\n"
    ),
    "unknown-fields.md": (
        "---\ntitle: Unknown Fields Kept\ncolour: blue\nrating: 5\nmy_notes:\n  deep: [1, 2]\n"
        "---\nBody.\n"
    ),
    "no-front-matter.md": "Just some notes, and no front matter at all.\n",
    "unclosed.md": "---\ntitle: Never Closed\nabstract: the closing line is missing\n",
    "front-matter-list.md": "---\n- a\n- b\n---\nA list, not fields.\n",
    "python-tag.md": "---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\n",
    "empty.md": "",
    "bom-crlf.md": "\ufeff---\r\ntitle: Windows Record\r\nabstract: Saved by Notepad.\r\n---\r\n",
    "tab-indent.md": "---\ntitle: Tabs\n\tabstract: indented with a tab\n---\n",
    "bomb.md": f"---\ntitle: A Billion Laughs\n{BOMB}\ntags: *l8\n---\n",
}
ERRORS = {  # name: (line, has a column)
    "broken-yaml.md": (3, True),  # where the list opens, not where YAML gave up (issue 23)
    "no-front-matter.md": (1, False),
    "unclosed.md": (1, False),
    "front-matter-list.md": (2, False),
    "python-tag.md": (2, True),
    "empty.md": (1, False),
    "tab-indent.md": (3, True),
}
WARNINGS = {  # name: {field: line}
    "wrong-types.md": {
        "published": 6,
        "tags": 7,
        "authors_count": 8,
        "draft": 9,
        "listed": 10,
        "topic": 11,
    },
    "unknown-fields.md": {"colour": 3, "rating": 4, "my_notes": 5},
    "bomb.md": {"tags": 12},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, tally: Tally) -> tuple[Path, BuildResult]:
    """A site built once from the seed listing, then edited by its user and given bad records."""
    root = make_root(tmp_path_factory.mktemp("records"))
    guarded_build(root, tally)
    papers = root / "content" / "papers"
    edited = sorted(papers.glob("*.md"))[:4]
    for i, path in enumerate(edited):
        text = path.read_text(encoding="utf-8")
        text = text.replace("\ntitle: ", f"\ntags: [mine-{i}]\ntopic: My Topic {i}\ntitle: ", 1)
        path.write_text(text + f"\nMy own notes on paper {i}, *kept*.\n", encoding="utf-8")
    for name, text in BAD.items():
        (papers / name).write_text(text, encoding="utf-8")
    (papers / "a-folder.md").mkdir()
    (papers / "dangling.md").symlink_to(papers / "no-such-target.md")
    (papers / "not-utf8.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    tally.tried(len(BAD) + 3 + len(edited))
    with time_limit(60):  # the billion laughs must not expand
        result = guarded_build(root, tally)
    return root, result


def snapshot(papers: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(papers.glob("*.md")) if p.is_file()}


def test_every_bad_record_is_an_error_at_its_line(site) -> None:
    _, result = site
    for name, (line, has_col) in ERRORS.items():
        found = [d for d in result.diagnostics if d.path == f"content/papers/{name}"]
        assert [d.level for d in found] == ["error"], (name, [d.format() for d in found])
        assert found[0].line == line, found[0].format()
        assert (found[0].col is not None) == has_col, found[0].format()
    for name in ("a-folder.md", "dangling.md", "not-utf8.md"):
        found = [d for d in result.diagnostics if d.path == f"content/papers/{name}"]
        assert [d.level for d in found] == ["error"], name
        assert "cannot read" in found[0].message and "Traceback" not in found[0].message


def test_wrong_types_and_unknown_fields_are_warnings_at_their_line(site) -> None:
    _, result = site
    for name, fields in WARNINGS.items():
        found = {
            d.message.split("`")[1].split(":")[0]: d
            for d in result.diagnostics
            if d.path == f"content/papers/{name}" and d.level == "warning"
        }
        for field, line in fields.items():
            key = field if field in found else next(k for k in found if field in k)
            assert found[key].line == line, found[key].format()
        assert all(len(d.message) < 300 for d in found.values())


def test_the_rest_of_the_site_builds(site) -> None:
    root, result = site
    built = {p.parent.name for p in (root / "site" / "papers").glob("*/index.html")}
    assert len(built) >= len(seed_titles())
    assert {"wrong-types", "unknown-fields", "bom-crlf", "bomb"} <= built
    assert not {"broken-yaml", "no-front-matter", "python-tag", "a-folder"} & built
    assert not Path("/tmp/pwned").exists()
    assert result.papers == len(built)


def test_no_record_is_rewritten(site, tally: Tally) -> None:
    root, _ = site
    papers = root / "content" / "papers"
    before = snapshot(papers)
    guarded_build(root, tally)  # and again: ingest may only add, never rewrite
    after = snapshot(papers)
    for name in before:
        if before[name] != after.get(name):
            tally.note("lost_edits", f"content/papers/{name} changed by a build")
    assert after == before
    assert b"colour: blue" in after["unknown-fields.md"]
    assert b"My own notes on paper 0, *kept*." in after[sorted(after)[0]] or any(
        b"My own notes on paper 0" in data for data in after.values()
    )


def test_edits_show_on_the_site(site) -> None:
    root, _ = site
    tags = {p.parent.name for p in (root / "site" / "tags").glob("*/index.html")}
    topics = {p.parent.name for p in (root / "site" / "topics").glob("*/index.html")}
    assert {"mine-0", "mine-1", "mine-2", "mine-3"} <= tags
    assert {"my-topic-0", "my-topic-3"} <= topics


def test_nothing_executable_and_no_dangling_output(site, tally: Tally) -> None:
    root, _ = site
    assert scan_output(root / "site", tally) == []


def test_strict_fails_on_warnings_and_plain_build_passes(
    site, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    """Only the warning records (the errors removed): 0 without --strict, 1 with it."""
    root, _ = site
    copy = tmp_path / "warned"
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns("site"))
    for name in [*ERRORS, "a-folder.md", "dangling.md", "not-utf8.md"]:
        path = copy / "content" / "papers" / name
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    tally.tried(2)
    config = str(copy / "digest.yaml")
    assert main(["build", "-c", config]) == 0
    assert main(["build", "-c", config, "--strict"]) == 1
    err = capsys.readouterr().err
    assert "warnings are errors under --strict" in err and "Traceback" not in err
    assert "content/papers/wrong-types.md:6: `published: 'yesterday'`" in err
    assert (copy / "site" / "papers" / "wrong-types" / "index.html").is_file()


def test_errors_fail_with_strict_but_the_site_is_still_built(
    site, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = site
    assert main(["build", "-c", str(root / "digest.yaml"), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "error: content/papers/broken-yaml.md:3:" in err and "Traceback" not in err
    assert (root / "site" / "papers" / "wrong-types" / "index.html").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_an_unreadable_record_is_an_error(tmp_path: Path, tally: Tally) -> None:
    root = make_root(tmp_path, records={"locked.md": "---\ntitle: Locked\n---\n"}, seed=False)
    (root / "content" / "papers" / "locked.md").chmod(0)
    tally.tried()
    result = guarded_build(root, tally)
    found = [d for d in result.diagnostics if d.path == "content/papers/locked.md"]
    assert [d.level for d in found] == ["error"]


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: x\npublished: 2024-02-30\n---\n",
        "---\ntitle: x\nlisted: 2024-13-01\n---\n",
        "---\ntitle: x\nauthors_count: 1" + "0" * 5000 + "\n---\n",
    ],
    ids=["feb-30", "month-13", "5000-digits"],
)
def test_a_record_yaml_cannot_crash_the_build(text: str, tally: Tally) -> None:
    tally.tried()
    record, problems = parse_record(text, "x", "content/papers/x.md")
    assert record is None and problems and problems[0].line is not None


def test_deeply_nested_front_matter_cannot_crash_the_build(tmp_path: Path, tally: Tally) -> None:
    deep = "---\ntitle: " + "[" * 20000 + "]" * 20000 + "\n---\n"
    root = make_root(tmp_path, records={"deep.md": deep}, seed=False)
    tally.tried()
    result = build_site(root, search=False)
    assert any(d.path == "content/papers/deep.md" for d in result.diagnostics)


def test_a_typo_keeps_the_last_good_page(tmp_path: Path, tally: Tally) -> None:
    root = make_root(tmp_path)
    guarded_build(root, tally)
    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    record.write_text(record.read_text("utf-8").replace("\ntitle: ", "\ntitle: [", 1), "utf-8")
    tally.tried()
    guarded_build(root, tally)
    assert (root / "site" / "papers" / record.stem / "index.html").is_file()
