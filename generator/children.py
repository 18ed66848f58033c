"""Forked helper processes that live no longer than the process that forked them.

A build killed with SIGKILL runs no cleanup. Its forked workers lived on, blocked on a pipe
no one read, and the next build waited for ever (issue 19: 6 of 9 kills). So each child
asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG), and checks right after
the fork that its parent did not die before it asked; it ignores Ctrl-C (a terminal sends
SIGINT to the whole process group: each child printed a KeyboardInterrupt traceback, and
the parent stops its children itself); and it closes the pipe ends it inherited but does
not own (its own reading end, its siblings'), so no process waits on a pipe that only a
dead process could read.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.process
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

PR_SET_PDEATHSIG = 1  # prctl option, linux/prctl.h

Process = multiprocessing.process.BaseProcess


def start(
    target: Callable[..., None], args: tuple[Any, ...], closing: Iterable[Connection] = ()
) -> tuple[Process, Connection]:
    """Fork a daemon process running `target(*args, send)`; return it and the reading end
    of `send`. `closing`: other pipe ends this process holds that the child must not keep
    (the reading ends of its siblings)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    inherited = [receive, *closing]
    parent = (os.getpid(), _prctl())  # looked up here: each child importing ctypes costs
    process = context.Process(target=_child, args=(parent, inherited, target, (*args, send)))
    process.daemon = True
    with signals_blocked():  # a Ctrl-C or a stop between the fork and the child's handlers
        process.start()
    send.close()
    return process, receive


def stop(process: Process, receive: Connection) -> None:
    """Stop a child whose result is no longer wanted, and close its pipe."""
    process.terminate()
    process.join()
    receive.close()


def dying_with_parent() -> Callable[[], None]:
    """A `preexec_fn` for subprocess: the program started dies with this process too.
    (Pagefind, left running by a killed build, wrote into the next build's index.)"""
    prctl = _prctl()
    parent = os.getpid()
    return lambda: _die_with(parent, prctl)


Parent = tuple[int, Callable[..., int] | None]  # its pid, and prctl


def _child(
    parent: Parent, inherited: list[Connection], target: Callable[..., None], args: tuple[Any, ...]
) -> None:
    _die_with(*parent)
    ignoring_ctrl_c()
    for connection in inherited:
        connection.close()
    target(*args)


def _prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up before forking; None where there is none (not Linux)."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def _die_with(parent: int, prctl: Callable[..., int] | None) -> None:
    """Be killed when the parent dies; exit now if it died before this was asked. (The
    kernel sends the signal when the forking *thread* ends: a build forks from the thread
    that waits for the child, a session's background job from serve's builder thread, which
    lives as long as serve; a child killed early is computed again in the parent.)"""
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


_BLOCKED = {signal.SIGINT, signal.SIGTERM}


def ignoring_ctrl_c() -> None:
    """In a child forked inside `signals_blocked`: ignore Ctrl-C (its parent stops it), stop
    on SIGTERM (`digest serve` makes it raise in Python), then take the signals again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back in this thread, and in a child it forks until that
    child calls `ignoring_ctrl_c`: Python's own fork hooks raised KeyboardInterrupt in a
    child that Ctrl-C reached before it could ignore it."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def running(pid: int) -> bool:
    """Whether process `pid` is still running. A zombie is not: where no init reaps
    orphans (a container's first process often does not), a killed build's workers stay
    zombies for ever, and their temporary files were never swept (issue 19's kill race)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the process
        return _signalable(pid)
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def _signalable(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
