"""`digest serve`'s builds: a BuildSession builds the site again after each change, reusing
what the last build computed (incremental.py), redraws only the edited papers' pages for an
edit of notes (notes_edit.py), and keeps the search index fresh in the background.

Tests: tests/test_session.py, tests/test_serve.py
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from pathlib import Path

from .background_index import BackgroundIndex
from .build import Timer, build_site
from .cache import CACHE_DIR
from .incremental import SessionState, interrupted
from .item_keys import page_digest
from .keys import paper_key
from .lock import build_lock
from .notes_edit import NotesEdit, notes_edits
from .plan import PAPER_TEMPLATE, paper_page
from .render import Renderer, Views
from .result import BuildResult
from .workers import Job, draw
from .write import Writer, writing


class BuildSession:
    """Repeated builds of one site, as `digest serve` runs them: each `build()` reuses what
    the previous one computed and writes only changed files."""

    def __init__(
        self, root: Path, config_path: Path, output: Path, base_url: str | None = None
    ) -> None:
        self.root, self.config_path, self.output = root.resolve(), config_path, output
        self.base_url = base_url
        self.state = SessionState()
        self.state.keys.for_session()
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
            edits = notes_edits(papers_dir, changed, state.ingest, state.model.papers)
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
    with Timer(result.timings)("notes"), build_lock(cache), writing(cache, out) as swept:
        if swept is not None:
            result.diagnostics.extend(interrupted(out, swept))
        replaced = {}
        for edit in edits:
            slug = edit.paper.slug
            made = state.model.papers[slug]
            state.model.papers[slug] = made._replace(record=edit.record, paper=edit.paper)
            state.ingest.records[edit.name] = edit.record
            state.ingest.stats[edit.name] = edit.stat
            replaced[slug] = edit.paper
        site = state.site = dataclasses.replace(
            site, papers=tuple(replaced.get(p.slug, p) for p in site.papers)
        )
        items, related = state.item_digests, state.related.result
        writer = Writer(out, manifest, trusted=True)
        writer.entries = dict(manifest.entries)
        jobs = []
        for paper in replaced.values():
            page = page_digest(paper, items, related, state.keys.pages)
            base = state.bases.of(PAPER_TEMPLATE)
            path, key = paper_key(paper.slug, base, page, state.keys.plan)
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
