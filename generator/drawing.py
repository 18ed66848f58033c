"""The render stage: every output file whose key changed is drawn and handed to the writer.

The exports (feeds, papers.json, BibTeX, the sitemap) and the static files are made here,
and the pages are planned (plan.py), keyed (keys.py) and drawn (render.py) by the workers
(workers.py); a file whose key the last build's manifest holds is neither drawn nor written.

Tests: tests/test_build.py, tests/test_exports.py, tests/test_session.py
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .cache import CACHE_DIR
from .config import Config
from .digests import GENERATOR_VERSION, digest, folder_digest
from .errors import Diagnostic
from .exports import Export, cite_export, cite_files, exports, sitemap_export
from .incremental import SessionState, session_related
from .item_keys import page_digests, paper_digests
from .keys import Bases, Keyed, make_bases, plan_keys
from .plan import Page, paper_page
from .progress import SILENT, Progress
from .related_cache import Pending, texts_of
from .render import Renderer, Views
from .site import Site
from .themes import make_env, static_files, theme_dirs
from .workers import Job, draw
from .write import Writer


@dataclass(slots=True)
class Drawing:
    diagnostics: list[Diagnostic]
    pages: int
    drawn: int


def keep_broken(writer: Writer, slugs: set[str]) -> None:
    """A record that cannot be read (a YAML typo) keeps the page its last good version had,
    until it is fixed: the error names it, and readers do not lose the page meanwhile."""
    prefixes = tuple(f"papers/{slug}/" for slug in slugs)
    if not prefixes:
        return
    for path in writer.previous.entries:
        if path.startswith(prefixes) and path not in writer.entries:
            writer.keep(path)


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
    bases = state.bases = _bases(root, config, state)
    items = paper_digests(site, state.keys.items)
    papers = state.item_digests = items.digests
    held = Held(writer, pending)
    for export in _exports(site, writer, bases.plain, papers, state):
        held.add(export)
    related = _related(root, site, state, pending)
    pages = page_digests(site, items, related, state.keys.pages)
    jobs = Jobs(writer)
    planned = plan_keys(site, bases, items, pages, state.keys.plan)
    rest = None
    if writer.empty and workers > 1:
        # Into an empty folder every page is drawn: the workers start on the paper pages
        # while the groups are planned here (at 100,000 papers, 3.4 s with a processor idle).
        first = jobs.of(_through_papers(planned))
        rest = partial(jobs.of, planned)
    else:
        first = jobs.of(planned)
    renderer = Renderer(state.env, site, Views(site.papers, related), state.items, item_keys=papers)

    def write_exports() -> None:
        held.write()
        write_export(writer, sitemap_export(config, jobs.paths, bases.plain, state.keys.exports))

    diagnostics = draw(renderer, writer, first, workers, write_exports, rest, progress)
    return Drawing(diagnostics, len(jobs.paths), jobs.drawn)


def _bases(root: Path, config: Config, state: SessionState) -> Bases:
    """The template environment (made again when a template or the config changed) and the
    bases of the keys it draws with."""
    templates = [d / "templates" for d in theme_dirs(root, config)]
    base = digest(GENERATOR_VERSION, folder_digest(templates), config)
    if state.env is None or state.drawing_key != base:
        state.env, state.drawing_key, state.items = make_env(root, config), base, {}
    elif len(state.items) > 200_000:
        state.items.clear()
    # items are keyed by their paper's item digest; state.items is emptied when `base` changes
    return make_bases(state.env, GENERATOR_VERSION, config, base, state.keys.plan)


def _exports(
    site: Site, writer: Writer, base: str, papers: dict[str, str], state: SessionState
) -> Iterator[Export]:
    """The exports, and each paper's cite.bib whose key changed."""
    stale_cites = writer.keep_fresh(cite_files(site, base, papers, state.keys.exports))
    by_slug = {p.slug: p for p in site.papers} if stale_cites else {}
    cites = (
        cite_export(by_slug[path.split("/")[1]], site, key) for path, key in stale_cites.items()
    )
    return itertools.chain(exports(site, base, papers, state.keys.exports), cites)


class Held:
    """The exports need no related papers: made while a cold build's are being computed in
    another process, the rest made while the pages are drawn, and the small ones written
    then too (writing 10,000 cite.bib files before forking the workers left the processor
    idle; at 100,000 papers related papers are ready first, and making the exports held
    the workers back 11 s). A session's build (no `pending`) makes them first, and the
    writing threads write them while the pages are planned and drawn."""

    def __init__(self, writer: Writer, pending: Pending | None) -> None:
        self.writer, self.pending = writer, pending
        self.made: list[tuple[str, bytes, str]] = []
        self.later: list[Export] = []

    def add(self, export: Export) -> None:
        if self.pending is None:
            write_export(self.writer, export)
        elif not self.pending.done():
            write_export(self.writer, export, held=self.made)
        else:
            self.later.append(export)

    def write(self) -> None:
        for path, data, key in self.made:
            self.writer.write(path, data, key)
        self.made.clear()
        for export in self.later:
            write_export(self.writer, export)
        self.later.clear()


def _related(
    root: Path, site: Site, state: SessionState, pending: Pending | None
) -> dict[str, tuple[str, ...]]:
    texts = texts_of(site.papers, state.related if pending is None else None)  # a session
    if pending is not None:
        return pending.result(texts)
    return session_related(root / CACHE_DIR, texts, site.config.related, state)


class Jobs:
    """The pages to draw of the sections planned, and the path of every page planned (the
    sitemap's, in the plan's order)."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.paths: list[str] = []
        self.drawn = 0

    def of(self, planned: Iterable[Keyed]) -> list[Job]:
        jobs = []
        for keyed in planned:
            self.paths.extend(path for path, _ in keyed.keys)
            stale = self.writer.keep_fresh(keyed.keys)
            if stale:
                jobs.extend(Job(page, stale[page.path]) for page in _stale_pages(keyed, stale))
        self.drawn += len(jobs)
        return jobs


def _through_papers(planned: Iterator[Keyed]) -> Iterator[Keyed]:
    """The plan's sections up to the paper pages' (it comes second, after the home page)."""
    for keyed in planned:
        yield keyed
        if keyed.section.kind == "papers":
            return


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
