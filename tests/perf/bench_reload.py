"""Edit-to-paint latency of `digest serve` (a script, not a test).

    python tests/perf/bench_reload.py [--papers 0 10000] [--edits 20] [--field notes|title]
                                      [--keep DIR]

For each size (0: the seed listings; N: N papers replicated from them by tests/perf/corpus.py)
a temporary site is served by `digest serve`, a paper page is opened in Debian's chromium,
and a sentence is appended to that paper's notes (or, with `--field title`, a word to its
title, which also changes every list showing it) `--edits` times. Each sample runs from the
moment the file is written to the moment the new text is in the page (Playwright's
wait_for_function, polling every 5 ms). The server's /__digest/status splits each sample
into: watch+debounce (file written → build started), the build (and its stages, as
BuildSession reports them), and reload+paint (build done → text visible).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from chromium import CHROMIUM_ARGS as ARGS  # noqa: E402
from conftest import ServedSite, make_site, start_serve  # noqa: E402
from corpus import make_site as make_corpus  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def prepare(folder: Path, papers: int) -> Path:
    if papers:
        return make_corpus(folder, papers)
    return make_site(folder)


def edited(text: str, field: str, i: int) -> tuple[str, str]:
    """The record's text with edit `i` made, and the words the page then shows."""
    words = f"Benchmark {i} at {time.time():.6f}"
    if field == "title":
        head, title, rest = text.partition("\ntitle: ")
        line, _, tail = rest.partition("\n")
        return f"{head}{title}{line.split(' Benchmark ')[0]} {words}\n{tail}", words
    return f"{text}\n\n{words}.\n", words


def measure(
    served: ServedSite, page: Any, record: Path, edits: int, field: str = "notes"
) -> list[dict[str, float]]:
    samples = []
    base = record.read_text(encoding="utf-8")
    for i in range(edits):
        served.settle(quiet=0.3, timeout=600)
        base, sentence = edited(base, field, i)
        written = time.time()
        start = time.perf_counter()
        record.write_text(base, encoding="utf-8")
        page.wait_for_function(
            "s => document.body && document.body.innerText.includes(s)",
            arg=sentence,
            polling=5,
            timeout=600_000,
        )
        total = time.perf_counter() - start
        build = next(b for b in reversed(served.status()["recent"]) if str(record) in b["changes"])
        waited = build["started"] - written
        samples.append(
            {
                "total": total,
                "watch+debounce": waited,
                "build": build["seconds"],
                "reload+paint": total - waited - build["seconds"],
                **{f"  {k}": v for k, v in build["stages"].items()},
            }
        )
        print(f"  edit {i + 1:2d}: {total * 1000:7.0f} ms", flush=True)
    return samples


def report(label: str, samples: list[dict[str, float]], startup: str) -> None:
    totals = [s["total"] for s in samples]
    p90 = statistics.quantiles(totals, n=10)[-1] if len(totals) > 1 else totals[0]
    print(f"\n{label}: {startup}")
    print(
        f"  edit-to-paint: median {statistics.median(totals) * 1000:.0f} ms, "
        f"p90 {p90 * 1000:.0f} ms over {len(totals)} edits"
    )
    for key in samples[0]:
        if key != "total":
            values = [s.get(key, 0.0) for s in samples]
            print(f"    {key:<18} median {statistics.median(values) * 1000:7.0f} ms")


def run(papers: int, edits: int, keep: Path | None, field: str = "notes") -> None:
    from playwright.sync_api import sync_playwright

    scratch: Path | None = None
    if keep is not None:
        root = keep / f"site-{papers}"
    else:
        scratch = Path(tempfile.mkdtemp(prefix="bench-reload-"))
        root = scratch / "site"
    if not (root / "content" / "papers").is_dir():  # --keep reuses a site made before
        prepare(root, papers)
    label = f"{papers} papers" if papers else "seed listings"
    label += f", {field} edits"
    print(f"{label}: serving {root}", flush=True)
    start = time.perf_counter()
    served = start_serve(root, 0, timeout=3600)
    startup = f"first build and start in {time.perf_counter() - start:.1f}s"
    try:
        served.settle(quiet=0.5, timeout=600)
        record = sorted((root / "content" / "papers").glob("*.md"))[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page()
            page.goto(f"{served.url}papers/{record.stem}/")
            report(label, measure(served, page, record, edits, field), startup)
            browser.close()
    finally:
        served.stop(timeout=60)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[0, 10_000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--field", choices=("notes", "title"), default="notes")
    parser.add_argument("--keep", type=Path, help="make the sites here, keep and reuse them")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing (apt-get install chromium)")
    for papers in args.papers:
        run(papers, args.edits, args.keep, args.field)


if __name__ == "__main__":
    main()
