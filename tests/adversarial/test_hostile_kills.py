"""`kill -9` of a build's own process (not of its process group) at five moments of a
3,000-paper build: the workers and helpers it forked die with it, and the next build neither
waits for ever on the build lock or on them nor gives another site than a clean build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostile import REPO, Tally, guarded_build, make_root

PAPERS = 3000
NEXT_BUILD_SECONDS = 60
Moment = Callable[[Path], bool]


def _count(folder: Path) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:
        return 0


# When to kill, each a state of the site the build reaches at a different stage.
MOMENTS: dict[str, Moment] = {
    "ingest: the first records written": lambda root: _count(root / "content" / "papers") > 0,
    "ingest: half the records written": lambda root: _count(root / "content" / "papers") > 1500,
    "render: the first pages written": lambda root: (root / "site" / "index.html").exists(),
    "render: 1,000 paper pages written": lambda root: _count(root / "site" / "papers") > 1000,
    "search: Pagefind indexing": lambda root: (root / "site" / ".pagefind.tmp").exists(),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The listings of 3,000 papers (tests/perf/corpus.py), never built. Their abstracts
    differ: see test_a_paper_sharing_an_abstract_with_a_record_of_another_title_is_its_own."""
    sys.path.insert(0, str(REPO / "tests" / "perf"))
    try:
        from corpus import make_site
    finally:
        sys.path.remove(str(REPO / "tests" / "perf"))
    return make_site(tmp_path_factory.mktemp("kills") / "corpus", PAPERS, distinct=True)


@pytest.fixture(scope="module")
def clean(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What a build of the corpus that nothing interrupts gives."""
    root = _copy(corpus, tmp_path_factory.mktemp("clean") / "site-root")
    done = _digest(root, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return snapshot(root)


def _copy(corpus: Path, dest: Path) -> Path:
    return Path(shutil.copytree(corpus, dest, copy_function=shutil.copy2))


def _digest(root: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )


def snapshot(root: Path) -> dict[str, str]:
    """The hash of every file of the output and of the records, by path; of the search
    index, which Pagefind does not write byte for byte the same twice, its page count."""
    found = {}
    for top in (root / "site", root / "content" / "papers"):
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(root).as_posix()
            if path.is_file() and not relative.startswith("site/pagefind/"):
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry = json.loads((root / "site" / "pagefind" / "pagefind-entry.json").read_text())
    found["site/pagefind/"] = str({k: v["page_count"] for k, v in entry["languages"].items()})
    return found


def children_of(pid: int) -> list[int]:
    """The processes `pid` forked (any of its threads), as /proc lists them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def kill_at(root: Path, moment: Moment) -> tuple[bool, list[int]]:
    """Start a build and SIGKILL its own process once `moment` holds; whether it was still
    running then, and the processes it had forked."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "build"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while proc.poll() is None and not moment(root) and time.monotonic() < deadline:
        time.sleep(0.005)
    forked = children_of(proc.pid)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return running, forked


@pytest.fixture()
def survivors() -> Iterator[list[int]]:
    """Processes to kill whatever the test found (a failing test leaves none behind)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_killed_builds_helpers_die_and_the_next_build_is_a_clean_one(
    moment: str,
    corpus: Path,
    clean: dict[str, str],
    tmp_path: Path,
    tally: Tally,
    survivors: list[int],
) -> None:
    root = _copy(corpus, tmp_path / "site-root")
    tally.tried()
    running, forked = kill_at(root, MOMENTS[moment])
    survivors.extend(forked)
    assert running, f"the build ended before {moment}: make the corpus bigger"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in forked) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in forked if alive(pid)]
    if left:
        tally.note("hangs", f"killed at {moment}: forked processes {left} outlived the build")
    started = time.monotonic()
    try:
        again = _digest(root, timeout=NEXT_BUILD_SECONDS)
    except subprocess.TimeoutExpired:
        tally.note("hangs", f"killed at {moment}: the next build ran over {NEXT_BUILD_SECONDS} s")
        raise
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    after = snapshot(root)
    differ = sorted(p for p in after.keys() | clean.keys() if after.get(p) != clean.get(p))
    if differ:
        tally.note("killed_builds_leaving_a_broken_site", f"killed at {moment}: {differ[:5]}")
    assert left == [], f"forked processes outlived the killed build: {left}"
    assert differ == [], f"{len(differ)} files differ from a clean build: {differ[:10]}"
    tally.details.append(
        f"killed at {moment}: {len(forked)} forked processes died with it; the next build "
        f"took {time.monotonic() - started:.1f} s and equals a clean build"
    )


