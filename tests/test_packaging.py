"""The wheel, as `pip install .` gives it to a user: it carries the built-in themes and the
scaffold, and an installed `digest` scaffolds and builds a site without the checkout.

Slow-ish (about 10 s): one wheel build and one venv for the whole module."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from generator.scaffold import FILES

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the sources"),
]


def run(args: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: the installed package must not be able to fall back on the checkout.
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    clean.update(env, PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=clean, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


def git_files(*under: str) -> list[str]:
    """The checkout's files as a clean clone would have them, plus new files not ignored."""
    out = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *under], ROOT)
    return [f for f in out.stdout.split("\0") if f and (ROOT / f).is_file()]


def tracked(under: str) -> list[str]:
    out = run(["git", "ls-files", "-z", under], ROOT)
    return [f for f in out.stdout.split("\0") if f and (ROOT / f).is_file()]


def builds_offline() -> bool:
    """Whether setuptools can make a wheel without pip fetching build tools: it needs the
    `wheel` package before setuptools 70.1 took bdist_wheel in."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    major, minor = (int(p) for p in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the checkout,
    # and races other test runs sharing it.
    src = tmp_path_factory.mktemp("src")
    for relative in git_files():
        (src / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, src / relative)
    dist = tmp_path_factory.mktemp("dist")
    isolation = ["--no-build-isolation"] if builds_offline() else []
    # Without the build tools at hand pip fetches them; fail fast rather than hang offline.
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", dist, src],
        src,
        PIP_TIMEOUT="20",
        PIP_RETRIES="1",
    )
    (built,) = dist.glob("paper_digest_ssg-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; dependencies come from the system site-packages."""
    home = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", home], home)
    python = home / "bin" / "python"
    # --force-reinstall: the editable install of the checkout is visible through the system
    # site-packages and would otherwise count as "already satisfied".
    install = ["install", "-q", "--no-deps", "--no-index", "--force-reinstall", wheel]
    run([python, "-m", "pip", *install], home)
    return home


def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_the_default_theme(wheel: Path) -> None:
    inside = names(wheel)
    assert "digest_themes/default/templates/base.html" in inside
    assert "digest_themes/default/static/style.css" in inside


def test_wheel_holds_every_tracked_theme_file(wheel: Path) -> None:
    files = tracked("themes")
    assert "themes/default/templates/base.html" in files
    expected = {"digest_themes/" + f.removeprefix("themes/") for f in files}
    assert sorted(expected - names(wheel)) == []


def test_wheel_holds_the_scaffold(wheel: Path) -> None:
    inside = names(wheel)
    assert "generator/scaffold.py" in inside
    missing = [s for _, s in FILES if s and f"generator/scaffold/{s}" not in inside]
    assert missing == []


def test_wheel_leaves_out_tests_and_bytecode(wheel: Path) -> None:
    inside = names(wheel)
    assert not [n for n in inside if n.startswith("tests/") or n.endswith(".pyc")]


def test_installed_package_is_imported_from_the_venv(venv: Path, tmp_path: Path) -> None:
    code = (
        "import generator, generator.themes as r; "
        "print(generator.__file__); print(r.builtin_themes())"
    )
    out = run([venv / "bin" / "python", "-c", code], tmp_path).stdout.splitlines()
    site_packages = str(venv.resolve() / "lib")
    assert [line.startswith(site_packages) for line in out] == [True, True], out
    shebang = (venv / "bin" / "digest").read_text(encoding="utf-8").splitlines()[0]
    assert shebang == f"#!{venv / 'bin' / 'python'}"


def test_installed_digest_scaffolds_and_builds_a_site(venv: Path, tmp_path: Path) -> None:
    digest = venv / "bin" / "digest"
    created = run([digest, "new", "x"], tmp_path).stdout
    assert "created x/digest.yaml" in created
    site = tmp_path / "x"
    built = run([digest, "build", "--strict"], site)
    assert built.stdout.startswith("built 3 papers"), built.stdout
    assert (site / "site" / "index.html").is_file()
    assert len(list((site / "site" / "papers").glob("*/index.html"))) == 3
    shipped = venv.resolve() / "lib"
    css = next(shipped.glob("python3*/site-packages/digest_themes/default/static/style.css"))
    assert (site / "site" / "static" / "style.css").read_bytes() == css.read_bytes()
