"""The only writer of the output folder.

A build writes into a staging folder beside the output, hard-linking every file whose bytes
did not change (so it keeps its modification time), then swaps the staging folder into
place. A build killed midway leaves the previous site whole. `digest serve` writes in place
instead, each file atomically, for speed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import DigestError
from .records import write_atomic


@dataclass(slots=True)
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def check_output(root: Path, output: Path) -> None:
    """Refuse an output folder that would overwrite the site's own files."""
    root, out = root.resolve(), output.resolve()
    content = root / "content"
    if out == root or out in root.parents:
        raise DigestError.at(
            str(output),
            None,
            "the output folder contains the site itself",
            "pick a folder such as site/",
        )
    if out == content or content in out.parents or out == root / "themes":
        raise DigestError.at(
            str(output),
            None,
            "the output folder is inside content/ or themes/",
            "pick a folder such as site/",
        )


def safe_path(base: Path, relative: str) -> Path:
    """`base/relative`, refusing anything that would land outside `base`."""
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or PurePosixPath(relative).is_absolute()
        or any(p in ("..", ".", "") or "\\" in p or "\x00" in p for p in parts)
    ):
        raise DigestError.at(relative, None, "refusing to write outside the output folder")
    return base.joinpath(*parts)


def _staging_names(output: Path) -> tuple[Path, Path]:
    return output.with_name(f".{output.name}.staging"), output.with_name(f".{output.name}.old")


def recover(output: Path) -> None:
    """Undo a swap interrupted between its two renames, and drop a killed build's staging."""
    staging, old = _staging_names(output)
    if not output.exists() and old.exists():
        old.rename(output)
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def staged(output: Path) -> Iterator[Path]:
    """A staging folder that replaces `output` when the block ends without an error."""
    recover(output)
    staging, old = _staging_names(output)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if output.exists():
        output.rename(old)
    staging.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def write_staged(staging: Path, previous: Path, files: Iterable[tuple[str, bytes]]) -> WriteStats:
    """Write `files` into `staging`; a file equal to the previous build's is hard-linked."""
    stats = WriteStats()
    seen: set[str] = set()
    for relative, data in files:
        if relative in seen:
            continue
        seen.add(relative)
        target = safe_path(staging, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        old = previous / relative
        if _same(old, data):
            os.link(old, target)
            stats.unchanged += 1
        else:
            target.write_bytes(data)
            stats.written += 1
    stats.removed = _count_missing(previous, seen)
    return stats


def link_tree(source: Path, target: Path) -> None:
    """Hard-link a folder of the previous build (e.g. an unchanged search index) into staging."""
    if source.is_dir():
        shutil.copytree(source, target, copy_function=os.link, dirs_exist_ok=True)


def write_in_place(
    output: Path, files: Iterable[tuple[str, bytes]], keep: Iterable[str] = ()
) -> tuple[WriteStats, list[str]]:
    """Write changed files directly (each atomically) and delete files no longer produced,
    except those under the `keep` prefixes. Returns the paths written."""
    stats = WriteStats()
    seen: set[str] = set()
    written: list[str] = []
    for relative, data in files:
        seen.add(relative)
        target = safe_path(output, relative)
        if _same(target, data):
            stats.unchanged += 1
            continue
        write_atomic(target, data)
        stats.written += 1
        written.append(relative)
    prefixes = tuple(keep)
    for path in _all_files(output):
        relative = path.relative_to(output).as_posix()
        if relative not in seen and not relative.startswith(prefixes):
            path.unlink()
            stats.removed += 1
    return stats, written


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _all_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for dirpath, _, names in os.walk(folder):
            for name in names:
                yield Path(dirpath) / name


def _count_missing(previous: Path, produced: set[str]) -> int:
    return sum(
        1
        for path in _all_files(previous)
        if path.relative_to(previous).as_posix() not in produced
        and not path.relative_to(previous).as_posix().startswith("pagefind/")
    )
