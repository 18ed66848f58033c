"""The build pipeline: config → ingest → model → render → write → search.

`build_site` names each stage in order and times it. What a build reuses from the last one
(caches, a session's memory, skipping a build with nothing to do) is behind one object,
incremental.Incremental; drawing and writing the files whose key changed is drawing.py's.

Tests: tests/test_build.py, tests/test_session.py
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import orphans, temps
from .cache import CACHE_DIR
from .config import Config, load_config
from .drawing import keep_broken, render_site
from .errors import Diagnostic
from .incremental import Incremental, SessionState, interrupted
from .ingest import IngestResult, ingest
from .lock import build_lock
from .progress import SILENT, Progress
from .related_cache import Pending
from .result import BuildResult
from .search import IndexJob
from .site import Site, build_model
from .workers import job_count
from .write import check_output, check_owned, writing

__all__ = ["BuildResult", "SessionState", "build_site"]


class Timer:
    """Times each stage, and tells `progress` where the build is."""

    def __init__(self, timings: dict[str, float], progress: Progress = SILENT) -> None:
        self.timings, self.progress = timings, progress

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        self.progress.begin(stage)
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds
        self.progress.end(stage, seconds)


def build_site(
    root: Path,
    *,
    config_path: Path | None = None,
    output: Path | None = None,
    base_url: str | None = None,
    clean: bool = False,
    jobs: int = 0,
    progress: Progress = SILENT,
    search: bool = True,
    state: SessionState | None = None,
    changed: Collection[str] | None = None,
    force: bool = False,
    drafts: bool = False,
) -> BuildResult:
    """Build the site under `root`; raise DigestError only when nothing can be built.
    A `state` carried from build to build lets each reuse the previous one's work, and
    `changed` (when known) names every file changed since the last build of that state.
    `force` builds into an output folder that holds files this site did not make; `drafts`
    includes the records marked `draft: true`, marked as drafts. `progress` is told of each
    stage as it goes (console.py shows it)."""
    root, config_file = root.resolve(), config_path or root / "digest.yaml"
    config, notes = _config(config_file, state, base_url, drafts)
    out = (output or root / "site").resolve()
    check_output(root, out)
    check_owned(out, root / CACHE_DIR, force)
    result = BuildResult(config=config, output=out, diagnostics=list(notes))
    timed = Timer(result.timings, progress)
    with (
        build_lock(root / CACHE_DIR),
        _fewer_collections(),
        writing(root / CACHE_DIR, out) as swept,
    ):
        if swept is not None:  # the last build was cut short
            swept += temps.sweep(root / "content" / "papers")
            result.diagnostics.extend(interrupted(out, swept))
        reuse = Incremental(root, out, config, state, clean)
        if reuse.up_to_date(config_file, swept, search):
            return _skipped(result, reuse)
        reuse.begin()
        with reuse.reading():
            with timed("ingest"):
                ingested = _ingest(root, config, reuse, changed)
            pending = reuse.ingested(ingested)
        result.diagnostics.extend(_ingest_notes(ingested))
        with timed("model"):
            site = _model(config, ingested, reuse, result)
        indexing = _render_and_write(
            root, site, ingested, reuse, result, timed, jobs, pending, search
        )
        with timed("search"):
            if indexing is not None:
                result.diagnostics.extend(indexing.result())
                result.indexing = indexing.seconds
    reuse.finish(result, ingested)
    return result


def _config(
    config_file: Path, state: SessionState | None, base_url: str | None, drafts: bool
) -> tuple[Config, list[Diagnostic]]:
    config, notes = load_config(config_file, state.config if state is not None else None)
    if base_url:
        config = dataclasses.replace(config, base_url=base_url.rstrip("/") + "/")
    if drafts:
        config = dataclasses.replace(config, drafts=True)
    return config, notes


def _ingest(
    root: Path, config: Config, reuse: Incremental, changed: Collection[str] | None
) -> IngestResult:
    """The ingest stage, with the cache of the last. The cache is named in the call only: a
    cold build lets it go once the records are read (Incremental.ingested); a name held in
    build_site kept it alive while the pages were drawn (130 MB at 100,000 papers)."""
    cache, read = reuse.state.ingest, reuse.records_read
    return ingest(root, config, cache=cache, changed=changed, records_read=read)


def _skipped(result: BuildResult, reuse: Incremental) -> BuildResult:
    """The result of a build that had nothing to do (uptodate.py): the last one's report."""
    last = reuse.last
    assert last is not None
    result.diagnostics = list(last.diagnostics)
    result.papers, result.pages = last.papers, last.pages
    result.stats.unchanged = last.pages
    result.timings["up to date"] = 0.0
    return result


def _ingest_notes(ingested: IngestResult) -> list[Diagnostic]:
    orphaned = orphans.summary(ingested.orphans)
    return [*ingested.diagnostics, *([orphaned] if orphaned is not None else [])]


def _model(config: Config, ingested: IngestResult, reuse: Incremental, result: BuildResult) -> Site:
    changed = [*ingested.new, *ingested.updated]
    records, dates, undated = ingested.records.values(), ingested.listing_dates, ingested.undated
    site, problems = build_model(config, records, dates, reuse.state.model, changed, undated)
    result.diagnostics.extend(problems)
    result.papers = len(site.papers)
    reuse.modelled(site, result)
    return site


def _render_and_write(
    root: Path,
    site: Site,
    ingested: IngestResult,
    reuse: Incremental,
    result: BuildResult,
    timed: Timer,
    jobs: int,
    pending: Pending | None,
    search: bool,
) -> IndexJob | None:
    """The render and write stages; the search index is made in a thread of its own while
    the pages are drawn, and is not swapped in if they fail."""
    writer = reuse.writer()
    indexing: IndexJob | None = None
    try:
        with timed("render"):
            indexing = IndexJob(reuse.out, site, reuse.cache) if search else None
            drawn = render_site(
                root, site, writer, reuse.state, job_count(jobs), pending, timed.progress
            )
            keep_broken(writer, ingested.broken)
        result.diagnostics.extend(drawn.diagnostics)
        result.pages, result.drawn = drawn.pages, drawn.drawn
        with timed("write"):
            writer.remove_stale()
            reuse.save(writer)
        result.written, result.stats = writer.written, writer.stats
    except BaseException:
        if indexing is not None:
            indexing.abandon()  # no index swapped in, no staging left behind
        raise
    finally:
        writer.shutdown()
    return indexing


# A build allocates millions of objects that live until it ends, and few cycles: the
# collector's default (a pass every 700 allocations) took 4.5 s of a 100,000-paper ingest.
COLLECT_EVERY = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(COLLECT_EVERY, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
