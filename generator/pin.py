"""How a site's Pages workflow installs the generator that made it (`digest new`,
`digest upgrade-pin`).

The generator is not on PyPI (the name `paper-digest` there is another project's), so the
site's requirements.txt must not name an index package: it pins the running generator
itself. Installed from a git URL (PEP 610's direct_url.json has `vcs_info`), that URL at that
commit; otherwise a wheel of the running code, written into the site's `.digest/` folder and
committed with it. The wheel is packed here from the imported packages and the installed
metadata, so it needs neither the source tree, nor build tools, nor the network, and the
same code always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import DigestError

DIST = "paper-digest-ssg"
PACKAGES = ("generator", "digest_themes")
WHEEL_DIR = ".digest"
REQUIREMENTS = "requirements.txt"
# `paper-digest` is the name scaffolds before the rename wrote: on PyPI it is another project.
OLD_NAMES = frozenset({"paper-digest"})
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip holds: the same code, the same bytes
_SKIP = re.compile(r"(^\.|~$|\.py[co]$|\.sw[a-z]$)")

HEADER = f"""\
# What the Pages workflow (.github/workflows/pages.yml) installs to build this site.
#
# The generator is not on PyPI (the name paper-digest there is another project's), so the
# line below pins the very generator that made this site, in one of two ways:
#   - when it was installed from a git URL: that URL at that commit, e.g.
#       {DIST} @ git+https://github.com/OWNER/REPO@COMMIT
#   - otherwise: a wheel of it, kept in {WHEEL_DIR}/ and committed with the site, e.g.
#       ./{WHEEL_DIR}/paper_digest_ssg-0.1.0-py3-none-any.whl
# `digest upgrade-pin` replaces the pin with the generator installed where you run it.
# Once the project publishes releases on PyPI (its README will say so), you can pin one
# instead, e.g. `{DIST}==1.0`, and delete {WHEEL_DIR}/.
"""


@dataclass(frozen=True)
class Pin:
    """A requirements.txt line installing the running generator, and the wheel it needs."""

    line: str
    kind: str  # "git" or "wheel"
    version: str
    wheel_name: str | None = None
    wheel: bytes | None = None

    def describe(self) -> str:
        if self.kind == "git":
            return f"{DIST} {self.version} pinned at its git commit: {self.line}"
        return f"{DIST} {self.version} pinned as a wheel: {WHEEL_DIR}/{self.wheel_name}"


def current_pin() -> Pin:
    """Pin the generator running now: its git URL and commit, or else a wheel of it."""
    dist = _distribution()
    return _git_pin(dist) or _wheel_pin(dist)


def installed_from() -> str:
    """Which pin `digest new` would write here, in a sentence (for --help; builds nothing)."""
    try:
        dist = _distribution()
    except DigestError:
        return "Here the generator is not installed, so it cannot pin itself."
    git = _git_pin(dist)
    if git is not None:
        return f"Here it was installed from a git URL, so a site pins: {git.line}"
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    origin = origin.get("url", "a package index or a wheel file")
    return f"Here it was installed from {origin}, not a public git URL: a site gets a wheel."


def requirements_text(pin: Pin) -> str:
    return f"{HEADER}{pin.line}\n"


def write_pin(site: Path, pin: Pin) -> list[str]:
    """Write the wheel (if any) into `site`, removing older ones; return the paths written."""
    folder = site / WHEEL_DIR
    for old in folder.glob(f"{_wheel_stem()}-*.whl"):
        if old.name != pin.wheel_name:
            old.unlink()
    if pin.wheel is None or pin.wheel_name is None:
        return []
    _atomic_write(folder / pin.wheel_name, pin.wheel)
    return [f"{WHEEL_DIR}/{pin.wheel_name}"]


def upgrade(site: Path) -> list[str]:
    """`digest upgrade-pin`: point the site's requirements.txt at the running generator."""
    path = site / REQUIREMENTS
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DigestError.at(
            str(path), None, "no requirements.txt here", "run it in a folder `digest new` made"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError.at(str(path), None, f"cannot read it: {exc}") from exc
    pin = current_pin()
    new_text, replaced = replace_pin(text, pin.line)
    written = write_pin(site, pin)
    _atomic_write(path, new_text.encode("utf-8"))
    notes = [f"{path}: {pin.describe()}"]
    notes += [f"replaced `{old}`" for old in replaced]
    notes += [f"wrote {site / relative}" for relative in written]
    return notes


def replace_pin(text: str, line: str) -> tuple[str, list[str]]:
    """`text` with every line installing the generator replaced by `line` (appended if none)."""
    kept: list[str] = []
    replaced: list[str] = []
    for old in text.splitlines():
        if not is_generator_requirement(old):
            kept.append(old)
            continue
        if old.strip() != line:
            replaced.append(old.strip())
        if line not in kept:
            kept.append(line)
    if line not in kept:
        kept.append(line)
    return "\n".join(kept) + "\n", replaced


def is_generator_requirement(line: str) -> bool:
    """Whether a requirements.txt line installs this generator (or the old name's stranger)."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith(("#", "-")):
        return False
    if text.endswith(".whl"):
        return Path(text).name.startswith(f"{_wheel_stem()}-")
    name = re.split(r"[\s@\[<>=!~;]", text, maxsplit=1)[0]
    return _normalise(name) in {DIST, *OLD_NAMES}


# -- which install -------------------------------------------------------------


def _distribution() -> metadata.Distribution:
    # A checkout on sys.path (python -m, pytest) can show a stale egg-info first: prefer
    # what pip installed, which says where from (direct_url.json).
    found = list(metadata.distributions(name=DIST))
    pip_made = [d for d in found if d.read_text("direct_url.json")]
    if found:
        return (pip_made or found)[0]
    try:
        return metadata.distribution(DIST)
    except metadata.PackageNotFoundError as exc:
        raise DigestError.at(
            DIST,
            None,
            "the generator runs without being installed, so it cannot be pinned",
            "install it with `python -m pip install -e .` in its checkout",
        ) from exc


def _git_pin(dist: metadata.Distribution) -> Pin | None:
    origin = json.loads(dist.read_text("direct_url.json") or "{}")
    vcs = origin.get("vcs_info") or {}
    url = public_git_url(str(origin.get("url", "")))
    commit = str(vcs.get("commit_id", ""))
    if vcs.get("vcs") != "git" or url is None or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        return None
    line = f"{DIST} @ git+{url}@{commit}"
    if origin.get("subdirectory"):
        line += f"#subdirectory={origin['subdirectory']}"
    return Pin(line=line, kind="git", version=dist.version)


def public_git_url(url: str) -> str | None:
    """The https URL a CI runner can clone `url` from, or None (a local path, a private host)."""
    github_ssh = re.fullmatch(r"(?:ssh://)?git@github\.com[:/](.+)", url)
    if github_ssh:  # the runner has no key of yours; a public repository clones over https
        return f"https://github.com/{github_ssh.group(1)}"
    return url if url.startswith("https://") else None


# -- the wheel -----------------------------------------------------------------


def _wheel_pin(dist: metadata.Distribution) -> Pin:
    name = f"{_wheel_stem()}-{dist.version}-py3-none-any.whl"
    data = build_wheel(dist)
    return Pin(f"./{WHEEL_DIR}/{name}", "wheel", dist.version, name, data)


def build_wheel(dist: metadata.Distribution) -> bytes:
    """A wheel (PEP 427) of the imported packages with the installed metadata."""
    info = f"{_wheel_stem()}-{dist.version}.dist-info"
    files = dict(_package_files())
    # An egg-info (a checkout on sys.path) keeps the same text as PKG-INFO.
    text = dist.read_text("METADATA") or _required(dist, "PKG-INFO")
    files[f"{info}/METADATA"] = text.encode("utf-8")
    files[f"{info}/entry_points.txt"] = _required(dist, "entry_points.txt").encode("utf-8")
    files[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: {DIST} (digest new)\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    files[f"{info}/RECORD"] = _record(files, f"{info}/RECORD")
    return _zip(files)


def _package_files() -> Iterator[tuple[str, bytes]]:
    for package in PACKAGES:
        yield from _walk(resources.files(package), package)


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__" or _SKIP.search(entry.name):
            continue
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}/{entry.name}")
        else:
            yield f"{prefix}/{entry.name}", entry.read_bytes()


def _required(dist: metadata.Distribution, name: str) -> str:
    text = dist.read_text(name)
    if text is None:
        raise DigestError.at(DIST, None, f"the installed metadata has no {name}", "reinstall it")
    return text


def _record(files: dict[str, bytes], record: str) -> bytes:
    rows = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}\n")
    rows.append(f"{record},,\n")
    return "".join(rows).encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    return buffer.getvalue()


def _wheel_stem() -> str:
    return re.sub(r"[-_.]+", "_", DIST).lower()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would be a surprise in a shared checkout
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DigestError.at(str(path), None, f"cannot write it: {exc.strerror or exc}") from exc
