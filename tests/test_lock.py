"""lock.py: a build that finds the build lock held waits a bounded time, then names the
process that holds it; a lock is never held by the children of its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from generator.errors import DigestError
from generator.lock import build_lock

REPO = Path(__file__).resolve().parents[1]


def hold(cache: Path) -> subprocess.Popen[str]:
    """Another process holding the lock of `cache` until killed; it prints when it does."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from generator.lock import build_lock
        with build_lock(Path({str(cache)!r})):
            print("held", flush=True)
            time.sleep(120)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_held_lock_is_waited_for_a_bounded_time_and_its_holder_named(tmp_path: Path) -> None:
    holder = hold(tmp_path / ".digest-cache")
    try:
        started = time.monotonic()
        with pytest.raises(DigestError) as caught, build_lock(tmp_path / ".digest-cache", 0.5):
            pass
        assert 0.4 < time.monotonic() - started < 5
        found = caught.value.diagnostics[0]
        assert found.path.endswith("build.lock")
        assert f"process {holder.pid}" in found.message and f"kill {holder.pid}" in found.hint
    finally:
        holder.kill()
        holder.wait()
    with build_lock(tmp_path / ".digest-cache", 5):  # the kernel let it go with its holder
        pass


def test_a_child_of_the_holder_does_not_hold_the_lock_once_its_parent_is_gone(
    tmp_path: Path,
) -> None:
    """Whatever forked it (here a bare fork, which the holder's death does not stop), a
    child that outlives the holder does not keep the lock: it belongs to the process."""
    cache = tmp_path / ".digest-cache"
    script = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        from generator.lock import build_lock
        with build_lock(Path({str(cache)!r})):
            child = os.fork()
            if child == 0:
                time.sleep(60)
                os._exit(0)
            print(child, flush=True)
            os._exit(0)  # as SIGKILL would: nothing unlocked on the way out
        """
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True)
    child = int(run.stdout)
    try:
        with build_lock(cache, 2):
            pass
    finally:
        os.kill(child, signal.SIGKILL)
