"""What `digest serve` watches: the file watcher, the pure sorting of file events into kinds
of change, and the debounce that turns an editor's burst of writes into one rebuild.

Tests: tests/test_serve.py
"""

from __future__ import annotations

import enum
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from watchdog.events import (
    EVENT_TYPE_ATTRIB,
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver


class Kind(enum.Enum):
    CONFIG = "config"
    LISTING = "listing"
    RECORD = "record"
    CONTENT = "content"
    TEMPLATE = "template"
    STYLE = "style"
    STATIC = "static"


# Opening or reading a file (which every build does) must not look like a change, or each
# build would schedule the next.
_CHANGE_EVENTS = frozenset(
    {
        EVENT_TYPE_CREATED,
        EVENT_TYPE_MODIFIED,
        EVENT_TYPE_DELETED,
        EVENT_TYPE_MOVED,
        EVENT_TYPE_CLOSED,
        EVENT_TYPE_ATTRIB,
    }
)
_TEMP_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", ".bak", "~", "___jb_tmp___", "___jb_old___")
# vim's probe for whether it may create files; Python's byte code for the themes package
_TEMP_NAMES = frozenset({"4913", "__pycache__"})
_SED_TEMP = re.compile(r"sed[A-Za-z0-9]{6}")  # `sed -i` writes one beside the file it edits


def is_ignored_name(name: str) -> bool:
    """Hidden files and editor temporaries (.swp, ~, .#lock, #autosave#, vim's 4913)."""
    return (
        name.startswith(".")
        or name in _TEMP_NAMES
        or name.endswith(_TEMP_SUFFIXES)
        or (name.startswith("#") and name.endswith("#"))
        or _SED_TEMP.fullmatch(name) is not None
    )


@dataclass(frozen=True, slots=True)
class Layout:
    """The folders of one site that a change can come from."""

    root: Path
    config: Path
    themes: tuple[Path, ...]  # the site's themes/ and, in a checkout, the built-in themes

    @property
    def content(self) -> Path:
        return self.root / "content"

    def folders(self) -> list[Path]:
        """The folders to watch recursively (the root itself is watched flat for the config)."""
        return [self.content, *self.themes]


def classify(path: str | PurePath, layout: Layout) -> Kind | None:
    """The kind of change a file event at `path` is, or None when it does not matter."""
    path = PurePath(path)
    if path == layout.config:
        return Kind.CONFIG
    for theme_root in layout.themes:
        if path.is_relative_to(theme_root):
            return _theme_kind(path.relative_to(theme_root).parts, path.suffix)
    if path.is_relative_to(layout.content):
        return _content_kind(path.relative_to(layout.content).parts)
    return None


def _theme_kind(parts: tuple[str, ...], suffix: str) -> Kind | None:
    # parts: (<theme>, "templates" | "static" | ..., ..., name)
    if not parts or any(is_ignored_name(p) for p in parts):
        return None
    if len(parts) > 1 and parts[1] == "static":
        return Kind.STYLE if suffix == ".css" else Kind.STATIC
    return Kind.TEMPLATE


def _content_kind(parts: tuple[str, ...]) -> Kind | None:
    if not parts or any(is_ignored_name(p) for p in parts):
        return None
    return {"listings": Kind.LISTING, "papers": Kind.RECORD}.get(parts[0], Kind.CONTENT)


def event_changes(event: FileSystemEvent, layout: Layout) -> dict[str, Kind]:
    """The changed paths an event stands for, with their kinds (a move counts at both ends)."""
    if event.event_type not in _CHANGE_EVENTS:
        return {}
    if event.is_directory and event.event_type in (EVENT_TYPE_MODIFIED, EVENT_TYPE_ATTRIB):
        return {}  # a folder "changes" whenever a file in it does; the file's event says more
    paths = [event.src_path, getattr(event, "dest_path", "")]
    changes = {}
    for raw in paths:
        text = os.fsdecode(raw)
        if text and (kind := classify(text, layout)) is not None:
            changes[text] = kind
    return changes


def css_only(kinds: Iterable[Kind]) -> bool:
    """True when a stylesheet swap shows the whole change, so the page need not reload."""
    kinds = set(kinds)
    return bool(kinds) and kinds <= {Kind.STYLE}


def wait_time(now: float, first: float, last: float, quiet: float, longest: float) -> float:
    """Seconds until a burst that began at `first` and was last added to at `last` is due:
    after `quiet` seconds without a change, or `longest` seconds after it began."""
    return min(last + quiet, first + longest) - now


@dataclass(frozen=True, slots=True)
class Batch:
    changes: dict[str, Kind]

    def describe(self, root: Path, most: int = 3) -> str:
        names = []
        for path in sorted(self.changes):
            try:
                names.append(Path(path).relative_to(root).as_posix())
            except ValueError:
                names.append(path)
        more = f" and {len(names) - most} more" if len(names) > most else ""
        return ", ".join(names[:most]) + more


@dataclass
class Debouncer:
    """Collects changes from the watcher thread; `next_batch` hands them out in bursts.

    A change after a calm moment (no batch handed out for `calm` seconds) is due after
    `quick` seconds without another: an editor's save is a few writes within milliseconds,
    and the preview should not wait longer. Changes that keep coming right after a batch are
    a burst (a script, a formatter, a sync): they wait for `quiet` seconds without a change,
    or at most `longest` seconds, so 50 writes in a second make two builds, not fifty."""

    quiet: float = 0.05
    longest: float = 2.0
    quick: float = 0.02
    calm: float = 0.25
    clock: Callable[[], float] = time.monotonic
    _pending: dict[str, Kind] = field(default_factory=dict)
    _first: float = 0.0
    _last: float = 0.0
    _handed: float = float("-inf")
    _wait: tuple[float, float] = (0.0, 0.0)  # (quiet, longest) of the pending burst
    _closed: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, changes: dict[str, Kind]) -> None:
        if not changes:
            return
        with self._cond:
            now = self.clock()
            if not self._pending:
                self._first = now
                calm = now - self._handed >= self.calm
                self._wait = (
                    (min(self.quick, self.quiet), self.longest)
                    if calm
                    else (self.quiet, self.longest)
                )
            self._last = now
            self._pending.update(changes)
            self._cond.notify_all()

    def due_in(self) -> float | None:
        """Seconds until the pending changes are due (<= 0: now), None when there are none."""
        with self._cond:
            return self._due_in() if self._pending else None

    def _due_in(self) -> float:
        quiet, longest = self._wait
        return wait_time(self.clock(), self._first, self._last, quiet, longest)

    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def wait_for_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a change; True if one is pending (or closed)."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._pending) or self._closed, timeout)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def next_batch(self) -> Batch | None:
        """Block until a burst of changes is due and return it; None once closed."""
        with self._cond:
            while not self._closed:
                if not self._pending:
                    self._cond.wait()
                    continue
                delay = self._due_in()
                if delay <= 0:
                    batch, self._pending, self._handed = Batch(self._pending), {}, self.clock()
                    return batch
                self._cond.wait(delay)
            return None


