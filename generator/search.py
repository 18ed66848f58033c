"""The search index: Pagefind run on the staged output as the last build step."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .children import dying_with_parent
from .config import Config
from .errors import Diagnostic, warning
from .write import WriteStats, replace_tree


def pagefind_command() -> list[str] | None:
    """How to run Pagefind: the binary from the `pagefind[bin]` wheel, else one on PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found]

        return [str(get_executable())]
    except Exception:  # the wheel is missing or its binary is not for this machine
        found = shutil.which("pagefind")
        return [found] if found else None


def index_site(output: Path, config: Config, stats: WriteStats) -> list[Diagnostic]:
    """Index the paper pages of `output` into output/pagefind/, made aside and swapped in.
    Skipped when no file changed and an index exists. Never fails a build."""
    target = output / "pagefind"
    if not config.search or (not stats.changed and target.is_dir()):
        return []
    command = pagefind_command()
    if command is None:
        return [_no_search("the Pagefind binary was not found", target)]
    staging = output / ".pagefind.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        run = subprocess.run(
            [
                *command,
                "--site",
                str(output),
                "--output-path",
                str(staging),
                "--glob",
                "papers/**/index.html",
                "--silent",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            preexec_fn=dying_with_parent(),  # a killed build's Pagefind wrote the next's index
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [_no_search(f"Pagefind could not run ({exc})", target)]
    if run.returncode != 0 or not staging.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        detail = (run.stderr or run.stdout or f"exit status {run.returncode}").strip()[-300:]
        return [_no_search(f"Pagefind failed: {detail}", target)]
    replace_tree(staging, target)
    return []


def _no_search(reason: str, target: Path) -> Diagnostic:
    """The one warning of a build whose search index could not be made: the pages are all
    there, and the search page says search is unavailable (or keeps the last index)."""
    outcome = (
        "the search index of the last build is kept"
        if target.is_dir()
        else "the site is built without search"
    )
    return warning(
        "search",
        None,
        f"{reason}; {outcome}",
        f"install it with `{Path(sys.executable).name} -m pip install 'pagefind[bin]'`",
    )
