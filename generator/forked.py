"""A pure function computed in a forked process while this one goes on with other work.

Only the result travels (pickled through a pipe); the inputs are inherited by the fork.
If the process cannot be started or dies, the function runs here instead, so a result is
always the function's result and any error it raises is raised here, as if never forked.

It is the one helper for the work that forks one process for one result: the listings
parsed (ingest.py), the classification made ahead (ahead.py) and the related papers
(related_cache.Pending, which adds the cache and a niceness). The render workers
(workers.py) share only the fork itself with it (children.start and stop): they are many
processes taking pages from one shared counter, the files they wrote are adopted from what
they send, and a worker that dies is a failed build, not something to compute here again.

Tests: tests/test_forked.py, tests/test_children.py, tests/test_related.py
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from . import children

T = TypeVar("T")


class Forked(Generic[T]):
    """`compute()` in a forked process, at `niceness` (behind this process's own work)."""

    def __init__(self, compute: Callable[[], T], niceness: int = 0) -> None:
        self.compute = compute
        self.process: children.Process | None = None
        try:
            self.process, self.receive = children.start(_run, (compute, niceness))
        except OSError:  # no processes left: computed here when asked for
            self.process = None

    def done(self) -> bool:
        """True when `result` would not wait for the process."""
        if self.process is None:
            return True
        try:
            return self.receive.poll()
        except (OSError, ValueError):  # cancelled by another thread (serve stopping)
            return True

    def result(self) -> T:
        done, found = False, None
        if self.process is not None:
            with contextlib.suppress(EOFError, OSError):
                done, found = self.receive.recv()
            self.receive.close()
            self.process.join()
            self.process = None
        return found if done else self.compute()  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the process: its result is not wanted (the work that needed it failed)."""
        if self.process is not None:
            children.stop(self.process, self.receive)
            self.process = None


class Done(Generic[T]):
    """A result computed here, with Forked's interface."""

    def __init__(self, value: T) -> None:
        self.value = value

    def result(self) -> T:
        return self.value


def _run(compute: Callable[[], T], niceness: int, send: Connection) -> None:
    if niceness:
        os.nice(niceness)
    try:
        answer: tuple[bool, object] = (True, compute())
    except BaseException:  # raised again where the result is asked for
        answer = (False, None)
    try:
        send.send(answer)
    except OSError:  # no one reads it: the parent is gone (Ctrl-C in serve), and so is this
        os._exit(0)
    except Exception:  # a result that cannot be pickled: computed there instead
        send.send((False, None))
    send.close()
