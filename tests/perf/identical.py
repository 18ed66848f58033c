"""Whether two checkouts of the generator write byte-identical output for the same input.

    python tests/perf/identical.py --base /tmp/base_checkout --new /work/main \\
        [--papers 10000] [--dir /dev/shm] [--keep]

Each checkout runs its own code: `python -m generator.cli ...` with the site folder as the
working directory and PYTHONPATH naming the checkout and a folder where `digest_themes` is
the checkout's themes/ (an editable install of the package elsewhere maps `digest_themes`,
and `generator` too, to its own tree: PYTHONPATH comes first, and the script checks which
files each checkout really imports before it starts).

Two corpora: the seeds (the listings in content/listings/ and digest.yaml of the repository
holding this script) and N generated papers (corpus.make_site, as bench.py; --papers 0
skips it). For each, every scenario starts from a fresh copy of the corpus for each checkout,
and the two copies go through the same steps side by side; after each step the two site
folders are compared file by file: the output (site/) and the inputs the build writes
(content/papers/, content/listing-dates.yaml, ...); only `.digest-cache/` is left out.

  cli      `digest ingest`; cold build (no output, no cache); no-change rebuild; one-record
           edit (a note appended to the middle record, as bench.py does); a field edit (the
           tags of another record, as bench_search.py does); one-template edit (the base
           checkout's themes/default/templates/paper.html copied into the site's
           themes/default/templates/ and changed, as bench.py does)
  session  what `digest serve` runs (BuildSession, from generator.session or generator.build,
           driven in a process running the checkout's code, as session_edit.py does): the
           first build, then a notes edit, a tags edit, a title edit, the record restored,
           a new listing, a template edit. After each build the session is let settle as
           serve lets it: related papers computed in the background (from 500 papers) are
           waited for and built in (a second snapshot, "+ related"), and the search index
           made in the background is waited for.

Search is on (digest.yaml's default), but the output's pagefind/ folder is EXCLUDED from the
byte comparison; only the number of pages it indexes is compared. Pagefind's output is not
deterministic: two runs of the same checkout (--base X --new X, Pagefind 1.5.2) give
pagefind/filter/*.pf_filter and pagefind.*.pf_meta files of other bytes, so other names, and
a pagefind-entry.json naming them. And its files are sometimes torn, after a `digest build`
as in a session: Pagefind's service answers WriteFiles before its writes are done, and the
generator stops it at once (as Pagefind/pagefind#1271 describes; fixed there by #1272):
pagefind-entry.json (and wasm.unknown.pagefind) stayed empty until the next index (a
no-change rebuild keeps it), in about half the runs on a busy machine. A torn entry is reported as a warning, not a difference. The pages Pagefind reads (their
data-pagefind-* attributes) are compared, in the HTML. No other file was found to depend on
the time or the run.

Each step prints the time it took in each checkout (in a session, with the waits for the
background work), then a table of scenario and step -> identical, or the files that differ
(only in base, only in new, different bytes, with the first differing line of a few); exits
1 on any difference, or when a step fails in one checkout and not the other.

Time (2 cores, a busy machine, --dir /dev/shm): 1 to 2 minutes at --papers 1000, 10 to 14
at 10000 (the seeds alone, --papers 0: 20 to 50 s).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
MARK = "@@identical "  # the session driver's replies on its stdout start with this
# folders of the site folder left out (see the docstring), with what is compared of them
IGNORED: dict[str, Callable[[Path], str] | None] = {
    ".digest-cache": None,
    "site/pagefind": lambda folder: pagefind_summary(folder),
    "site/.pagefind.tmp": None,  # Pagefind's workspace while it indexes
}
LISTED = 10  # differing files listed per step, at most
EXCERPTS = 3  # differing files shown with their first differing line, per step
NEW_LISTING = """Daily Papers

Mar 3

Identical Builds: Checking Two Generators Byte for Byte

We build the same digest with two versions of a static site generator and compare every file they write, over cold builds, rebuilds and edits.

A Second Paper Added While the Session Runs

