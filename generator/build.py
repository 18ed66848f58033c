"""The build pipeline: config → listings → records → site model → render → write → search.

`build_site` names each stage in order and times it. Drawing is incremental: every output
file has a key (keys.py) and a file whose key and bytes on disk match the last build's
manifest is neither drawn nor written again.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jinja2

from . import orphans, temps
from .ahead import Ahead
from .cache import load_cache, save_cache
from .classify import VERSION as CLASSIFY_VERSION
from .config import Config, load_config
from .config import Memo as ConfigMemo
from .errors import Diagnostic, info
from .exports import Export, cite_export, cite_files, exports, sitemap_export
from .ingest import IngestCache, IngestResult, ingest
from .keys import (
    GENERATOR_VERSION,
    Bases,
    Keyed,
    KeyMemo,
    digest,
    folder_digest,
    make_bases,
    page_digest,
    page_digests,
    paper_digests,
    paper_key,
    plan_keys,
)
from .lock import build_lock
from .manifest import Manifest, load_manifest, save_manifest
from .notes_edit import NotesEdit, notes_edits
from .plan import PAPER_TEMPLATE, Page, paper_page
from .progress import SILENT, Progress
from .related_cache import Pending, RelatedMemo, Texts, cached_related, texts_of
from .render import Renderer, Views
from .search import BackgroundIndex, IndexJob, index_present
from .site import ModelMemo, Site, build_model
from .themes import builtin_themes, make_env, static_files, theme_dirs
from .uptodate import LastBuild, inputs_digest, output_intact
from .workers import WRITE_THREADS, Job, draw, job_count
from .write import Writer, WriteStats, check_output, check_owned, writing

CACHE_DIR = ".digest-cache"


@dataclass(slots=True)
class BuildResult:
    config: Config
    output: Path
    ok: bool = True
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: WriteStats = field(default_factory=WriteStats)
    timings: dict[str, float] = field(default_factory=dict)
    papers: int = 0
    pages: int = 0
    drawn: int = 0
    written: list[str] = field(default_factory=list)
    indexing: float = 0.0  # seconds Pagefind took, while the pages were drawn

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        errors = sum(1 for d in self.diagnostics if d.level == "error")
        total = sum(self.timings.values())
        return (
            f"built {_count(self.papers, 'paper')}, {_count(self.pages, 'page')} into "
            f"{self.output} in {total:.2f}s "
            f"({self.drawn} drawn, {self.stats.written} written, {self.stats.unchanged} "
            f"unchanged, {self.stats.removed} removed); {warnings} warnings, {errors} errors"
        )

    def stages(self) -> str:
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.timings.items())
        if self.indexing:
            stages += f" (indexing {self.indexing:.2f}s beside the drawing)"
        return "stages: " + stages


@dataclass(slots=True)
class SessionState:
    """What one build leaves for the next in the same process (`digest serve`)."""

    config: ConfigMemo = field(default_factory=dict)
    ingest: IngestCache = field(default_factory=IngestCache)
    model: ModelMemo = field(default_factory=ModelMemo)
    keys: KeyMemo = field(default_factory=KeyMemo)
    manifest: Manifest | None = None
    # the template environment and drawn list items, valid while `drawing_key` holds
    drawing_key: str = ""
    bases: Bases | None = None  # of the last build's keys (keys.make_bases)
    env: jinja2.Environment | None = None
    items: dict[tuple[str, str], str] = field(default_factory=dict)
    related: RelatedMemo = field(default_factory=RelatedMemo)
    related_job: Pending | None = None  # computing in the background (session_related)
    # the last build that succeeded without errors, for a notes edit to start from
    last: BuildResult | None = None
    site: Site | None = None
    item_digests: dict[str, str] = field(default_factory=dict)
    model_diagnostics: list[Diagnostic] = field(default_factory=list)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class _Timer:
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
    root = root.resolve()
    state_config = state.config if state is not None else None
    config, notes = load_config(config_path or root / "digest.yaml", state_config)
    if base_url:
        config = dataclasses.replace(config, base_url=base_url.rstrip("/") + "/")
    if drafts:
        config = dataclasses.replace(config, drafts=True)
    out = (output or root / "site").resolve()
    check_output(root, out)
    check_owned(out, root / CACHE_DIR, force)
    result = BuildResult(config=config, output=out, diagnostics=list(notes))
    timed = _Timer(result.timings, progress)
    cache = root / CACHE_DIR
    with build_lock(cache), _fewer_collections(), writing(cache, out) as swept:
        if swept is not None:  # the last build was cut short
            swept += temps.sweep(root / "content" / "papers")
            result.diagnostics.extend(_interrupted(out, swept))
        fresh_state = state is None
        inputs = ""
        if fresh_state and not clean and swept is None:
            inputs = inputs_digest(
                config_path or root / "digest.yaml",
                [root / "content", root / "themes", builtin_themes()],
                (str(out), config.base_url, search, config.drafts),
                GENERATOR_VERSION,
            )
            last = load_cache(root, "last-build", inputs).get("last")
            indexed = not (search and config.search) or index_present(out)
            if (
                last is not None
                and indexed  # an index deleted by hand is made again
                and output_intact(out, load_manifest(root / CACHE_DIR, out))
            ):
                return _skipped(result, last)
        if state is None:
            state = SessionState()
            if not clean:
                state.ingest = (
                    load_cache(root, "ingest", GENERATOR_VERSION).get("cache") or state.ingest
                )
                state.model.classes = load_cache(root, "classes", taxonomy_stamp(config))
        state.model.use_taxonomy(config)
        settled = state.ingest.settled
        ahead = Ahead(config, state.model, root / CACHE_DIR if fresh_state else None, state.related)
        try:
            with timed("ingest"):
                ingested = ingest(
                    root, config, cache=state.ingest, changed=changed, records_read=ahead.start
                )
            pending = None
            if fresh_state:  # saved now and let go: the workers need not inherit the listings
                save_ingest(root, state.ingest, ingested, state.ingest.settled is not settled)
                state.ingest = IngestCache()
                # computed (if not cached) in another process
                merged = bool(ingested.new or ingested.updated)
                pending = ahead.related(ingested.records.values(), merged)
            ahead.classified()
        except BaseException:
            ahead.cancel()
            raise
        result.diagnostics.extend(ingested.diagnostics)
        orphaned = orphans.summary(ingested.orphans)
        if orphaned is not None:
            result.diagnostics.append(orphaned)
        if fresh_state and not clean:
            state.keys = load_cache(root, "keys", GENERATOR_VERSION).get("memo") or state.keys
        with timed("model"):
            site, problems = build_model(
                config,
                ingested.records.values(),
                ingested.listing_dates,
                state.model,
                [*ingested.new, *ingested.updated],
                ingested.undated,
            )
        result.diagnostics.extend(problems)
        result.papers = len(site.papers)
        state.last, state.site = None, site
        state.model_diagnostics = list(result.diagnostics)
        trusted = state.manifest is not None and not clean
        # --clean draws everything again, and still removes what the last build made
        previous = state.manifest or load_manifest(cache, out)
        writer = Writer(out, previous, trusted, reuse=not clean, threads=WRITE_THREADS)
        indexing: IndexJob | None = None
        try:
            with timed("render"):
                # the search index is made in a thread of its own while the pages are drawn
                indexing = IndexJob(out, site, cache) if search else None
                drawn = render_site(root, site, writer, state, job_count(jobs), pending, progress)
                keep_broken(writer, ingested.broken)
            result.diagnostics.extend(drawn.diagnostics)
            result.pages, result.drawn = drawn.pages, drawn.drawn
            with timed("write"):
                writer.remove_stale()
                state.manifest = writer.manifest()
                if fresh_state:  # a session keeps them in memory; the manifest is checked on disk
                    save_caches(root, cache, out, config, state, previous)
            result.written = writer.written
            result.stats = writer.stats
        except BaseException:
            if indexing is not None:
                indexing.abandon()  # no index swapped in, no staging left behind
            raise
        finally:
            writer.shutdown()
        with timed("search"):
            if indexing is not None:
                result.diagnostics.extend(indexing.result())
                result.indexing = indexing.seconds
    if not any(d.level == "error" for d in result.diagnostics):
        state.last = result
        if inputs and not ingested.new and not ingested.updated:
            last = LastBuild(inputs, tuple(result.diagnostics), result.papers, result.pages)
            save_cache(root, "last-build", inputs, {"last": last})
    return result


def _skipped(result: BuildResult, last: LastBuild) -> BuildResult:
    """The result of a build that had nothing to do (uptodate.py): the last one's report."""
    result.diagnostics = list(last.diagnostics)
    result.papers, result.pages = last.papers, last.pages
    result.stats.unchanged = last.pages
    result.timings["up to date"] = 0.0
    return result


