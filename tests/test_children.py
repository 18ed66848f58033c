"""children.py: forked helpers die with their parent, ignore Ctrl-C (their parent stops
them), and keep no pipe end that is not theirs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from generator import children, temps
from generator.forked import Forked

REPO = Path(__file__).resolve().parents[1]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not alive(pid)


def test_a_forked_child_dies_when_its_parent_is_killed() -> None:
    script = textwrap.dedent(
        """
        import time
        from generator.forked import Forked
        job = Forked(lambda: time.sleep(60))
        print(job.process.pid, flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert wait_gone(child), "the child outlived its parent"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_ignores_ctrl_c_and_its_parent_stops_it() -> None:
    job = Forked(lambda: time.sleep(60))
    assert job.process is not None and job.process.pid is not None
    pid = job.process.pid
    time.sleep(0.2)  # past the fork
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    assert alive(pid), "Ctrl-C reached a forked child"
    job.cancel()
    assert not alive(pid)


def _reading_ends(pid: int) -> set[int]:
    """The pipes `pid` can read from, by inode (both ends of a pipe share it)."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            flags = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().split("flags:")[1]
        except (OSError, IndexError):
            continue
        if target.startswith("pipe:[") and int(flags.split()[0], 8) & os.O_ACCMODE == 0:
            found.add(int(target[6:-1]))
    return found


def test_a_child_keeps_no_reading_end_but_its_parents() -> None:
    first = Forked(lambda: time.sleep(60))
    assert first.process is not None and first.process.pid is not None
    mine = os.fstat(first.receive.fileno()).st_ino
    second, receive = children.start(_sleep, (), closing=[first.receive])
    try:
        time.sleep(0.3)  # past the fork and the closing
        assert mine not in _reading_ends(first.process.pid), "it kept its own reading end"
        assert second.pid is not None
        assert mine not in _reading_ends(second.pid), "it kept its sibling's reading end"
    finally:
        first.cancel()
        children.stop(second, receive)


def _sleep(send: object) -> None:
    time.sleep(60)


def test_a_zombie_is_not_running_and_its_temporary_files_are_swept(tmp_path: Path) -> None:
    """Where no init reaps orphans (this machine's first process does not), a killed
    build's workers stay zombies; their temporary files must still be swept."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while children.running(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Path(f"/proc/{pid}").exists(), "the child was reaped: not a zombie"
        assert not children.running(pid)
        leftover = tmp_path / f".index.html.{pid}.140213.digest.tmp"
        ours = tmp_path / f".index.html.{os.getppid()}.1.digest.tmp"  # a live process's
        users = tmp_path / ".bashrc.old"
        for path in (leftover, ours, users):
            path.write_text("x")
        assert temps.sweep(tmp_path) == [leftover.name]
        assert ours.exists() and users.exists()
    finally:
        os.waitpid(pid, 0)
    assert not children.running(pid)
    assert children.running(os.getpid())