A listing added while the preview runs must give its papers records, pages and places in every list, and the same in both versions.
"""
LISTING_TIME = calendar.timegm((2024, 6, 15, 12, 0, 0))  # its year comes from its mtime


# -- running a checkout --------------------------------------------------------------------


# What runs the generator when PYTHONPATH does not win over an install elsewhere: the
# checkout's folders put first on sys.path by hand (argv: ROOT SHIM, then the command's)
BOOT = (
    "import runpy, sys; sys.path[:0] = sys.argv[1:3]; del sys.argv[1:3]; "
    "runpy.run_module('generator.cli', run_name='__main__', alter_sys=True)"
)
PROBE = "import generator, digest_themes; print(generator.__file__); print(digest_themes.__file__)"


@dataclass
class Checkout:
    label: str  # "base" or "new"
    root: Path
    shim: Path  # holds digest_themes -> root/themes
    env: dict[str, str] = field(default_factory=dict)
    runner: list[str] = field(default_factory=lambda: [sys.executable, "-m", "generator.cli"])

    @classmethod
    def make(cls, label: str, root: Path, work: Path) -> Checkout:
        root = root.resolve()
        if not (root / "generator" / "cli.py").is_file():
            sys.exit(f"{root}: no generator/cli.py, not a checkout of the digest")
        shim = work / "shims" / label
        shim.mkdir(parents=True)
        (shim / "digest_themes").symlink_to(root / "themes", target_is_directory=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(root), str(shim)])
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ left in the checkouts
        return cls(label, root, shim, env)

    def imported(self, site: Path, boot: bool) -> tuple[Path, Path] | str:
        """The files of `generator` and `digest_themes` as the builds import them in `site`,
        or what went wrong."""
        if boot:
            code = f"import sys; sys.path[:0] = sys.argv[1:3]; {PROBE}"
            command = [sys.executable, "-c", code, str(self.root), str(self.shim)]
        else:
            command = [sys.executable, "-c", PROBE]
        proc = subprocess.run(command, cwd=site, env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            return f"cannot import the generator:\n{proc.stderr}"
        generator, themes = (Path(line).resolve() for line in proc.stdout.split())
        if not generator.is_relative_to(self.root / "generator"):
            return f"imports {generator}, not {self.root}'s generator"
        if not themes.is_relative_to(self.root / "themes"):
            return f"imports {themes}, not {self.root}'s themes"
        return generator, themes

    def check_imports(self, site: Path) -> None:
        """Make sure the builds in `site` run this checkout's code: PYTHONPATH first, else
        the checkout put on sys.path by hand (BOOT); exit when neither does."""
        found = self.imported(site, boot=self.runner[1] == "-c")
        if isinstance(found, str) and self.runner[1] == "-m":
            print(f"{self.label}: with PYTHONPATH, {found}; putting it on sys.path by hand")
            self.runner = [sys.executable, "-c", BOOT, str(self.root), str(self.shim)]
            found = self.imported(site, boot=True)
        if isinstance(found, str):
            sys.exit(f"{self.label}: {found}")

    def cli(self, site: Path, *args: str) -> Result:
        start = time.perf_counter()
        proc = subprocess.run(
            [*self.runner, *args], cwd=site, env=self.env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        tail = "" if proc.returncode == 0 else (proc.stdout + proc.stderr)[-1500:]
        return Result(f"exit {proc.returncode}", seconds, tail)


@dataclass(frozen=True)
class Result:
    outcome: str  # compared between the checkouts: "exit 0", "ok", an error's text
    seconds: float
    detail: str = ""  # shown when the outcomes differ
    notes: tuple[str, ...] = ()  # shown, not compared: a session's errors and search warnings

    @classmethod
    def of(cls, answer: dict[str, Any]) -> Result:
        """From a session driver's reply."""
        notes = tuple(answer.get("notes", ()))
        return cls(answer["outcome"], answer["seconds"], answer.get("detail", ""), notes)


# -- comparing two site folders ---------------------------------------------------------


TORN = "pagefind-entry.json torn"  # not compared (see the docstring)


def pagefind_summary(folder: Path) -> str:
    """What is compared of an excluded pagefind/ folder: the number of pages it indexes
    (Pagefind may still be writing its entry file a moment after it said it was done)."""
    entry = folder / "pagefind-entry.json"
    for _ in range(20):
        try:
            languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
            return "pages " + ", ".join(
                f"{k} {v['page_count']}" for k, v in sorted(languages.items())
            )
        except FileNotFoundError:
            return "no pagefind-entry.json"
        except (ValueError, KeyError, TypeError):
            time.sleep(0.25)
    return TORN


