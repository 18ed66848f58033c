"""What the command line shows while and after a command runs: a progress display on a
terminal, one plain line per stage elsewhere (a pipe, CI), and diagnostics grouped by file
and kind so that a thousand alike warnings are one line, not a thousand."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .errors import Diagnostic, printable
from .progress import SILENT, Progress

if TYPE_CHECKING:
    import rich.progress

QUIET, NORMAL, VERBOSE = -1, 0, 1
MOST_GROUPS = 25  # lines of grouped warnings and notes shown without -v; errors always all
REFRESHES_PER_SECOND = 8  # the display's own thread; the build never waits for it


# -- diagnostics -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Group:
    """Diagnostics of one level, file and kind (the message less its particulars)."""

    first: Diagnostic
    count: int


# Quoted values and numbers vary between diagnostics of one kind; `backticked` names (of a
# key, a field) tell kinds apart: two unknown keys are two mistakes.
_PARTICULARS = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")


def kind_of(diag: Diagnostic) -> tuple[str, str, str]:
    """What makes two diagnostics alike: level, file, and the message with its quoted
    values and numbers left out ("damaged date 'Feb 17 2'" is one kind for every date)."""
    return diag.level, diag.path, _PARTICULARS.sub("_", diag.message)


def grouped(diagnostics: Iterable[Diagnostic]) -> list[Group]:
    """One group per kind, in the order each kind first appears, led by its first line."""
    firsts: dict[tuple[str, str, str], Diagnostic] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for diag in diagnostics:
        kind = kind_of(diag)
        first = firsts.setdefault(kind, diag)
        if (diag.line or 0) < (first.line or 0):  # the first in the file, not found first
            firsts[kind] = diag
        counts[kind] = counts.get(kind, 0) + 1
    return [Group(firsts[kind], counts[kind]) for kind in firsts]


_ORDER = {"error": 0, "warning": 1, "info": 2}


def diagnostic_lines(diagnostics: Sequence[Diagnostic], verbosity: int = NORMAL) -> list[str]:
    """The lines to print: with -v every diagnostic; by default one line per group (errors
    first, at most MOST_GROUPS of warnings and notes); with -q only the errors."""
    if verbosity >= VERBOSE:
        return [_line(d) for d in diagnostics]
    if verbosity <= QUIET:
        return [_line(d) for d in diagnostics if d.level == "error"]
    groups = sorted(grouped(diagnostics), key=lambda g: _ORDER[g.first.level])
    errors = [g for g in groups if g.first.level == "error"]
    rest = [g for g in groups if g.first.level != "error"]
    lines = [_group_line(g) for g in [*errors, *rest[:MOST_GROUPS]]]
    left = rest[MOST_GROUPS:]
    if left:
        files = len({g.first.path for g in left})
        count = sum(g.count for g in left)
        lines.append(
            f"... and {count} more warnings and notes of {len(left)} kinds in {files} files "
            "(-v shows every one)"
        )
    return lines


def _line(diag: Diagnostic) -> str:
    if diag.level == "info":
        text = f"note: {diag.location()}: {diag.message}"
        return printable(f"{text} ({diag.hint})" if diag.hint else text)
    return printable(diag.format())


def _group_line(group: Group) -> str:
    line = _line(group.first)
    if group.count == 1:
        return line
    return f"{line} [and {group.count - 1} more like it in this file; -v shows each]"


def print_diagnostics(
    diagnostics: Sequence[Diagnostic], verbosity: int = NORMAL, stream: TextIO | None = None
) -> None:
    out = stream or sys.stderr
    for line in diagnostic_lines(diagnostics, verbosity):
        print(line, file=out)


# -- progress --------------------------------------------------------------------------

# What each build stage is doing, and what it did.
DOING = {
    "ingest": "reading listings and records",
    "model": "grouping the papers",
    "render": "drawing and writing pages",
    "write": "removing what is gone",
    "search": "indexing for search",
    "notes": "drawing edited notes",
}
DONE = {
    "ingest": "read the listings and records",
    "model": "grouped the papers",
    "render": "drew and wrote the pages",
    "write": "removed what is gone",
    "search": "search index done (when on and pages changed)",
    "notes": "drew the edited notes",
}


def interactive(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether a live display suits `stream`: a terminal, and not in CI (`CI` set by GitHub
    Actions and most others) nor a terminal that draws nothing (TERM=dumb)."""
    if environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class StageLines(Progress):
    """One plain line per stage as it ends (for a pipe or CI); its time with -v."""

    def __init__(self, stream: TextIO, verbose: bool) -> None:
        self.stream, self.verbose = stream, verbose
        self.units = 0

    def measure(self, total: int, done: Callable[[], int]) -> None:
        self.units += total

    def end(self, stage: str, seconds: float) -> None:
        print(stage_line(stage, seconds, self.units, self.verbose), file=self.stream, flush=True)
        self.units = 0


