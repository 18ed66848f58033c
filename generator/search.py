"""The search index: Pagefind run on the staged output as the last build step."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .config import Config
from .errors import Diagnostic, warning
from .write import WriteStats, link_tree


def pagefind_command() -> list[str] | None:
    """How to run Pagefind: the binary from the `pagefind[bin]` wheel, else one on PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found]

        return [str(get_executable())]
    except Exception:  # the wheel is missing or its binary is not for this machine
        found = shutil.which("pagefind")
        return [found] if found else None


def index_site(
    staging: Path, previous: Path, config: Config, stats: WriteStats
) -> list[Diagnostic]:
    """Index `staging`; reuse the previous index when no page changed. Never fails a build."""
    if not config.search:
        return []
    if not stats.changed and (previous / "pagefind").is_dir():
        link_tree(previous / "pagefind", staging / "pagefind")
        return []
    command = pagefind_command()
    if command is None:
        return [_no_search("the Pagefind binary was not found")]
    try:
        run = subprocess.run(
            [*command, "--site", str(staging), "--output-subdir", "pagefind", "--quiet"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [_no_search(f"Pagefind could not run ({exc})")]
    if run.returncode != 0:
        return [_no_search(f"Pagefind failed: {run.stderr.strip()[-300:]}")]
    return []


def _no_search(reason: str) -> Diagnostic:
    return warning(
        "search",
        None,
        f"{reason}; the site is built without search",
        f"install it with `{Path(sys.executable).name} -m pip install 'pagefind[bin]'`",
    )