def snapshot(folder: Path) -> dict[str, str]:
    """Each file, symlink and folder under `folder` by relative path: a hash of its bytes,
    its link's target, or "folder"; an IGNORED folder as its summary, if it has one."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        rel = here.relative_to(folder)
        for name in list(dirnames):
            key = (rel / name).as_posix()
            if key in IGNORED:
                dirnames.remove(name)
                summary = IGNORED[key]
                if summary is not None:
                    found[key + "/ (excluded)"] = summary(here / name)
        dirnames.sort()
        for name in dirnames:
            path = here / name
            found[(rel / name).as_posix()] = (
                f"link {os.readlink(path)}" if path.is_symlink() else "folder"
            )
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink():
                found[(rel / name).as_posix()] = f"link {os.readlink(path)}"
            else:
                found[(rel / name).as_posix()] = hashlib.blake2b(
                    path.read_bytes(), digest_size=16
                ).hexdigest()
    return found


@dataclass
class Step:
    scenario: str
    step: str
    results: dict[str, Result]  # by checkout label
    only_base: list[str]
    only_new: list[str]
    different: list[str]
    excerpts: list[str]

    @property
    def identical(self) -> bool:
        outcomes = {r.outcome for r in self.results.values()}
        return len(outcomes) == 1 and not (self.only_base or self.only_new or self.different)


def first_difference(a: Path, b: Path) -> str:
    """Where two files first differ, as a line of each (or a byte offset)."""
    x, y = a.read_bytes(), b.read_bytes()
    if b"\0" in x[:4096] or b"\0" in y[:4096]:
        at = next((i for i, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), None)
        return f"binary, {len(x)} and {len(y)} bytes, first difference at byte {at}"
    lx, ly = x.decode(errors="replace").splitlines(), y.decode(errors="replace").splitlines()
    for number, (p, q) in enumerate(zip(lx, ly, strict=False), 1):
        if p != q:
            at = next((i for i, (c, d) in enumerate(zip(p, q, strict=False)) if c != d), None)
            left = max(0, (min(len(p), len(q)) if at is None else at) - 60)
            return (
                f"line {number}:\n        base: {p[left : left + 160]!r}"
                f"\n        new:  {q[left : left + 160]!r}"
            )
    return f"{len(lx)} and {len(ly)} lines, one a prefix of the other"


def compare(scenario: str, step: str, sites: dict[str, Path], results: dict[str, Result]) -> Step:
    base, new = snapshot(sites["base"]), snapshot(sites["new"])
    different = sorted(k for k in base.keys() & new.keys() if base[k] != new[k])
    torn = [k for k in different if TORN in (base[k], new[k])]
    for rel in torn:
        different.remove(rel)
        print(f"      warning: {rel}: base {base[rel]!r}, new {new[rel]!r}: not compared")
    excerpts = []
    for rel in different[:EXCERPTS]:
        a, b = sites["base"] / rel, sites["new"] / rel
        if a.is_file() and b.is_file() and not a.is_symlink() and not b.is_symlink():
            excerpts.append(f"{rel}: {first_difference(a, b)}")
        else:
            excerpts.append(f"{rel}: base {base[rel]!r}, new {new[rel]!r}")
    outcome = Step(
        scenario,
        step,
        results,
        sorted(base.keys() - new.keys()),
        sorted(new.keys() - base.keys()),
        different,
        excerpts,
    )
    show(outcome, len(base))
    return outcome


def show(step: Step, files: int) -> None:
    times = "  ".join(f"{k} {r.seconds:6.2f}s" for k, r in step.results.items())
    verdict = "identical" if step.identical else "DIFFERENT"
    print(f"  {step.step:32} {verdict:10} {files:7d} files   {times}", flush=True)
    for label, result in step.results.items():
        for note in result.notes:
            print(f"      {label}: {note}")
    outcomes = {k: r.outcome for k, r in step.results.items()}
    if len(set(outcomes.values())) > 1:
        print(f"      outcomes differ: {outcomes}")
        for k, r in step.results.items():
            if r.detail:
                print(f"      {k}: {r.detail.strip()}".replace("\n", "\n        "))
    elif any(r.detail for r in step.results.values()):
        print(f"      both failed: {next(iter(step.results.values())).detail.strip()[-500:]}")
    for what, names in (
        ("only in base", step.only_base),
        ("only in new", step.only_new),
        ("different bytes", step.different),
    ):
        if names:
            listed = ", ".join(names[:LISTED])
            more = f" ... and {len(names) - LISTED} more" if len(names) > LISTED else ""
            print(f"      {what} ({len(names)}): {listed}{more}")
    for excerpt in step.excerpts:
        print(f"      {excerpt}")


# -- the edits both copies get --------------------------------------------------------------


def records(site: Path) -> list[Path]:
    return sorted((site / "content" / "papers").glob("*.md"))


def middle_record(site: Path) -> Path:
    papers = records(site)
    return papers[len(papers) // 2]


def split_record(text: str) -> tuple[dict[str, Any], str, str]:
    import yaml

    front, body = text.split("---\n", 2)[1:]
    return yaml.safe_load(front), front, body


def with_field(text: str, name: str, value: object) -> str:
    """The record with one front-matter field set (session_edit.py's way)."""
    import yaml

    meta, _, body = split_record(text)
    dumped = yaml.safe_dump({**meta, name: value}, sort_keys=False, allow_unicode=True)
    return f"---\n{dumped}---\n{body}"


def override_template(site: Path, base: Path) -> Path:
    """paper.html of the base checkout's default theme, changed, in the site's themes/
    (bench.py's template edit)."""
    text = (base / "themes" / "default" / "templates" / "paper.html").read_text()
    changed = text.replace("{% block content %}", "{% block content %}<!-- identical -->", 1)
    if changed == text:
        sys.exit("the base checkout's paper.html has no {% block content %} to change")
    target = site / "themes" / "default" / "templates" / "paper.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(changed)
    return target


def add_listing(site: Path) -> Path:
    path = site / "content" / "listings" / "zz-identical.txt"
    path.write_text(NEW_LISTING, encoding="utf-8")
    os.utime(path, (LISTING_TIME, LISTING_TIME))
    return path


# -- the scenarios --------------------------------------------------------------------------


def fresh_copies(corpus: Path, runs: Path, name: str, checkouts: list[Checkout]) -> dict[str, Path]:
    """A copy of the corpus for each checkout, checked to import that checkout's code."""
    sites = {}
    for checkout in checkouts:
        site = runs / f"{name}-{checkout.label}"
        if site.exists():
            shutil.rmtree(site)
        shutil.copytree(corpus, site, symlinks=True)
        checkout.check_imports(site)
        sites[checkout.label] = site
    return sites


def cli_scenario(
    name: str, corpus: Path, runs: Path, checkouts: list[Checkout], keep: bool
) -> list[Step]:
    sites = fresh_copies(corpus, runs, f"{name}-cli", checkouts)
    scenario = f"{name}: cli"
    print(f"\n{scenario}", flush=True)
    steps: list[Step] = []

    def step(title: str, edit: Callable[[Path], object] | None, *args: str) -> None:
        results = {}
        for checkout in checkouts:
            site = sites[checkout.label]
            if edit is not None:
                edit(site)
            results[checkout.label] = checkout.cli(site, *args)
        steps.append(compare(scenario, title, sites, results))

    def cold(site: Path) -> None:
        shutil.rmtree(site / "site", ignore_errors=True)
        shutil.rmtree(site / ".digest-cache", ignore_errors=True)

    def notes(site: Path) -> None:
        with middle_record(site).open("a", encoding="utf-8") as handle:
            handle.write("\nAn edit for the comparison.\n")

    def tags(site: Path) -> None:
        record = records(site)[7 % len(records(site))]
        record.write_text(with_field(record.read_text(encoding="utf-8"), "tags", ["Compared"]))

    base_root = checkouts[0].root
    step("ingest", None, "ingest")
    step("cold build", cold, "build")
    step("no-change rebuild", None, "build")
    step("one-record edit (notes)", notes, "build")
    step("one-record edit (tags field)", tags, "build")
    step("one-template edit", lambda site: override_template(site, base_root), "build")
    if not keep:
        for site in sites.values():
            shutil.rmtree(site)
    return steps


class Driver:
    """A process running the checkout's BuildSession (see drive()), step by step."""

    def __init__(self, checkout: Checkout, site: Path, log: Path) -> None:
        self.label = checkout.label
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--drive",
                str(checkout.root),
                str(checkout.shim),
                str(site),
            ],
            cwd=site,
            env=checkout.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        ready = self.reply()
        print(f"  {self.label}: session from {ready.get('session')}", flush=True)

    def reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(MARK):
                answer: dict[str, Any] = json.loads(line[len(MARK) :])
                if "fatal" in answer:
                    sys.exit(f"{self.label}: the session driver failed: {answer['fatal']}")
                return answer
        sys.exit(f"{self.label}: the session driver stopped; see {self.log.name}")

    def send(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self.reply()

    def close(self) -> None:
        """Close the session (its background work stops) and end the process."""
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):  # it may have died already
                self.proc.stdin.write(json.dumps({"op": "close"}) + "\n")
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def session_scenario(
    name: str, corpus: Path, runs: Path, checkouts: list[Checkout], keep: bool
) -> list[Step]:
    labels = [c.label for c in checkouts]
    sites = fresh_copies(corpus, runs, f"{name}-session", checkouts)
    scenario = f"{name}: session"
    print(f"\n{scenario}", flush=True)
    for checkout in checkouts:  # the session builds from records, as serve does after ingest
        result = checkout.cli(sites[checkout.label], "ingest")
        if result.outcome != "exit 0":
            print(f"  {checkout.label}: ingest failed: {result.detail}")
    drivers = {
        c.label: Driver(c, sites[c.label], runs / f"{name}-{c.label}.log") for c in checkouts
    }
    steps: list[Step] = []
    record_name = middle_record(sites["base"]).name
    original = (sites["base"] / "content" / "papers" / record_name).read_text(encoding="utf-8")
    meta, front, body = split_record(original)
    base_root = checkouts[0].root

    def step(title: str, edit: Callable[[Path], Path | None]) -> None:
        results: dict[str, Result] = {}
        pending: dict[str, bool] = {}
        for label in labels:
            changed = edit(sites[label])
            answer = drivers[label].send(op="build", changed=[str(changed)] if changed else [])
            results[label] = Result.of(answer)
            pending[label] = answer["related"]
        steps.append(compare(scenario, title, sites, results))
        if not any(pending.values()):
            return
        settled = {label: Result("nothing to wait for", 0.0) for label in labels}
        for label in labels:
            if pending[label]:
                answer = drivers[label].send(op="settle")
                settled[label] = Result.of(answer)
        steps.append(compare(scenario, f"{title} + related", sites, settled))

    def write(text: str) -> Callable[[Path], Path]:
        def edit(site: Path) -> Path:
            record = site / "content" / "papers" / record_name
            record.write_text(text, encoding="utf-8")
            return record

        return edit

    try:
        step("first build", lambda site: None)
        step("notes edit", write(f"---\n{front}---\n{body}\nA note for the comparison.\n"))
        step("tags edit", write(with_field(original, "tags", ["Compared in a session"])))
        step("title edit", write(with_field(original, "title", f"{meta['title']} (edited)")))
        step("record restored", write(original))
        step("new listing", add_listing)
        step("template edit", lambda site: override_template(site, base_root))
    finally:
        for driver in drivers.values():
            driver.close()
    if not keep:
        for site in sites.values():
            shutil.rmtree(site)
    return steps


