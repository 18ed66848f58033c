"""`digest new DIR`: a ready-to-build site from the files in generator/scaffold/, with the
running generator pinned in its requirements.txt (see pin.py)."""

from __future__ import annotations

import shlex
from importlib import resources
from pathlib import Path

from .errors import DigestError
from .orphans import SAMPLE
from .pin import REQUIREMENTS, current_pin, requirements_text, write_pin

# (path in the new site, data file in generator/scaffold/ or None for an empty file).
# The data files have no leading dot: setuptools leaves hidden files out of the wheel.
FILES: tuple[tuple[str, str | None], ...] = (
    ("digest.yaml", "digest.yaml"),
    (f"content/listings/{SAMPLE}", "sample-listing.txt"),
    ("content/papers/.gitkeep", None),
    (".gitignore", "gitignore"),
    (".github/workflows/pages.yml", "pages.yml"),
)


def new_site(directory: Path) -> list[str]:
    """Write a new site into `directory` (created with its parents); return what was done."""
    _check_target(directory)
    pin = current_pin()  # before writing anything: it fails when the generator is not installed
    lines = []
    for relative, source in FILES:
        _write(directory / relative, _data(source))
        lines.append(f"created {directory / relative}")
    _write(directory / REQUIREMENTS, requirements_text(pin).encode("utf-8"))
    lines.append(f"created {directory / REQUIREMENTS}: {pin.describe()}")
    readme = _data("README.md").decode("utf-8").replace("@PIN@", pin.describe())
    _write(directory / "README.md", readme.encode("utf-8"))
    lines.append(f"created {directory / 'README.md'}")
    lines += [f"created {directory / relative}" for relative in write_pin(directory, pin)]
    lines.append(f"next: cd {shlex.quote(str(directory))} && digest build")
    return lines


def workflow_note(site: Path) -> str | None:
    """A note when the site's Pages workflow is not the one this generator ships (a site made
    before it changed: older actions, broader permissions)."""
    relative = ".github/workflows/pages.yml"
    path = site / relative
    if not path.is_file() or path.read_bytes() == _data("pages.yml"):
        return None
    return (
        f"note: {path} differs from the workflow this generator ships; to take the new one "
        f"(current actions pinned by commit, least privilege), copy {relative} from a site "
        "made with `digest new`, keeping your own changes"
    )


def _check_target(directory: Path) -> None:
    where = str(directory)
    if directory.exists() and not directory.is_dir():
        raise DigestError.at(where, None, "exists and is not a folder", "choose another name")
    if directory.is_dir() and any(directory.iterdir()):
        raise DigestError.at(
            where,
            None,
            "the folder exists and is not empty; nothing was written",
            "give a new or empty folder, so no file of yours is overwritten",
        )


def _data(name: str | None) -> bytes:
    if name is None:
        return b""
    return (resources.files("generator") / "scaffold" / name).read_bytes()


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": never replace a file that appeared since the folder was checked.
        with path.open("xb") as handle:
            handle.write(data)
    except OSError as exc:
        raise DigestError.at(str(path), None, f"cannot create it: {exc.strerror or exc}") from exc