def stage_line(stage: str, seconds: float, units: int, verbose: bool) -> str:
    text = DONE.get(stage, stage)
    if stage in ("render", "notes"):
        text = f"drew {units:,} pages" if units != 1 else "drew 1 page"
    return f"{stage:>7}: {text}" + (f" ({seconds:.2f}s)" if verbose else "")


class LiveProgress(Progress):
    """A spinner, the stage, a bar with counts when the stage measured its work, and the
    time, redrawn by rich's own thread a few times a second and gone when the work ends.
    With -v each stage leaves its line above it."""

    def __init__(self, display: rich.progress.Progress, verbose: bool) -> None:
        self.display, self.verbose = display, verbose
        self.task: rich.progress.TaskID | None = None
        self.units = 0

    def begin(self, stage: str) -> None:
        self._drop()
        self.task = self.display.add_task(DOING.get(stage, stage), total=None)

    def measure(self, total: int, done: Callable[[], int]) -> None:
        if self.task is not None:
            self.units += total
            self.display.update(self.task, total=total, completed=0)
            self.display.probes[self.task] = done  # type: ignore[attr-defined]

    def end(self, stage: str, seconds: float) -> None:
        self._drop()
        if self.verbose:
            self.display.console.print(
                stage_line(stage, seconds, self.units, True), markup=False, highlight=False
            )
        self.units = 0

    def _drop(self) -> None:
        if self.task is not None:
            self.display.probes.pop(self.task, None)  # type: ignore[attr-defined]
            self.display.remove_task(self.task)
            self.task = None


def _live_display(stream: TextIO) -> rich.progress.Progress:
    """rich's Progress, reading each measured stage's count when it redraws (in its own
    thread, REFRESHES_PER_SECOND times a second), so the build never pays for the display."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress
    from rich.text import Text

    class Count(ProgressColumn):
        """`done/total` for a measured stage; nothing for the others (not `0/?`)."""

        def render(self, task: rich.progress.Task) -> Text:
            shown = f"{int(task.completed):,}/{int(task.total):,}" if task.total else ""
            return Text(shown, style="progress.download")

    class Probed(RichProgress):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.probes: dict[rich.progress.TaskID, Callable[[], int]] = {}
            super().__init__(*args, **kwargs)

        def get_renderables(self) -> Iterator[object]:
            for task, done in list(self.probes.items()):
                # the task may end meanwhile, or its counter's process
                with contextlib.suppress(KeyError, OSError, ValueError):
                    self.update(task, completed=done())
            yield from super().get_renderables()

    display = Probed(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        Count(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
        refresh_per_second=REFRESHES_PER_SECOND,
        redirect_stdout=False,  # forked render workers must not inherit a proxy
        redirect_stderr=False,
    )
    return display


@contextmanager
def progress_for(
    verbosity: int, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> Iterator[Progress]:
    """The display for a command: live on a terminal, stage lines elsewhere, none with -q."""
    out = stream or sys.stderr
    if verbosity <= QUIET:
        yield SILENT
        return
    if not interactive(out, os.environ if environ is None else environ):
        yield StageLines(out, verbosity >= VERBOSE)
        return
    display = _live_display(out)
    display.start()
    try:
        yield LiveProgress(display, verbosity >= VERBOSE)
    finally:
        display.stop()


# -- digest serve ----------------------------------------------------------------------


def rebuild_lines(
    changed: str,
    drawn: int,
    seconds: float,
    diagnostics: Iterable[Diagnostic],
    known: frozenset[Diagnostic],
) -> tuple[list[str], frozenset[Diagnostic]]:
    """What `digest serve` prints after a rebuild: one line (what changed, pages redrawn,
    time, warnings new and cleared), then each new warning in full; and the warnings to
    compare the next rebuild with. A warning still there is not repeated."""
    now = frozenset(d for d in diagnostics if d.level != "info")
    new = [d for d in dict.fromkeys(diagnostics) if d in now and d not in known]
    cleared = len(known - now)
    pages = "1 page" if drawn == 1 else f"{drawn:,} pages"
    line = f"{changed}: {pages} redrawn in {seconds:.2f}s"
    if new:
        line += f"; {len(new)} new warning{'s' if len(new) != 1 else ''} below"
    if cleared:
        line += f"; {cleared} warning{'s' if cleared != 1 else ''} cleared"
    return [printable(line), *(_line(d) for d in new)], now
