"""The build lock: two builds of one site take turns, and one that waits too long says why.

A POSIX record lock (fcntl), not flock: flock belongs to the open file, which every forked
worker inherited, so a build killed with SIGKILL left its workers holding the lock and the
next build waited for ever. A record lock belongs to the process that took it: no child
holds it, and the kernel lets it go when that process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DigestError

LOCK_FILE = "build.lock"
WAIT_SECONDS = 120.0  # a 100,000-paper build takes two minutes


@contextmanager
def build_lock(cache: Path, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the site's build lock in the block; wait at most `wait` seconds for it."""
    path = cache / LOCK_FILE
    try:
        cache.mkdir(exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise DigestError.at(str(cache), None, f"cannot create the build lock: {exc}") from exc
    try:
        _acquire(fd, path, wait)
        _record_holder(fd)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    pause = 0.005
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise _held(fd, path, wait)
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # EACCES or EAGAIN: held by another process
        return False
    return True


def _record_holder(fd: int) -> None:
    """Write who holds the lock into the file, for the message of a build that waits."""
    command = " ".join(os.path.basename(arg) for arg in sys.argv[:2])
    line = f"{os.getpid()} {int(time.time())} {command}\n".encode(errors="replace")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, line, 0)
    except OSError:  # a full disk: the lock is held all the same
        pass


def _held(fd: int, path: Path, wait: float) -> DigestError:
    pid, since, command = _holder(fd)
    if not pid:
        return DigestError.at(
            str(path),
            None,
            f"another process held the build lock for {wait:.0f} s",
            "wait for the other build to finish",
        )
    about = ", ".join(part for part in (command, _age(since)) if part)
    who = f"process {pid} ({about})" if about else f"process {pid}"
    return DigestError.at(
        str(path),
        None,
        f"another build of this site, {who}, held the build lock for "
        f"the {wait:.0f} s this one waited",
        f"wait for it to finish, or stop it with `kill {pid}`",
    )


def _age(since: int) -> str:
    return f"started {max(0, int(time.time()) - since)} s ago" if since else ""


def _holder(fd: int) -> tuple[int, int, str]:
    """The pid, start time and command the holder wrote (0, 0, "" when unknown)."""
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace")
        pid, since, command = [*text.strip().split(" ", 2), "", ""][:3]
        return int(pid), int(since), command
    except (OSError, ValueError):
        return 0, 0, ""
