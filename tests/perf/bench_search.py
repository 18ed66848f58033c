"""Search and discovery benchmark: what the search index and the discovery pages cost.

    python tests/perf/bench_search.py [N ...]      (default: seeds 10000; "seeds" = the
                                                   repository's listings)

For each corpus: `digest ingest`, then cold `digest build` (no output, no cache) with
`search: false` and again with search on; the difference is the time indexing adds. Also:
Pagefind alone on the built output, the index's size (all of it, and what a first query
downloads at least: the entry, the WASM and the filter files), related papers computed
cold and from its cache, and how many pages the filter views and e-mails add.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import REPO, make_site

sys.path.insert(0, str(REPO))


def seeds_site(target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "content" / "listings", target / "content" / "listings")
    shutil.copy(REPO / "digest.yaml", target / "digest.yaml")
    return target


def cli(site: Path, *args: str) -> float:
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "generator.cli", *args], cwd=site, capture_output=True, text=True
    )
    if run.returncode != 0:
        sys.exit(f"digest {' '.join(args)} failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return time.perf_counter() - start


def set_search(site: Path, on: bool) -> None:
    path = site / "digest.yaml"
    text = re.sub(r"(?m)^search:.*\n", "", path.read_text())
    path.write_text(text + ("" if on else "search: false\n"))


def cold_build(site: Path, search: bool) -> float:
    set_search(site, search)
    shutil.rmtree(site / "site", ignore_errors=True)
    shutil.rmtree(site / ".digest-cache", ignore_errors=True)
    return cli(site, "build")


def size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def first_query_bytes(bundle: Path) -> int:
    """The least a first search fetches: the entry, the WASM and metadata, every filter."""
    names = ["pagefind-entry.json", "pagefind.js", "pagefind-ui.js", "pagefind-ui.css"]
    files = [bundle / n for n in names] + list(bundle.glob("wasm.en.pagefind"))
    files += list(bundle.glob("*.pf_meta")) + list((bundle / "filter").glob("*"))
    return sum(p.stat().st_size for p in files if p.is_file())


def pagefind_alone(site: Path) -> dict[str, float]:
    """The indexer alone, as a build runs it: the papers made into Pagefind's custom
    records (search.index_input), then Pagefind indexing them and writing its files."""
    import asyncio

    from generator.build import build_site
    from generator.incremental import SessionState
    from generator.pagefind_service import index_records
    from generator.search import index_input

    state = SessionState()
    build_site(site, search=False, state=state)
    assert state.site is not None
    start = time.perf_counter()
    records = index_input(state.site)
    made = time.perf_counter() - start
    out = Path(tempfile.mkdtemp(prefix="pf-")) / "pagefind"
    start = time.perf_counter()
    asyncio.run(index_records(records, state.site.config.language, out))
    indexed = time.perf_counter() - start
    shutil.rmtree(out.parent)
    return {"records made from the model (s)": made, "Pagefind alone (s)": indexed}


def discovery(site: Path) -> dict[str, float]:
    """Related papers cold and cached, and the pages the filters and e-mails add."""
    from generator.config import load_config
    from generator.ingest import load_records
    from generator.plan import plan
    from generator.related import related_papers
    from generator.related_cache import cached_related, texts_of
    from generator.site import build_model

    config, _ = load_config(site / "digest.yaml")
    records, _ = load_records(site / "content" / "papers", [])
    model, _ = build_model(config, records.values(), {})
    start, cpu = time.perf_counter(), time.process_time()
    related_papers(model.papers, config.related)
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    cache = Path(tempfile.mkdtemp(prefix="related-"))
    cached_related(cache, texts_of(model.papers), config.related)
    start = time.perf_counter()
    cached_related(cache, texts_of(model.papers), config.related)
    warm = time.perf_counter() - start
    shutil.rmtree(cache)
    pages = list(plan(model))
    views = sum(1 for p in pages if p.kind in ("topic", "tag") and p.context.get("filter"))
    lists = sum(1 for p in pages if p.kind in ("topic", "tag") and not p.context.get("filter"))
    return {
        "papers": len(model.papers),
        "pages": len(pages),
        "topic and tag list pages": lists,
        "filter view pages": views,
        "email pages": sum(1 for p in pages if p.kind == "email"),
        "related, cold (s)": cold,
        "related, cold (cpu s)": cold_cpu,
        "related, from cache (s)": warm,
    }


def bench(name: str, site: Path) -> None:
    print(f"\n== {name} ==", flush=True)
    cli(site, "ingest")
    off = cold_build(site, search=False)
    on = cold_build(site, search=True)
    again = cli(site, "build")
    bundle = site / "site" / "pagefind"
    total, files = size(bundle)
    html, pages = size_html(site / "site")
    rows = {
        "cold build, search: false (s)": off,
        "cold build, search on (s)": on,
        "time added by indexing (s)": on - off,
        "no-change rebuild, search on (s)": again,
        "index size (MB)": total / 1e6,
        "index files": files,
        "first query downloads at least (kB)": first_query_bytes(bundle) / 1e3,
        "HTML of paper pages (MB)": html / 1e6,
        "paper pages": pages,
    }
    rows.update(pagefind_alone(site))
    rows.update(discovery(site))
    for key, value in rows.items():
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {key:40} {shown:>10}", flush=True)


def size_html(output: Path) -> tuple[int, int]:
    pages = list((output / "papers").glob("*/index.html"))
    return sum(p.stat().st_size for p in pages), len(pages)


def main(argv: list[str]) -> None:
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    for arg in argv or ["seeds", "10000"]:
        if arg == "seeds":
            site = seeds_site(work / "seeds")
        else:
            site = make_site(work / f"n{arg}", int(arg))
        bench(arg, site)
    shutil.rmtree(work)


if __name__ == "__main__":
    main(sys.argv[1:])
