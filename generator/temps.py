"""The temporary files written beside the files they replace, and the sweep of those a
killed process left behind.

The name proves who made one and whether it is still wanted: `.NAME.PID.TOKEN.digest.tmp`.
A sweep removes only names of that shape whose process is no longer running; it used to
remove any hidden `*.tmp` or `*.old`, a user's `.bashrc.old` among them (issue 19).

Tests: tests/test_children.py, tests/test_write.py, tests/adversarial/test_hostile_kills.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .children import running

SUFFIX = ".digest.tmp"
_OURS = re.compile(r"\..+\.(?P<pid>\d+)\.[0-9A-Za-z_-]+\.digest\.tmp")


def temp_prefix(name: str) -> str:
    """The start of a temporary name for `name` (for tempfile.mkstemp, with SUFFIX)."""
    return f".{name}.{os.getpid()}."


def temp_name(name: str, token: str) -> str:
    return f"{temp_prefix(name)}{token}{SUFFIX}"


def is_leftover(name: str) -> bool:
    """A temporary file of ours whose process is gone, or is this one: a sweep runs as a
    build starts, holding the build lock, so none of this process's writes is under way (a
    build in it was interrupted by an exception: serve, or a caller of build_site)."""
    found = _OURS.fullmatch(name)
    if found is None:
        return False
    pid = int(found["pid"])
    return pid == os.getpid() or not running(pid)


def sweep(folder: Path) -> list[str]:
    """Remove the leftovers in `folder` (not below it); their names."""
    try:
        names = [e.name for e in os.scandir(folder) if e.name[0] == "." and e.is_file()]
    except OSError:
        return []
    gone = [name for name in names if is_leftover(name)]
    for name in gone:
        (folder / name).unlink(missing_ok=True)
    return gone