# -- the session driver (runs in a process of its own, with the checkout's code) -------------


def drive(root: str, shim: str, site_arg: str) -> None:
    """Run the checkout's BuildSession on `site`, one command a line on stdin (JSON: build
    with the changed files, settle, close), one reply each on stdout after MARK."""
    sys.path[:0] = [root, shim]
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the generator prints stays out of the replies
    site = Path(site_arg)

    def reply(**answer: Any) -> None:
        out.write(MARK + json.dumps(answer) + "\n")
        out.flush()

    import importlib
    import importlib.util

    import digest_themes

    import generator

    for module, package in ((generator, "generator"), (digest_themes, "themes")):
        if not Path(str(module.__file__)).resolve().is_relative_to(Path(root, package)):
            reply(fatal=f"imported {module.__file__}, not {root}'s {package}")
            return
    # BuildSession: in generator/build.py at d1a6789, maybe in generator/session.py later
    names = [n for n in ("generator.session", "generator.build") if importlib.util.find_spec(n)]
    found = [getattr(importlib.import_module(n), "BuildSession", None) for n in names]
    BuildSession = next((f for f in found if f is not None), None)
    if BuildSession is None:
        reply(fatal=f"no BuildSession in {', '.join(names)}")
        return
    session = BuildSession(site, site / "digest.yaml", site / "site")
    reply(session=BuildSession.__module__)
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "close":
            session.close()
            reply(outcome="closed")
            return
        start = time.perf_counter()
        result = None
        try:
            if command["op"] == "build":
                result = session.build(command["changed"])
            else:  # settle: the related papers computed in the background, built in
                while session.related_ready() is False:
                    time.sleep(0.05)
                result = session.build()
            outcome, detail = "ok", ""
        except Exception as exc:  # compared between the checkouts, like an exit code
            outcome, detail = f"{type(exc).__name__}", str(exc)[-1500:]
        diagnostics = getattr(result, "diagnostics", [])
        notes = [_format(d) for d in diagnostics if getattr(d, "level", "") == "error"]
        search = getattr(session, "search", None)
        idle = getattr(search, "idle", None)
        if idle is not None:
            idle(600)  # the search index made in the background
        notes += [f"search: {_format(d)}" for d in getattr(search, "diagnostics", [])]
        # None: no related papers computed in the background (asking starts them, as serve
        # asks a second after the last change)
        related = getattr(session, "related_ready", lambda: None)() is not None
        seconds = time.perf_counter() - start
        reply(outcome=outcome, detail=detail, seconds=seconds, related=related, notes=notes)


