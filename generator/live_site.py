"""The site serve previews: the rebuild loop that drives a BuildSession (one build at a
time, per burst of changes), the folder to serve after each build, and the reload channel
that tells open pages about it.

Tests: tests/test_serve.py, tests/browser/test_live_reload.py
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Collection
from pathlib import Path
from typing import Any, Protocol

from .console import NORMAL, print_diagnostics, rebuild_lines
from .errors import Diagnostic, DigestError, error, printable
from .last_good import LastGood
from .reload import Channel, ReloadState
from .result import BuildResult
from .watch import Batch, Debouncer, css_only

COPY_DELAY = 0.5  # seconds of calm after a build before the last-good copy is refreshed
HOLD_SECONDS = 30.0  # how long a request waits for a running build before taking what is there


class Builder(Protocol):
    """What serving needs of a BuildSession."""

    def build(self, changed: Collection[str] = ()) -> BuildResult: ...


BACKGROUND_POLL = 0.05  # seconds between looks at a background computation
BACKGROUND_DELAY = 1.0  # seconds without a change before one starts
MOST_PAGES_LISTED = 500  # a build that changes more tells open pages to reload


def changed_pages(result: BuildResult | None) -> tuple[str, ...] | None:
    """The URL paths of the pages a build wrote, for open pages to know whether they are
    among them; None (every page reloads) when pages were removed or too many changed."""
    if result is None or result.stats.removed:
        return None
    pages = tuple("/" + path for path in result.written if path.endswith(".html"))
    return pages if len(pages) <= MOST_PAGES_LISTED else None


class LiveSite:
    """The site being previewed: runs the builds (one at a time), decides which folder is
    served and tells open pages about each build."""

    def __init__(
        self, session: Builder, root: Path, output: Path, last_good: LastGood, debouncer: Debouncer
    ) -> None:
        self.session, self.root, self.output = session, root, output
        self.last_good, self.debouncer = last_good, debouncer
        self.verbosity = NORMAL
        self.warnings: frozenset[Diagnostic] = frozenset()  # shown; each said again once cleared
        self.channel = Channel(ReloadState(server=uuid.uuid4().hex[:12], build=0))
        self.builds = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=20)
        self._building = False
        self._failed = False
        self._copy_stale = False
        self._serving = self.output
        self._cond = threading.Condition()

    def serving(self) -> Path:
        """The folder to serve from, once any running build has finished."""
        with self._cond:
            self._cond.wait_for(lambda: not self._building, timeout=HOLD_SECONDS)
            return self._serving

    def status(self) -> dict[str, Any]:
        with self._cond:
            state = self.channel.current()
            return {
                **state.as_json(),
                "builds": self.builds,
                "building": self._building,
                "pending": self.debouncer.pending(),
                "serving": "last-good" if self._serving != self.output else "output",
                "last_good_ready": self.last_good.ready,
                "recent": list(self.recent),
            }

    def run(self) -> None:
        """The builder thread: one build per burst of changes, never two at once, and the
        last-good copy refreshed in the calm between them."""
        while True:
            if self._copy_stale and not self.debouncer.wait_for_change(COPY_DELAY):
                self.refresh_copy()
            if self._background_done():
                self.build(None)  # show the related papers computed meanwhile
                continue
            batch = self.debouncer.next_batch()
            if batch is None:
                return
            self.build(batch)

    def _background_done(self) -> bool:
        """Wait, while the session computes something in the background (related papers
        after a title edit), until it is done or a change comes; True when it is done. The
        computation starts after BACKGROUND_DELAY without a change: forked beside the
        builds of edits made one after another, it made each take twice as long."""
        ready = getattr(self.session, "related_ready", lambda: None)
        waiting = getattr(self.session, "related_waiting", lambda: False)
        if waiting() and self.debouncer.wait_for_change(BACKGROUND_DELAY):
            return False
        while ready() is False:
            if self.debouncer.wait_for_change(BACKGROUND_POLL):
                return False
        return ready() is True

    def refresh_copy(self) -> None:
        if self.last_good.refresh(self.output, stop=lambda: self.debouncer.pending() > 0):
            self._copy_stale = False

    def build(self, batch: Batch | None) -> BuildResult | None:
        with self._cond:
            self._building = True
        result, errors = None, ()
        started, start = time.time(), time.perf_counter()
        try:
            result, errors = self._attempt(batch.changes.keys() if batch else ())
        finally:
            # Held requests go on only once the folder to serve is decided.
            with self._cond:
                self._record(batch, result, errors, started, time.perf_counter() - start)
                self._building = False
                self._cond.notify_all()
        self._log(batch, result, errors)
        return result

    def _attempt(
        self, changed: Collection[str]
    ) -> tuple[BuildResult | None, tuple[Diagnostic, ...]]:
        """Build; bad input, and even a crash, become errors to show instead of an exit."""
        try:
            result = self.session.build(changed)
        except DigestError as exc:
            return None, tuple(exc.diagnostics) or (error("digest serve", None, str(exc)),)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            message = f"the build crashed: {type(exc).__name__}: {exc}"
            return None, (error("digest serve", None, message, "the traceback is in the terminal"),)
        return result, tuple(d for d in result.diagnostics if d.level == "error")

    def _record(
        self,
        batch: Batch | None,
        result: BuildResult | None,
        errors: tuple[Diagnostic, ...],
        started: float,
        seconds: float,
    ) -> None:
        """Count the build, pick the folder to serve and tell the open pages (lock held)."""
        self.builds += 1
        self.recent.append(
            {
                "changes": sorted(batch.changes) if batch else [],
                "ok": not errors,
                "started": started,
                "seconds": seconds,
                "stages": dict(result.timings) if result is not None else {},
            }
        )
        self.last_good.note(_written(result))
        pages = None
        if errors:
            self._serving = self.last_good.path if self.last_good.ready else self.output
            bump, kind = False, "full"
        else:
            self._serving = self.output
            if result is not None and (result.stats.changed or not self.last_good.ready):
                # Until refreshed, the copy is not the last good output: a failure before
                # then shows the failed output rather than an older one.
                self._copy_stale, self.last_good.ready = True, False
            bump = bool(result and result.stats.changed) or self._failed
            kind = "css" if bump and batch and css_only(batch.changes.values()) else "full"
            if not self._failed:
                pages = changed_pages(result)
        self._failed = bool(errors)
        state = self.channel.current()
        self.channel.publish(ReloadState(state.server, state.build + bump, kind, errors, pages))

    def _log(
        self, batch: Batch | None, result: BuildResult | None, errors: tuple[Diagnostic, ...]
    ) -> None:
        if batch is None and self.builds == 1:
            if result is not None:
                print_diagnostics(result.diagnostics, self.verbosity)
                self.warnings = frozenset(d for d in result.diagnostics if d.level != "info")
                print(result.summary(), flush=True)
            else:
                print_diagnostics(errors, self.verbosity)
            return
        stamp = time.strftime("%H:%M:%S")
        changed = printable(batch.describe(self.root)) if batch else "related papers computed"
        if errors:
            print_diagnostics(errors, self.verbosity)
            print(f"{stamp} {changed}: the build failed; serving the last good site", flush=True)
        elif result is not None:
            seconds = sum(result.timings.values())
            lines, self.warnings = rebuild_lines(
                changed, result.drawn, seconds, result.diagnostics, self.warnings
            )
            print(f"{stamp} {lines[0]}", flush=True)
            for line in lines[1:]:
                print(line, file=sys.stderr, flush=True)

    def search_indexed(self) -> None:
        """A new search index is in (made in the background): the search page reloads."""
        with self._cond:
            state = self.channel.current()
            pages = ("/search/index.html",)
            self.channel.publish(
                ReloadState(state.server, state.build + 1, "full", state.errors, pages)
            )

    def close(self) -> None:
        self.channel.close()


def _written(result: BuildResult | None) -> list[str] | None:
    """The output files a build wrote, when that says all it changed."""
    if result is None or result.stats.removed:
        return None
    return result.written