def _interrupted(out: Path, swept: list[str]) -> list[Diagnostic]:
    if not swept:
        return []
    return [
        info(
            str(out),
            None,
            f"the last build was interrupted; removed {len(swept)} temporary files it left",
        )
    ]


@dataclass(slots=True)
class Drawing:
    diagnostics: list[Diagnostic]
    pages: int
    drawn: int


REREAD = 20  # files an ingest may read again rather than save its cache (see save_ingest)


def save_caches(
    root: Path, cache: Path, out: Path, config: Config, state: SessionState, previous: Manifest
) -> None:
    """Save what changed: pickling unchanged caches was a sixth of a no-change build."""
    assert state.manifest is not None
    if not state.manifest.same_as(previous):
        save_manifest(cache, out, state.manifest)
    if state.model.classes_added:
        save_cache(root, "classes", taxonomy_stamp(config), state.model.classes)
    if state.keys.computed:
        save_cache(root, "keys", GENERATOR_VERSION, {"memo": state.keys.saved()})


def save_ingest(root: Path, cache: IngestCache, ingested: IngestResult, merged: bool) -> None:
    """Save the ingest cache if the merge ran or many files were read. It is not saved for a
    few files read again (an edit): the next build reads them again too, which costs less
    than pickling every record."""
    if merged or ingested.parsed > max(REREAD, len(cache.records) // 100):
        save_cache(root, "ingest", GENERATOR_VERSION, {"cache": cache.saved()})


def keep_broken(writer: Writer, slugs: set[str]) -> None:
    """A record that cannot be read (a YAML typo) keeps the page its last good version had,
    until it is fixed: the error names it, and readers do not lose the page meanwhile."""
    prefixes = tuple(f"papers/{slug}/" for slug in slugs)
    if not prefixes:
        return
    for path in writer.previous.entries:
        if path.startswith(prefixes) and path not in writer.entries:
            writer.keep(path)


def taxonomy_stamp(config: Config) -> str:
    return digest(
        GENERATOR_VERSION, CLASSIFY_VERSION, config.topics, config.tags, config.other_topic
    )


def render_site(
    root: Path,
    site: Site,
    writer: Writer,
    state: SessionState,
    workers: int,
    pending: Pending | None = None,
    progress: Progress = SILENT,
) -> Drawing:
    """Draw the pages whose key changed and write every output file that differs."""
    config = site.config
    for path, data in static_files(root, config):
        writer.write(path, data, None)
    templates = [d / "templates" for d in theme_dirs(root, config)]
    base = digest(GENERATOR_VERSION, folder_digest(templates), config)
    if state.env is None or state.drawing_key != base:
        state.env, state.drawing_key, state.items = make_env(root, config), base, {}
    elif len(state.items) > 200_000:
        state.items.clear()
    # items are keyed by their paper's item digest; state.items is emptied when `base` changes
    bases = state.bases = make_bases(state.env, GENERATOR_VERSION, config, base, state.keys)
    papers = state.item_digests = paper_digests(site, state.keys)
    # The exports need no related papers: made while a cold build's are being computed in
    # another process, the rest made while the pages are drawn, and the small ones written
    # then too (writing 10,000 cite.bib files before forking the workers left the processor
    # idle; at 100,000 papers related papers are ready first, and making the exports held
    # the workers back 11 s). A session's build (no `pending`) makes them first, and the
    # writing threads write them while the pages are planned and drawn.
    made: list[tuple[str, bytes, str]] = []
    later: list[Export] = []
    stale_cites = writer.keep_fresh(cite_files(site, bases.plain, papers, state.keys))
    by_slug = {p.slug: p for p in site.papers} if stale_cites else {}
    cites = (
        cite_export(by_slug[path.split("/")[1]], site, key) for path, key in stale_cites.items()
    )
    for export in itertools.chain(exports(site, bases.plain, papers, state.keys), cites):
        if pending is None:
            write_export(writer, export)
        elif not pending.done():
            write_export(writer, export, held=made)
        else:
            later.append(export)
    texts = texts_of(site.papers, state.related if pending is None else None)  # a session
    if pending is not None:
        related = pending.result(texts)
    else:
        related = session_related(root / CACHE_DIR, texts, config.related, state)
    pages = page_digests(site, papers, related, state.keys)
    paths: list[str] = []  # of every page, in the plan's order (the sitemap's)
    drawn = 0

    def jobs_of(planned: Iterable[Keyed]) -> list[Job]:
        nonlocal drawn
        jobs = []
        for keyed in planned:
            paths.extend(path for path, _ in keyed.keys)
            stale = writer.keep_fresh(keyed.keys)
            if stale:
                jobs.extend(Job(page, stale[page.path]) for page in _stale_pages(keyed, stale))
        drawn += len(jobs)
        return jobs

    planned = plan_keys(site, bases, papers, pages, state.keys)
    rest = None
    if writer.empty and workers > 1:
        # Into an empty folder every page is drawn: the workers start on the paper pages
        # while the groups are planned here (at 100,000 papers, 3.4 s with a processor idle).
        jobs = jobs_of(_through_papers(planned))
        rest = partial(jobs_of, planned)
    else:
        jobs = jobs_of(planned)
    renderer = Renderer(state.env, site, Views(site.papers, related), state.items, item_keys=papers)

    def write_exports() -> None:
        for path, data, key in made:
            writer.write(path, data, key)
        made.clear()
        for export in later:
            write_export(writer, export)
        later.clear()
        write_export(writer, sitemap_export(config, paths, bases.plain, state.keys))

    diagnostics = draw(renderer, writer, jobs, workers, write_exports, rest, progress)
    return Drawing(diagnostics, len(paths), drawn)


def _through_papers(planned: Iterator[Keyed]) -> Iterator[Keyed]:
    """The plan's sections up to the paper pages' (it comes second, after the home page)."""
    for keyed in planned:
        yield keyed
        if keyed.section.kind == "papers":
            return


# papers: from here a session computes related papers in the background (at 1,000 papers,
# computing them in the build was 110 ms of a title edit's 175 ms)
BACKGROUND_FROM = 500
BACKGROUND_NICENESS = 10


def session_related(
    cache: Path, texts: Texts, count: int, state: SessionState
) -> dict[str, tuple[str, ...]]:
    """Related papers for a session's build. An edit of a title or an abstract changes them
    (exactly: every paper's weights move), which takes seconds at 10,000 papers; a large
    site computes them in a forked process and shows the last result meanwhile, and the
    session's next build (serve asks for one when `related_ready`) shows the new ones."""
    memo, job = state.related, state.related_job
    if memo.inputs == (count, texts):
        return memo.result
    if job is not None and job.texts == texts:
        if not job.done():  # or not started: see BuildSession.related_ready
            return memo.result
        state.related_job = None
        return job.result(texts)
    if job is not None:
        job.cancel()
        state.related_job = None
    if not memo.result or len(texts) < BACKGROUND_FROM:
        return cached_related(cache, texts, count, memo)
    # started after the build (see related_ready), and second to the next builds: at 10,000
    # papers it is 3 s of a processor, and the builds of edits made meanwhile took twice as
    # long beside it
    job = Pending(cache, texts, count, memo, start=False, niceness=BACKGROUND_NICENESS)
    state.related_job = job
    return memo.result


HOLD_AT_MOST = 1 << 16  # bytes of an export held until the pages are drawn (see render_site)


def write_export(
    writer: Writer, export: Export, held: list[tuple[str, bytes, str]] | None = None
) -> None:
    """Write an export whose key changed; with `held`, one of at most HOLD_AT_MOST bytes is
    put there to be written later instead."""
    if writer.is_fresh(export.path, export.key):
        writer.keep(export.path)
        return
    data = export.make()
    if held is not None and len(data) <= HOLD_AT_MOST:
        held.append((export.path, data, export.key))
    else:
        writer.write(export.path, data, export.key)


def _stale_pages(keyed: Keyed, stale: dict[str, str | None]) -> Iterator[Page]:
    """The pages of a section that must be drawn, planned again only as far as needed."""
    if keyed.pages is not None:
        return (page for page in keyed.pages if page.path in stale)
    if keyed.section.kind == "papers":
        slugs = {path.split("/")[1] for path in stale}
        return (paper_page(p) for p in keyed.section.papers if p.slug in slugs)
    return (page for page in keyed.section.pages() if page.path in stale)


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


class BuildSession:
    """Repeated builds of one site, as `digest serve` runs them: each `build()` reuses what
    the previous one computed and writes only changed files."""

    def __init__(
        self, root: Path, config_path: Path, output: Path, base_url: str | None = None
    ) -> None:
        self.root, self.config_path, self.output = root.resolve(), config_path, output
        self.base_url = base_url
        self.state = SessionState()
        self.state.keys.json_parts = {}  # each build re-encodes only the papers that changed
        self.state.keys.session = True  # and computes keys only for the papers that changed
        # files changed since the last build that ended: a build that fails on the way (a
        # config error) has not read them, and the next one must
        self.unread: set[str] = set()
        # the search index, made again in the background after a build that changed what it
        # holds (a session's builds do not wait for it); `indexed` is called when one is in
        self.indexed: Callable[[], None] | None = None
        self.search = BackgroundIndex(output, self.root / CACHE_DIR, lambda: self._indexed())

    def _indexed(self) -> None:
        if self.indexed is not None:
            self.indexed()

    def related_waiting(self) -> bool:
        """Whether related papers wait to be computed (see related_ready)."""
        job = self.state.related_job
        return job is not None and not job.started

    def related_ready(self) -> bool | None:
        """None when no related papers are being computed in the background, else whether
        they are ready for a build to show them. Asking starts the computation a build
        wanted (`digest serve` asks once no change came for a second)."""
        job = self.state.related_job
        if job is None:
            return None
        job.start()  # after the build that wanted it, which so shows its edit sooner
        return job.done()

    def close(self) -> None:
        """Stop what computes in the background (`digest serve` is stopping)."""
        job, self.state.related_job = self.state.related_job, None
        if job is not None:
            job.cancel()
        self.search.close()

    def build(self, changed: Collection[str] = ()) -> BuildResult:
        """Build again; raise DigestError (with file:line) when the site cannot be built,
        leaving the previous output as it was. `changed`: the files changed since the last
        build, when known; a batch of notes edits redraws only those papers' pages."""
        state = self.state
        quick = bool(changed) and not self.unread  # else some changes are not read yet
        self.unread.update(changed)
        if quick and state.last is not None:
            papers_dir = self.root / "content" / "papers"
            edits = notes_edits(papers_dir, changed, state.ingest.records, state.model.papers)
            if edits is not None:
                result = redraw_notes(self.root, state.last.output, state, edits)
                self.unread.clear()
                return result
        result = build_site(
            self.root,
            config_path=self.config_path,
            output=self.output,
            base_url=self.base_url,
            search=False,  # indexed in the background, after the build
            state=state,
            changed=set(self.unread) if changed else None,
        )
        self.unread.clear()
        if state.site is not None and not any(d.level == "error" for d in result.diagnostics):
            self.search.want(state.site)
        return result


def redraw_notes(root: Path, out: Path, state: SessionState, edits: list[NotesEdit]) -> BuildResult:
    """The build after notes edits (notes_edit.py): the last build's model and keys with the
    edited papers' notes replaced, and only their pages drawn."""
    last, site, manifest, env = state.last, state.site, state.manifest, state.env
    assert last is not None and site is not None and manifest is not None and env is not None
    assert state.bases is not None
    result = BuildResult(last.config, out, papers=last.papers, pages=last.pages)
    result.diagnostics = list(state.model_diagnostics)
    state.last = None  # until this build succeeds
    cache = root / CACHE_DIR
    with _Timer(result.timings)("notes"), build_lock(cache), writing(cache, out) as swept:
        if swept is not None:
            result.diagnostics.extend(_interrupted(out, swept))
        replaced = {}
        for edit in edits:
            slug = edit.paper.slug
            _, config, _, notes = state.model.papers[slug]
            state.model.papers[slug] = (edit.record, config, edit.paper, notes)
            state.ingest.records[edit.name] = (*edit.stat, edit.record)
            replaced[slug] = edit.paper
        site = state.site = dataclasses.replace(
            site, papers=tuple(replaced.get(p.slug, p) for p in site.papers)
        )
        items, related = state.item_digests, state.related.result
        writer = Writer(out, manifest, trusted=True)
        writer.entries = dict(manifest.entries)
        jobs = []
        for paper in replaced.values():
            page = page_digest(paper, items, related, state.keys)
            base = state.bases.of(PAPER_TEMPLATE)
            path, key = paper_key(paper.slug, base, page, state.keys)
            if not writer.is_fresh(path, key):
                jobs.append(Job(paper_page(paper), key))
        views = Views(site.papers, related)
        renderer = Renderer(env, site, views, state.items, item_keys=items)
        result.diagnostics.extend(draw(renderer, writer, jobs, 1))
        state.manifest = writer.manifest()
    result.drawn, result.written, result.stats = len(jobs), writer.written, writer.stats
    result.stats.unchanged = len(writer.entries) - result.stats.written
    state.last = result
    return result