class _Forward(FileSystemEventHandler):
    def __init__(self, receive: Callable[[FileSystemEvent], None]) -> None:
        self.receive = receive

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.receive(event)


class Watcher:
    """watchdog over the site's content/, themes/, the built-in themes of a checkout and the
    config. A watched folder that appears later (a first theme override) is picked up."""

    def __init__(
        self, layout: Layout, sink: Callable[[dict[str, Kind]], None], poll: bool = False
    ) -> None:
        self.layout = layout
        self.observer: BaseObserver = PollingObserver(timeout=0.5) if poll else Observer()
        self._handler = _Forward(self._receive)
        self._sink = sink
        self._watched: set[Path] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        # Flat on the root: the config file, and content/ or themes/ being created.
        self.observer.schedule(self._handler, str(self.layout.root), recursive=False)
        for folder in self.layout.folders():
            self._watch(folder)
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)

    def _watch(self, folder: Path) -> bool:
        with self._lock:
            if folder in self._watched or not folder.is_dir():
                return False
            self._watched.add(folder)
        self.observer.schedule(self._handler, str(folder), recursive=True)
        return True

    def _receive(self, event: FileSystemEvent) -> None:
        if event.is_directory and event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED):
            folder = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
            # Files copied in before the watch began would be missed: rebuild once now.
            if folder in self.layout.folders() and self._watch(folder):
                kind = Kind.TEMPLATE if folder in self.layout.themes else Kind.CONTENT
                self._sink({str(folder): kind})
        self._sink(event_changes(event, self.layout))
