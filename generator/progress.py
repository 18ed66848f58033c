"""How a build tells about its work while it runs: the stages it enters and leaves, and how
far along the long ones are. The build calls these; the command line picks the display
(console.py). The base class tells nobody: it is the default, for tests, library callers
and `digest serve`'s rebuilds.

Tests: tests/test_console.py
"""

from __future__ import annotations

from collections.abc import Callable


class Progress:
    """Stage by stage: `begin`, then perhaps `measure`, then `end`."""

    def begin(self, stage: str) -> None:
        """A stage starts (`ingest`, `model`, `render`, `write`, `search`)."""

    def measure(self, total: int, done: Callable[[], int]) -> None:
        """The stage under way has `total` units of work, of which `done()` are done. The
        display calls `done` at most a few times a second, from another thread: it must be
        cheap and safe to call at any time (a shared counter, not a walk of the output)."""

    def end(self, stage: str, seconds: float) -> None:
        """A stage ended after `seconds`."""


SILENT = Progress()


class Counter:
    """A count that one thread raises and a display's thread reads (an int attribute is
    read whole, without a lock)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def __call__(self) -> int:
        return self.value
