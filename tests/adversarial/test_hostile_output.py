"""Faults while writing the output: a build killed with SIGKILL midway, two builds at once, a
full disk, and output folders that would overwrite the site. The previous site stays whole
and servable, and the next build repairs everything."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hostile import REPO, Tally, guarded_build, make_root

from generator.check import LinkChecker, check_site, served_base_url
from generator.cli import main
from generator.errors import Diagnostic, DigestError
from generator.serve_files import resolve

PAPERS = 2000
LEFTOVER_SUFFIXES = (".tmp", ".old")


def digest(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class _Whole(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def html_pages(output: Path) -> list[Path]:
    """HTML files, not hidden ones (temporaries, which the next build sweeps)."""
    return [
        page
        for page in output.rglob("*.html")
        if not any(part.startswith(".") for part in page.relative_to(output).parts)
    ]


def broken_pages(output: Path, parse_since: int = 0) -> list[str]:
    """Pages cut short; those written since `parse_since` (ns) also go through html.parser
    (all pages would take seconds; older ones are the last build's, already checked)."""
    broken = []
    for page in html_pages(output):
        relative = page.relative_to(output)
        try:
            data = page.read_bytes()
            text = data.decode("utf-8")
            tags = ["html"]
            if page.stat().st_mtime_ns >= parse_since:
                parser = _Whole()
                parser.feed(text)
                parser.close()
                tags = [t for t in parser.tags if t in ("html", "head", "body")]
        except (UnicodeDecodeError, OSError) as exc:
            broken.append(f"{relative}: {exc}")
            continue
        if not text.rstrip().endswith("</html>") or tags[:1] != ["html"]:
            broken.append(f"{relative}: not a whole page")
    return broken


def leftovers(output: Path) -> list[str]:
    return sorted(
        path.relative_to(output).as_posix()
        for path in output.rglob(".*")
        if path.name != ".nojekyll" and path.name.endswith(LEFTOVER_SUFFIXES)
    )


def page_count(output: Path) -> int:
    return sum(1 for _ in output.rglob("index.html"))


class _SomeLinks(LinkChecker):
    """check_site's link check on some pages only: all ~3,000 would take 25 s."""

    def __init__(self, output: Path, base_url: str, pages: list[str]) -> None:
        super().__init__(output, base_url, "site")
        self.some = pages

    def run(self) -> list[Diagnostic]:
        problems = []
        for relative in self.some:
            self.pages += 1
            problems.extend(self._check_page(relative))
        return [*problems, *self._check_xml()]


# -- SIGKILL midway ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 2,000 papers (tests/perf/corpus.py), ingested and built once."""
    sys.path.insert(0, str(REPO / "tests" / "perf"))
    try:
        from corpus import make_site
    finally:
        sys.path.remove(str(REPO / "tests" / "perf"))
    root = make_site(tmp_path_factory.mktemp("killed") / "site-root", PAPERS)
    assert digest(root, "ingest").returncode == 0
    first = digest(root, "build")
    assert first.returncode == 0, first.stderr[-2000:]
    return root


def written_since(output: Path, start_ns: int) -> bool:
    """True once the running build has rewritten the home page, the first page it draws."""
    try:
        return (output / "index.html").stat().st_mtime_ns > start_ns
    except OSError:
        return False


def test_a_build_killed_midway_leaves_a_whole_site_and_the_next_repairs_it(
    big_site: Path, tally: Tally
) -> None:
    root, output = big_site, big_site / "site"
    pages = page_count(output)
    config = root / "digest.yaml"
    config.write_text(config.read_text().replace("title: Paper Digest", "title: Killed Digest"))
    tally.tried()
    start = time.time_ns()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "build"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its render workers die with it
    )
    deadline = time.monotonic() + 60
    while not written_since(output, start) and proc.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.01)
    time.sleep(0.2)  # into the writing of ~2,500 pages (the home page is among the first)
    still_running = proc.poll() is None
    with contextlib.suppress(ProcessLookupError):  # it finished: said just below
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert still_running, "the build finished before it could be killed: make the site bigger"

    problems = broken_pages(output, parse_since=start)
    touched = sorted(
        p.relative_to(output).as_posix()
        for p in html_pages(output)
        if p.stat().st_mtime_ns >= start
    )
    if page_count(output) < pages:
        problems.append(f"{pages - page_count(output)} pages missing")
    left = leftovers(output)
    visible = [p for p in left if resolve(output, "/" + p).status == 200]

    again = digest(root, "build")
    after = time.time_ns()
    problems += [f"after the next build: {p}" for p in broken_pages(output, after)]
    problems += [f"after the next build: leftover {p}" for p in leftovers(output)]
    if again.returncode != 0:
        problems.append(f"the next build failed: {again.stderr[-500:]}")
    stale = [p for p in html_pages(output) if b"Killed Digest" not in p.read_bytes()]
    problems += [f"not repaired: {p.relative_to(output)}" for p in stale[:5]]
    sample = ["index.html", "404.html", *touched[:: max(1, len(touched) // 150)]]
    base_url = served_base_url(output) or "http://127.0.0.1:8000/"
    checker = _SomeLinks(output, base_url, list(dict.fromkeys(sample)))
    problems += [d.format() for d in checker.run() if d.level == "error"]
    if problems:
        tally.note("killed_builds_leaving_a_broken_site", "; ".join(problems[:5]))
    assert problems == [], problems[:20]
    assert touched, "the kill came before any page was written"
    tally.details.append(
        f"killed build: {len(touched)} pages rewritten before SIGKILL, {len(left)} temporary "
        f"files left ({len(visible)} servable by their exact name), swept by the next build"
    )


# -- two builds at once --------------------------------------------------------------------


def test_the_lock_holds_a_second_build_until_the_first_is_done(
    tmp_path: Path, tally: Tally
) -> None:
    root = make_root(tmp_path)
    (root / ".digest-cache").mkdir()
    tally.tried()
    with (root / ".digest-cache" / "build.lock").open("w") as held:
        fcntl.lockf(held, fcntl.LOCK_EX)  # a record lock, as lock.py takes it
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator.cli", "build"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert proc.poll() is None and not (root / "site").exists()
        assert not list((root / "content" / "papers").glob("*.md"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert (root / "site" / "index.html").is_file()


def test_two_builds_at_once_both_succeed_and_agree(tmp_path: Path, tally: Tally) -> None:
    root = make_root(tmp_path)
    tally.tried(2)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "generator.cli", "build"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1000:] for _, err in outputs]
    assert "Traceback" not in "".join(err for _, err in outputs)
    output = root / "site"
    assert broken_pages(output) == [] and leftovers(output) == []
    records = sorted(p.name for p in (root / "content" / "papers").glob("*"))
    assert not [r for r in records if r.startswith(".")], records  # no temp records left
    assert not [r for r in records if r.endswith("-2.md")], records  # no paper made twice
    third = guarded_build(root, tally, search=True)
    assert (third.stats.written, third.stats.removed) == (0, 0), third.written[:5]
    diagnostics, _ = check_site(root, root / "digest.yaml", None)
    assert [d.format() for d in diagnostics if d.level == "error"] == []


# -- a full disk ---------------------------------------------------------------------------


def test_a_full_disk_midway_keeps_the_old_pages_and_is_an_error(
    tmp_path: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path)
    guarded_build(root, tally)
    output = root / "site"
    before = {p: p.read_bytes() for p in output.rglob("*.html")}
    config = root / "digest.yaml"
    config.write_text(config.read_text().replace("title: Paper Digest", "title: Full Disk"))
    real = Path.write_bytes
    calls = {"n": 0}

    def write_bytes(self: Path, data: bytes) -> int:
        if output in self.parents and self.name.endswith(".tmp"):
            calls["n"] += 1
            if calls["n"] > 25:
                real(self, data[: len(data) // 2])  # what a full disk leaves: part of it
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    tally.tried()
    with pytest.raises(DigestError) as caught:
        guarded_build(root, tally)
    monkeypatch.undo()
    assert "No space left on device" in str(caught.value)
    assert caught.value.diagnostics[0].path.startswith(str(output))
    assert broken_pages(output) == [] and leftovers(output) == []
    for page, data in before.items():
        assert page.read_bytes() == data or b"Full Disk" in page.read_bytes(), page
    guarded_build(root, tally)
    assert all(b"Full Disk" in p.read_bytes() for p in output.rglob("index.html"))


# -- output folders that would overwrite the site --------------------------------------------


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (".", "contains the site itself"),
        ("..", "contains the site itself"),
        ("/", "contains the site itself"),
        ("content", "inside content/"),
        ("content/listings", "inside content/"),
        ("content/papers/../../content/out", "inside content/"),
        ("themes", "inside themes/"),
        ("themes/default/static", "inside themes/"),
        (".digest-cache", "build cache"),
        (".git/objects", "git folder"),
        ("digest.yaml", "is a file"),
        ("link-to-root", "contains the site itself"),
        ("link-to-content/site", "inside content/"),
    ],
)
def test_an_output_folder_over_the_site_is_refused(
    tmp_path: Path, target: str, words: str, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root", seed=False)
    (root / "link-to-root").symlink_to(root)
    (root / "link-to-content").symlink_to(root / "content")
    before = sorted(str(p) for p in root.rglob("*"))
    tally.tried()
    code = main(["build", "-c", str(root / "digest.yaml"), "-o", str(root / target)])
    err = capsys.readouterr().err
    assert code == 1 and words in err and "Traceback" not in err, err
    assert sorted(str(p) for p in root.rglob("*")) == before  # nothing written anywhere


# -- an output folder that is not the site's -----------------------------------------------

USERS_FILES = {
    "notes.txt": b"my notes",
    "index.html": b"<!doctype html><title>my own page</title>",
    ".bashrc.old": b"export PATH=...",
    ".draft.tmp": b"half a thought",
}


def _users_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in USERS_FILES.items():
        (folder / name).write_bytes(data)
    return folder


def test_an_output_folder_of_someone_elses_files_is_refused_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root")
    mine = _users_folder(tmp_path / "Documents")
    tally.tried(2)
    code = main(["build", "-c", str(root / "digest.yaml"), "-o", str(mine)])
    err = capsys.readouterr().err
    assert code == 1 and "--force" in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in mine.iterdir()) == sorted(USERS_FILES)
    assert all((mine / n).read_bytes() == d for n, d in USERS_FILES.items())
    code = main(["build", "-c", str(root / "digest.yaml"), "-o", str(mine), "--force"])
    assert code == 0, capsys.readouterr().err
    assert (mine / "papers.json").is_file() and (mine / "notes.txt").read_bytes() == b"my notes"
    assert main(["build", "-c", str(root / "digest.yaml"), "-o", str(mine)]) == 0  # ours now


def test_the_sweep_after_a_killed_build_removes_only_what_the_build_made(
    tmp_path: Path, tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root")
    guarded_build(root, tally)
    output = root / "site"
    _users_folder(output / "mine")
    for name in (".bashrc.old", ".draft.tmp"):
        (output / name).write_bytes(USERS_FILES[name])
    (output / ".cache.old").mkdir()
    ours = [
        output / "papers" / ".index.html.4194999.140.digest.tmp",  # no such process
        output / ".feed.xml.4194998.abc123.digest.tmp",
    ]
    for path in ours:
        path.write_bytes(b"half a page")
    (output / ".pagefind.tmp").mkdir()
    config = root / "digest.yaml"  # as a build killed midway leaves its mark
    config.write_text(config.read_text().replace("title: Paper Digest", "title: Swept"))
    name = hashlib.blake2b(str(output.resolve()).encode(), digest_size=8).hexdigest()
    (root / ".digest-cache" / f"writing-{name}").touch()  # write.writing's mark
    tally.tried()
    result = guarded_build(root, tally)
    assert any("interrupted" in d.message for d in result.diagnostics)
    assert not any(path.exists() for path in ours) and not (output / ".pagefind.tmp").exists()
    kept = [output / n for n in (".bashrc.old", ".draft.tmp", ".cache.old")]
    kept += [output / "mine" / n for n in USERS_FILES]
    gone = [p.relative_to(output).as_posix() for p in kept if not p.exists()]
    if gone:
        tally.note("lost_edits", f"the sweep deleted the user's {gone}")
    assert gone == []


def test_digest_check_names_a_build_cut_short_and_the_next_build_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root")
    guarded_build(root, tally)
    output = root / "site"
    name = hashlib.blake2b(str(output.resolve()).encode(), digest_size=8).hexdigest()
    (root / ".digest-cache" / f"writing-{name}").touch()  # as a build killed midway leaves
    (output / ".index.html.4194999.1.digest.tmp").write_bytes(b"<!DOCTYPE html><html><bo")
    tally.tried()
    config = str(root / "digest.yaml")
    assert main(["check", "-c", config]) == 1
    err = capsys.readouterr().err
    assert "cut short" in err and "digest build" in err, err
    assert main(["build", "-c", config]) == 0
    assert leftovers(output) == []
    capsys.readouterr()
    assert main(["check", "-c", config]) == 0, capsys.readouterr().err
