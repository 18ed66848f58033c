"""Ingest throughput on 10,000 papers made from the seed listings (a script, not a test).

    python tests/perf/bench_ingest.py [--papers 10000] [--profile]

Each copy of the seeds gets distinct titles (a "Replica N:" prefix on daily titles, a
leading sentence on affiliation abstracts) so every paper becomes its own record. Reports
papers/s for a cold run (no records yet) and a warm run (all records exist), and the peak
memory of each (tracemalloc, Python allocations only; the process peak RSS as well).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

from generator.config import load_config
from generator.ingest import ingest
from generator.listings import parse_bytes

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "content" / "listings"


def replicate(target: Path, papers: int) -> int:
    """Write copies of the seed listings with varied titles into `target`; return the count."""
    seeds = [(p.name, p.read_bytes().decode("utf-8")) for p in sorted(SEEDS.iterdir())]
    written, copy = 0, 0
    while written < papers:
        for name, text in seeds:
            if written >= papers:
                break
            body, count = _vary(name, text, copy, papers - written)
            (target / f"r{copy:03d}_{name}").write_text(body, encoding="utf-8")
            written += count
        copy += 1
    return written


def _vary(name: str, text: str, copy: int, room: int) -> tuple[str, int]:
    entries = parse_bytes(text.encode(), name).entries[:room]
    lines = text.split("\n")
    for entry in entries:
        index = entry.line - 1
        if entry.title is not None:
            lines[index] = f"Replica {copy}: {lines[index]}"
        else:
            lines[index] = lines[index].replace(
                "Abstract:", f"Abstract:Replica {copy} of this study. ", 1
            )
    if len(entries) < len(parse_bytes(text.encode(), name).entries):
        cut = _end_of(lines, entries)
        lines = lines[:cut]
    return "\n".join(lines), len(entries)


def _end_of(lines: list[str], entries: list) -> int:
    """The line after the last kept entry's abstract and metadata."""
    last = entries[-1].line  # 1-based title (or abstract) line
    index = last  # 0-based index of the line after it
    while index < len(lines) and (not lines[index].strip() or index == last):
        index += 1
    index += 1  # the abstract
    for _ in range(4):  # metadata: "• N authors", "·", a date, and blank lines between
        if index < len(lines) and (not lines[index].strip() or _is_meta(lines[index])):
            index += 1
    return index


def _is_meta(line: str) -> bool:
    stripped = line.strip()
    return (
        stripped in {"·", "•"}
        or stripped.endswith(("author", "authors"))
        or (stripped[:3].isalpha() and any(ch.isdigit() for ch in stripped) and len(stripped) < 14)
    )


def timed(root: Path, expected: int, *, dry_run: bool = False) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, summary) of one ingest of the site at `root`."""
    config, _ = load_config(root / "digest.yaml")
    wall, cpu = time.perf_counter(), time.process_time()
    result = ingest(root, config, dry_run=dry_run)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.papers == expected, (result.papers, expected)
    return wall, cpu, result.summary()


def peak_memory(root: Path) -> float:
    """Peak Python allocations (MiB) during one ingest, by tracemalloc (slow: timed apart)."""
    config, _ = load_config(root / "digest.yaml")
    tracemalloc.start()
    ingest(root, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def report(label: str, count: int, wall: float, cpu: float, summary: str) -> None:
    print(
        f"{label:26} {wall:6.2f} s wall {count / wall:8,.0f} papers/s | "
        f"{cpu:6.2f} s CPU {count / cpu:8,.0f} papers/s | {summary}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="pyinstrument both runs")
    parser.add_argument("--dir", help="where to make the site (default: the temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
        listings = root / "content" / "listings"
        listings.mkdir(parents=True)
        count = replicate(listings, args.papers)
        print(f"{count} papers in {len(list(listings.iterdir()))} listing files under {tmp}")
        if args.profile:
            _profile(root)
            return
        papers = root / "content" / "papers"
        report("cold, dry run (no writes)", count, *timed(root, count, dry_run=True))
        report("cold (no records yet)", count, *timed(root, count))
        report("warm (all records exist)", count, *timed(root, count))
        cold_peak = (shutil.rmtree(papers), peak_memory(root))[1]
        warm_peak = peak_memory(root)
        print(f"peak traced memory: cold {cold_peak:.1f} MiB, warm {warm_peak:.1f} MiB")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole process {peak_rss:.0f} MiB; load average {os.getloadavg()}")


def _profile(root: Path) -> None:
    from pyinstrument import Profiler

    config, _ = load_config(root / "digest.yaml")
    for label in ("cold", "warm"):
        profiler = Profiler()
        profiler.start()
        ingest(root, config)
        profiler.stop()
        print(f"--- {label}")
        print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
