"""`digest serve`'s search index, made again in the background after the builds that change
what search holds.

Tests: tests/test_session.py, tests/browser/test_serve_search.py
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from .errors import Diagnostic
from .search import IndexJob, failure_reason, input_digest, no_search
from .site import Site

BACKGROUND_NICENESS = 10  # as serve's related papers: the builds of edits come first


class BackgroundIndex:
    """`digest serve`'s index: made again in a thread of its own after each build whose
    papers changed what search holds, never holding up a build or a reload. Builds that
    come while it indexes are coalesced: the newest site is indexed next. `indexed` is
    called after each index is swapped in (serve tells the open search pages)."""

    def __init__(
        self, output: Path, cache: Path, indexed: Callable[[], None] | None = None
    ) -> None:
        self.output, self.cache, self.indexed = output, cache, indexed
        self.diagnostics: list[Diagnostic] = []
        self._wanted: Site | None = None
        self._digest = ""  # of the last site asked for
        self._closed = False
        self._busy = False
        self._job: IndexJob | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="digest-search", daemon=True)
        self._thread.start()

    def want(self, site: Site) -> None:
        """Index `site` once the indexer is free, unless it holds what is indexed already."""
        if not site.config.search:
            return
        digest = input_digest(site)
        with self._cond:
            if digest == self._digest:
                return
            self._digest, self._wanted = digest, site
            self._cond.notify_all()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is wanted or being indexed; whether that came in time."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy and self._wanted is None, timeout)

    def close(self) -> None:
        """Stop: Pagefind, if it runs, is killed (it held up serve's exit on Ctrl-C)."""
        with self._cond:
            self._closed = True
            job = self._job
            self._cond.notify_all()
        if job is not None:
            job.stop()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._wanted is not None)
                if self._closed:
                    return
                site, self._wanted, self._busy = self._wanted, None, True
            try:
                assert site is not None
                job = IndexJob(self.output, site, self.cache, BACKGROUND_NICENESS)
                with self._cond:
                    self._job = job
                    if self._closed:
                        job.stop()
                self.diagnostics = job.result()
            except Exception as exc:  # never let serve's indexer die
                self.diagnostics = [no_search(failure_reason(exc), self.output / "pagefind")]
            with self._cond:
                self._busy, self._job = False, None
                self._cond.notify_all()
                if self._closed:
                    return
            if self.indexed is not None and not self.diagnostics:
                self.indexed()