# -- Ctrl-C in `digest serve` --------------------------------------------------------------


def _serve(root: Path) -> tuple[subprocess.Popen[str], list[str], list[str]]:
    """`digest serve` in its own process group, as a terminal runs it; its output lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out: list[str] = []
    err: list[str] = []
    for stream, lines in ((proc.stdout, out), (proc.stderr, err)):
        threading.Thread(target=lambda s=stream, k=lines: k.extend(s), daemon=True).start()
    return proc, out, err


def _wait(check: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def _first_build(root: Path, proc: subprocess.Popen[str], out: list[str]) -> None:
    _wait(lambda: bool(children_of(proc.pid)), "the first build's workers")


def _forked_pythons(pid: int) -> list[int]:
    """The children of `pid` that are forks of it, not programs it runs (serve's Pagefind)."""
    found = []
    for child in children_of(pid):
        try:
            program = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if b"pagefind" not in program:
            found.append(child)
    return found


def _related_papers(root: Path, proc: subprocess.Popen[str], out: list[str]) -> None:
    """A title edited once serving: its related papers are computed in a forked process."""
    _wait(lambda: any("Serving" in line for line in out), "serve to start")
    record = sorted((root / "content" / "papers").glob("*.md"))[0]
    record.write_text(record.read_text().replace("title: ", "title: Edited ", 1))
    _wait(lambda: bool(_forked_pythons(proc.pid)), "the related papers' process")


@pytest.mark.parametrize("during", [_first_build, _related_papers], ids=lambda f: f.__name__)
def test_ctrl_c_stops_serve_and_its_helpers_within_two_seconds(
    during: Callable[[Path, subprocess.Popen[str], list[str]], None],
    corpus: Path,
    tmp_path: Path,
    tally: Tally,
    survivors: list[int],
) -> None:
    root = _copy(corpus, tmp_path / "site-root")
    tally.tried()
    proc, out, err = _serve(root)
    try:
        during(root, proc, out)
        forked = children_of(proc.pid)
        survivors.extend(forked)
        pressed = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's process group
        proc.wait(30)
        took = time.monotonic() - pressed
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(0.2)  # the output pumped
    text = "".join(err)
    if "Traceback" in text or took > 2:
        tally.note("crashes", f"Ctrl-C in serve ({during.__name__}): {took:.1f} s, {text[-300:]}")
    assert proc.returncode == 0, text[-2000:]
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-2000:]
    assert took < 2, f"serve took {took:.1f} s to stop"
    _wait(lambda: not any(alive(pid) for pid in forked), "the helpers to stop", 5)


# -- a known bug of the merge (ingest.py, outside this reach) ----------------------


def test_a_paper_sharing_an_abstract_with_a_record_of_another_title_is_its_own(
    tmp_path: Path, tally: Tally
) -> None:
    abstract = "We study one thing twice under two names, and the abstracts are the same."
    listing = f"Daily Papers\n\nMar 4\n\nFirst Name Of It\n\n{abstract}\n\nSecond Name Of It\n\n"
    root = make_root(tmp_path, {"twins.txt": f"{listing}{abstract}\n".encode()}, seed=False)
    tally.tried()
    guarded_build(root, tally)
    records = sorted(p.name for p in (root / "content" / "papers").glob("*.md"))
    assert len(records) == 2, records
    (root / "content" / "papers" / records[1]).unlink()  # as a killed build never wrote it
    guarded_build(root, tally)
    again = sorted(p.name for p in (root / "content" / "papers").glob("*.md"))
    assert again == records, "a deleted record is not created again from its listing"
