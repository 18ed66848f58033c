"""The incremental seam: everything a build reuses from the one before, behind one object.

A build asks `Incremental` at fixed points, and at no other: whether it can be skipped
(`up_to_date`), what to do as records are read (`records_read`: classify ahead) and once
they are (`ingested`: save the ingest cache, compute related papers ahead), what to reuse
for the model (`state.model`), where to write (`writer`: the last manifest says what is
fresh) and what to keep for the next build (`save`, `finish`). The keys of a plan
(keys.py) and the template environment live in `state` (SessionState) too; a cold
`digest build` starts from the caches in .digest-cache, `digest serve` from its last build.
Nothing here decides what a page shows: take this module away and every build is a clean
one, slower and identical.

Tests: tests/test_build.py, tests/test_session.py, tests/test_ahead.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .ahead import Ahead
from .cache import CACHE_DIR, load_cache, save_cache
from .classify import VERSION as CLASSIFY_VERSION
from .config import Config
from .config import Memo as ConfigMemo
from .digests import GENERATOR_VERSION, digest
from .errors import Diagnostic, info
from .exports import ExportMemo
from .ingest import IngestCache, IngestResult
from .item_keys import ItemMemo, PageMemo
from .keys import Bases, PlanMemo
from .manifest import Manifest, load_manifest, save_manifest
from .models import Record
from .related_cache import Pending, RelatedMemo, Texts, cached_related
from .result import BuildResult
from .search import index_present
from .site import ModelMemo, Site
from .themes import builtin_themes
from .uptodate import LastBuild, inputs_digest, output_intact
from .workers import WRITE_THREADS
from .write import Writer


@dataclass(slots=True)
class KeyMemo:
    """The keys of the last build, by concern: the papers' items and pages (item_keys.py),
    the plan's pages (keys.py) and the exports (exports.py)."""

    items: ItemMemo = field(default_factory=ItemMemo)
    pages: PageMemo = field(default_factory=PageMemo)
    plan: PlanMemo = field(default_factory=PlanMemo)
    exports: ExportMemo = field(default_factory=ExportMemo)

    @property
    def computed(self) -> int:
        """Keys computed anew since loaded: the memo is worth saving again."""
        plan, exports = self.plan, self.exports
        return self.pages.computed + plan.computed + plan.named.computed + exports.named.computed

    def for_session(self) -> None:
        """Keep what a session's next build reuses: it then computes keys only for the
        papers that changed, and re-encodes only their part of papers.json."""
        self.pages.session = self.plan.session = self.exports.session = True
        self.exports.json_parts = {}

    def saved(self) -> KeyMemo:
        """What is worth keeping on disk for the next `digest build`: the keys and their
        inputs, compared by value; not the papers, which a new process reads anew."""
        pages = PageMemo(inputs=self.pages.inputs, digests=self.pages.digests)
        return KeyMemo(ItemMemo(), pages, self.plan.saved(), self.exports.saved())


# the caches' stamps: their layout changes with the memos' (not only with the output)
KEYS_STAMP = (GENERATOR_VERSION, "by concern", 2)
INGEST_STAMP = (GENERATOR_VERSION, "stats apart")


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


