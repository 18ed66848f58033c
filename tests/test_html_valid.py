"""Every page is valid HTML (the W3C Nu checker) and well-formed for readers and robots."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import BuiltSite

REPO = Path(__file__).resolve().parents[1]
VNU = REPO / "tests" / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL = "npm install --prefix tests/.tools vnu-jar@26 axe-core@4"


def nu_errors(*folders: Path) -> list[str]:
    if shutil.which("java") is None:
        pytest.skip("java is not installed (apt-get install default-jre-headless)")
    if not VNU.is_file():
        pytest.skip(f"the Nu Html Checker is not installed ({INSTALL})")
    # -Xss: the checker's schema needs a deep stack; C1 only: a short run starts faster.
    command = ["java", "-Xss8m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU)]
    command += ["--errors-only", "--format", "json", "--skip-non-html", *map(str, folders)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    try:
        report = json.loads(run.stderr or run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the Nu checker gave no report (exit {run.returncode}): {run.stderr[-500:]}")
    return [
        f"{m.get('url', '').split('/site/')[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in report["messages"]
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]


def test_every_page_is_valid_html(seed_site: BuiltSite, compact_site, hostile_site) -> None:
    assert nu_errors(seed_site.output, compact_site.output, hostile_site.output) == []


@pytest.mark.parametrize("which", ["seed_site", "compact_site"])
def test_every_page_has_the_basics(which: str, request) -> None:
    """One non-empty h1, a title, a language, a description; no empty heading or link."""
    site: BuiltSite = request.getfixturevalue(which)
    for relative in site.html_pages():
        tree = site.page(relative)
        assert tree.find("html").attrs.get("lang"), relative
        assert tree.find("title").text().strip(), relative
        assert tree.find("meta", name="description").attrs["content"].strip(), relative
        assert tree.find("meta", name="viewport") is not None, relative
        assert len(tree.find_all("h1")) == 1, relative
        for node in tree.iter():
            if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "a", "button", "title"):
                assert node.text().strip() or node.find("math"), (relative, node.tag, node.line)
            if node.tag == "a":
                assert not [a for a in node.ancestors() if a.tag == "a"], (relative, node.line)
