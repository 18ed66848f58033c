"""generator.write (and the manifest it keeps): the only writer of the output folder. A file
is written whole or not at all, only when its bytes change, never outside the output, and
never into a folder the site did not make."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.errors import DigestError
from generator.manifest import Manifest
from generator.temps import temp_name
from generator.write import (
    Writer,
    check_output,
    check_owned,
    replace_tree,
    safe_path,
    sweep_leftovers,
    writing,
)


def _build(out: Path, files: dict[str, bytes], previous: Manifest, threads: int = 0) -> Writer:
    writer = Writer(out, previous, threads=threads)
    for path, data in files.items():
        writer.write(path, data, f"key-{path}")
    writer.remove_stale()
    writer.shutdown()
    return writer


@pytest.mark.parametrize("threads", [0, 4])
def test_a_second_build_writes_only_the_files_whose_bytes_changed(
    tmp_path: Path, threads: int
) -> None:
    out = tmp_path / "site"
    files = {"index.html": b"home", "papers/a/index.html": b"a", "papers/b/index.html": b"b"}
    first = _build(out, files, Manifest(str(out)), threads)
    assert sorted(first.written) == sorted(files)
    before = {p: os.stat(out / p).st_mtime_ns for p in files}
    files["papers/a/index.html"] = b"a, edited"
    second = _build(out, files, first.manifest(), threads)
    assert second.written == ["papers/a/index.html"]
    assert second.stats.unchanged == 2
    assert os.stat(out / "index.html").st_mtime_ns == before["index.html"]  # not touched
    assert (out / "papers/a/index.html").read_bytes() == b"a, edited"


def test_a_file_the_last_build_made_and_this_one_did_not_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = _build(out, {"a/index.html": b"a", "b/index.html": b"b"}, Manifest(str(out)))
    second = _build(out, {"a/index.html": b"a"}, first.manifest())
    assert second.stats.removed == 1
    assert not (out / "b").exists()  # its emptied folder too
    assert (out / "a" / "index.html").read_bytes() == b"a"


def test_a_fresh_file_is_kept_by_its_key_without_drawing_it(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = _build(out, {"x.html": b"x"}, Manifest(str(out)))
    writer = Writer(out, first.manifest())
    stale = writer.keep_fresh([("x.html", "key-x.html"), ("y.html", "key-y.html")])
    assert stale == {"y.html": "key-y.html"}
    assert "x.html" in writer.entries
    (out / "x.html").write_bytes(b"changed by hand")  # no longer the file recorded
    again = Writer(out, first.manifest())
    assert again.keep_fresh([("x.html", "key-x.html")]) == {"x.html": "key-x.html"}


@pytest.mark.parametrize(
    "path", ["../outside.html", "/etc/passwd", "a/../../b", "a\\b", "a//b", "", "a/./b", "a\x00"]
)
def test_nothing_is_written_outside_the_output_folder(tmp_path: Path, path: str) -> None:
    with pytest.raises(DigestError):
        safe_path(tmp_path, path)
    writer = Writer(tmp_path / "site", Manifest(str(tmp_path / "site")))
    with pytest.raises(DigestError):
        writer.write(path, b"x", None)
    assert not (tmp_path / "outside.html").exists()


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = _build(out, {"a/index.html": b"old"}, Manifest(str(out)))
    (out / "a").chmod(0o500)
    try:
        if os.access(out / "a", os.W_OK):
            pytest.skip("running as a user who can write into read-only folders")
        with pytest.raises(DigestError, match="cannot write the output"):
            _build(out, {"a/index.html": b"new"}, first.manifest())
    finally:
        (out / "a").chmod(0o700)
    assert (out / "a" / "index.html").read_bytes() == b"old"
    assert os.listdir(out / "a") == ["index.html"]


@pytest.mark.parametrize(
    "output", [".", "..", "content", "content/site", "themes/x", ".digest-cache", ".git/x"]
)
def test_an_output_folder_over_the_sites_own_files_is_refused(tmp_path: Path, output: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(DigestError, match="pick a folder"):
        check_output(root, root / output)
    check_output(root, root / "site")  # the usual one is fine


def test_a_folder_of_someone_elses_files_is_written_only_when_forced(tmp_path: Path) -> None:
    out, cache = tmp_path / "Documents", tmp_path / ".digest-cache"
    out.mkdir()
    (out / "taxes.pdf").write_bytes(b"%PDF")
    with pytest.raises(DigestError, match="did not make"):
        check_owned(out, cache)
    check_owned(out, cache, force=True)
    check_owned(tmp_path / "new", cache)  # not there yet: fine


def test_a_killed_builds_temporaries_are_swept_by_the_next(tmp_path: Path) -> None:
    out, cache = tmp_path / "site", tmp_path / ".digest-cache"
    (out / "papers" / "a").mkdir(parents=True)
    (out / "papers" / "a" / "index.html").write_bytes(b"whole")
    leftover = out / "papers" / "a" / temp_name("index.html", "123")
    with writing(cache, out) as swept:
        assert swept is None  # the last build ended
        leftover.write_bytes(b"half a pa")
        (out / ".pagefind.tmp").mkdir()
    # the block never ended normally? it did; mark it as a killed build's
    with pytest.raises(RuntimeError), writing(cache, out):
        leftover.write_bytes(b"half a pa")
        raise RuntimeError("killed")
    with writing(cache, out) as swept:
        assert swept is not None
        assert sorted(swept) == sorted([".pagefind.tmp", "papers/a/" + leftover.name])
    assert not leftover.exists() and (out / "papers" / "a" / "index.html").exists()
    assert sweep_leftovers(out) == []


def test_a_folder_is_replaced_whole(tmp_path: Path) -> None:
    target, staging = tmp_path / "pagefind", tmp_path / ".pagefind.tmp"
    target.mkdir()
    (target / "old.js").write_text("old")
    staging.mkdir()
    (staging / "new.js").write_text("new")
    replace_tree(staging, target)
    assert os.listdir(target) == ["new.js"] and not staging.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["pagefind"]