class Incremental:
    """One build's reuse of the last: from `state` (a session's) or the caches on disk."""

    def __init__(
        self, root: Path, out: Path, config: Config, state: SessionState | None, clean: bool
    ) -> None:
        self.root, self.out, self.config, self.clean = root, out, config, clean
        self.cache = root / CACHE_DIR
        self.fresh = state is None  # a `digest build`: what it keeps is saved to disk
        self.inputs = ""  # the digest of every input, when the build may be skipped
        self.state = state if state is not None else SessionState()
        self.last: LastBuild | None = None
        self.previous: Manifest | None = None

    def up_to_date(self, config_file: Path, swept: list[str] | None, search: bool) -> bool:
        """Whether the last complete build had these very inputs and its output is intact
        (uptodate.py); never after an interrupted build, for a session or with --clean."""
        if not self.fresh or self.clean or swept is not None:
            return False
        folders = [self.root / "content", self.root / "themes", builtin_themes()]
        options = (str(self.out), self.config.base_url, search, self.config.drafts)
        self.inputs = inputs_digest(config_file, folders, options, GENERATOR_VERSION)
        self.last = load_cache(self.root, "last-build", self.inputs).get("last")
        indexed = not (search and self.config.search) or index_present(self.out)
        return (
            self.last is not None
            and indexed  # an index deleted by hand is made again
            and output_intact(self.out, load_manifest(self.cache, self.out))
        )

    def begin(self) -> None:
        """The build goes on (it is not up to date): a cold one loads the caches it reuses."""
        state, root = self.state, self.root
        if self.fresh and not self.clean:
            state.ingest = load_cache(root, "ingest", INGEST_STAMP).get("cache") or state.ingest
            state.model.classes = load_cache(root, "classes", taxonomy_stamp(self.config))
        state.model.use_taxonomy(self.config)
        self.settled = state.ingest.settled
        self.ahead = Ahead(
            self.config, state.model, self.cache if self.fresh else None, state.related
        )

    def records_read(self, records: Mapping[str, Record]) -> None:
        """Told by ingest as soon as the records are read: a large site classifies ahead."""
        self.ahead.start(records)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around reading the content: what was started ahead stops if it fails."""
        try:
            yield
        except BaseException:
            self.ahead.cancel()
            raise

    def ingested(self, ingested: IngestResult) -> Pending | None:
        """The content is read: a cold build saves the ingest cache and lets it go (the
        workers need not inherit the listings), and computes related papers in another
        process (if not cached) while the model is made and the exports drawn."""
        pending = None
        state = self.state
        if self.fresh:
            save_ingest(self.root, state.ingest, ingested, state.ingest.settled is not self.settled)
            state.ingest = IngestCache()
            merged = bool(ingested.new or ingested.updated)
            pending = self.ahead.related(ingested.records.values(), merged)
        self.ahead.classified()
        if self.fresh and not self.clean:
            state.keys = load_cache(self.root, "keys", KEYS_STAMP).get("memo") or state.keys
        return pending

    def modelled(self, site: Site, result: BuildResult) -> None:
        self.state.last, self.state.site = None, site
        self.state.model_diagnostics = list(result.diagnostics)

    def writer(self) -> Writer:
        """The writer of this build: files whose key the last manifest holds are fresh;
        --clean draws everything again, and still removes what the last build made."""
        state = self.state
        trusted = state.manifest is not None and not self.clean
        self.previous = state.manifest or load_manifest(self.cache, self.out)
        return Writer(self.out, self.previous, trusted, reuse=not self.clean, threads=WRITE_THREADS)

    def save(self, writer: Writer) -> None:
        """The pages are written: keep the manifest (a session in memory, its manifest
        checked on disk; a cold build saves it and the caches that changed)."""
        self.state.manifest = writer.manifest()
        if self.fresh:
            assert self.previous is not None
            save_caches(self.root, self.out, self.config, self.state, self.previous)

    def finish(self, result: BuildResult, ingested: IngestResult) -> None:
        """The build ended: a next notes edit starts from it, and a next `digest build` of
        the same inputs is skipped, if it had no error."""
        if not result.ok:
            return
        self.state.last = result
        if self.inputs and not ingested.new and not ingested.updated:
            last = LastBuild(self.inputs, tuple(result.diagnostics), result.papers, result.pages)
            save_cache(self.root, "last-build", self.inputs, {"last": last})


def interrupted(out: Path, swept: list[str] | None) -> list[Diagnostic]:
    """The note of a build that found the temporary files of one cut short."""
    if not swept:
        return []
    text = f"the last build was interrupted; removed {len(swept)} temporary files it left"
    return [info(str(out), None, text)]


REREAD = 20  # files an ingest may read again rather than save its cache (see save_ingest)


def save_caches(
    root: Path, out: Path, config: Config, state: SessionState, previous: Manifest
) -> None:
    """Save what changed: pickling unchanged caches was a sixth of a no-change build."""
    assert state.manifest is not None
    if not state.manifest.same_as(previous):
        save_manifest(root / CACHE_DIR, out, state.manifest)
    if state.model.classes_added:
        save_cache(root, "classes", taxonomy_stamp(config), state.model.classes)
    if state.keys.computed:
        save_cache(root, "keys", KEYS_STAMP, {"memo": state.keys.saved()})


def save_ingest(root: Path, cache: IngestCache, ingested: IngestResult, merged: bool) -> None:
    """Save the ingest cache if the merge ran or many files were read. It is not saved for a
    few files read again (an edit): the next build reads them again too, which costs less
    than pickling every record."""
    if merged or ingested.parsed > max(REREAD, len(cache.records) // 100):
        save_cache(root, "ingest", INGEST_STAMP, {"cache": cache.saved()})


def taxonomy_stamp(config: Config) -> str:
    return digest(
        GENERATOR_VERSION, CLASSIFY_VERSION, config.topics, config.tags, config.other_topic
    )


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
