"""The built site as a deploy publishes it: its files, refusing what GitHub Pages or git
cannot publish, its size against Pages' limit, and the custom domain (CNAME) checked.

Tests: tests/test_deploy.py, tests/test_publish.py"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic, DigestError, warning

# GitHub documents 1 GB as the largest published Pages site.
PAGES_SIZE_LIMIT = 1_000_000_000
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


@dataclass(frozen=True)
class SiteFiles:
    """The files of the built site, as (path in the tree, path on disk), sorted by path."""

    files: tuple[tuple[str, Path], ...]
    size: int


def scan_output(output: Path) -> SiteFiles:
    """List the site's files, refusing what GitHub Pages or git cannot publish."""
    if not output.is_dir():
        raise DigestError.at(
            str(output), None, "the output folder does not exist", "run `digest build` first"
        )
    # Absolute: git runs in the repository, not in the caller's current folder.
    output = output.absolute()
    files: list[tuple[str, Path]] = []
    size = 0
    for dirpath, dirnames, filenames in os.walk(output):
        folder = Path(dirpath)
        for name in (*dirnames, *filenames):
            _check_entry(output, folder / name)
        for name in filenames:
            path = folder / name
            files.append((path.relative_to(output).as_posix(), path))
            size += path.stat().st_size
    if not files:
        raise DigestError.at(
            str(output),
            None,
            "the output folder is empty, nothing to publish",
            "run `digest build` first",
        )
    return SiteFiles(tuple(sorted(files)), size)


def _check_entry(output: Path, path: Path) -> None:
    where = str(path)
    if path.is_symlink():
        raise DigestError.at(
            where,
            None,
            f"the output contains a symbolic link to {os.readlink(path)}",
            "GitHub Pages does not publish links; copy the file into the output",
        )
    if path.name == ".git":
        raise DigestError.at(
            where, None, "the output contains a .git folder", f"is {output} really the built site?"
        )
    if "\n" in path.name or "\r" in path.name:
        raise DigestError.at(
            where, None, "a file name in the output contains a line break", "rename the file"
        )
    if not (path.is_dir() or path.is_file()):
        raise DigestError.at(
            where,
            None,
            "the output contains something that is not a file",
            "remove it from the output",
        )


def size_diagnostics(size: int, output: Path) -> list[Diagnostic]:
    if size <= PAGES_SIZE_LIMIT:
        return []
    return [
        warning(
            str(output),
            None,
            f"the site is {size / 1e9:.2f} GB, over GitHub Pages' 1 GB limit",
            "GitHub may refuse to publish it; leave large files out of the site",
        )
    ]


def normalise_cname(cname: str) -> str:
    host = cname.strip().rstrip(".").lower()
    if not _HOSTNAME.match(host) or "." not in host:
        raise DigestError.at(
            "--cname",
            None,
            f"{cname!r} is not a domain name",
            "give a bare host such as docs.example.org, no https:// or path",
        )
    return host
