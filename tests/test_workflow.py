"""The GitHub Actions workflow that publishes a digest to Pages, as shipped and as used here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = ROOT / "generator" / "scaffold" / "pages.yml"
OWN = ROOT / ".github" / "workflows" / "pages.yml"
WORKFLOWS = [SCAFFOLD, OWN]


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[Any, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def uses(workflow: dict[Any, Any], job: str, action: str) -> dict[str, Any]:
    found = [s for s in steps(workflow, job) if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"{action} in job {job}"
    return found[0]


def test_the_two_files_are_identical() -> None:
    assert SCAFFOLD.read_bytes() == OWN.read_bytes()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_triggers_on_push_and_by_hand(path: Path) -> None:
    on = load(path)["on"]
    assert "workflow_dispatch" in on
    assert on["push"]["branches"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_permissions_and_concurrency(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_build_job(path: Path) -> None:
    workflow = load(path)
    uses(workflow, "build", "actions/checkout")
    python = uses(workflow, "build", "actions/setup-python")
    major, minor = map(int, str(python["with"]["python-version"]).split(".")[:2])
    assert (major, minor) >= (3, 11)
    assert uses(workflow, "build", "actions/configure-pages")["id"] == "pages"
    runs = "\n".join(s.get("run", "") for s in steps(workflow, "build"))
    assert "pip install" in runs
    assert 'digest build --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    upload = uses(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"
    # .nojekyll and .well-known/ are dotfiles, which upload-pages-artifact@v4 drops by default.
    assert upload["with"]["include-hidden-files"] is True


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_deploy_job(path: Path) -> None:
    workflow = load(path)
    job = workflow["jobs"]["deploy"]
    assert job["needs"] in ("build", ["build"])
    assert job["environment"]["name"] == "github-pages"
    step = uses(workflow, "deploy", "actions/deploy-pages")
    assert job["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_only_official_actions_on_a_major_version(path: Path) -> None:
    workflow = load(path)
    expected = {
        "actions/checkout": 4,
        "actions/setup-python": 5,
        "actions/configure-pages": 5,
        "actions/upload-pages-artifact": 4,
        "actions/deploy-pages": 4,
    }
    used = {s["uses"] for job in workflow["jobs"] for s in steps(workflow, job) if "uses" in s}
    pins = dict(u.split("@") for u in used)
    assert set(pins) == set(expected)
    for action, version in pins.items():
        assert version.startswith("v") and int(version[1:]) >= expected[action], action