def _format(diagnostic: object) -> str:
    format_ = getattr(diagnostic, "format", None)
    return str(format_()) if callable(format_) else str(diagnostic)


# -- the corpora and the run ------------------------------------------------------------------


def corpora(work: Path, papers: int) -> Iterator[tuple[str, Path]]:
    sys.path.insert(0, str(HERE))
    from corpus import REPO, make_site

    seeds = work / "corpus" / "seeds"
    shutil.copytree(REPO / "content" / "listings", seeds / "content" / "listings")
    shutil.copy2(REPO / "digest.yaml", seeds / "digest.yaml")
    yield "seeds", seeds
    if papers:
        start = time.perf_counter()
        site = make_site(work / "corpus" / f"n{papers}", papers)
        print(f"\n(corpus of {papers} papers made in {time.perf_counter() - start:.1f}s)")
        yield f"{papers} papers", site


def summary(steps: list[Step], out: IO[str]) -> None:
    width = max(len(f"{s.scenario} / {s.step}") for s in steps)
    print(f"\n{'scenario / step':{width}}  result", file=out)
    for s in steps:
        if s.identical:
            verdict = "identical"
        else:
            parts = []
            outcomes = {k: r.outcome for k, r in s.results.items()}
            if len(set(outcomes.values())) > 1:
                parts.append(f"outcomes {outcomes}")
            for what, names in (
                ("only in base", s.only_base),
                ("only in new", s.only_new),
                ("differ", s.different),
            ):
                if names:
                    listed = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
                    parts.append(f"{len(names)} {what}: {listed}")
            verdict = "DIFFERENT: " + "; ".join(parts)
        print(f"{s.scenario + ' / ' + s.step:{width}}  {verdict}", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="the checkout before")
    parser.add_argument("--new", required=True, type=Path, help="the checkout after")
    parser.add_argument("--papers", type=int, default=10000, help="generated corpus (0: none)")
    parser.add_argument("--dir", help="where the corpora and sites go (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the sites, to look at them")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="identical-", dir=args.dir))
    start = time.perf_counter()
    print(f"in {work}")
    checkouts = [Checkout.make("base", args.base, work), Checkout.make("new", args.new, work)]
    for checkout in checkouts:
        print(f"{checkout.label}: {checkout.root}")
    runs = work / "runs"
    runs.mkdir()
    steps: list[Step] = []
    try:
        for name, corpus in corpora(work, args.papers):
            steps += cli_scenario(name, corpus, runs, checkouts, args.keep)
            steps += session_scenario(name, corpus, runs, checkouts, args.keep)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    summary(steps, sys.stdout)
    different = [s for s in steps if not s.identical]
    print(
        f"\n{len(steps) - len(different)} of {len(steps)} steps identical"
        f" ({time.perf_counter() - start:.0f}s)" + (f"; kept in {work}" if args.keep else "")
    )
    return 1 if different else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        drive(*sys.argv[2:5])
    else:
        sys.exit(main())
