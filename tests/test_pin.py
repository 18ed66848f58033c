"""How a site pins the generator that made it: a git URL at its commit when it was installed
from one (PEP 610), else a wheel of the running code; and `digest upgrade-pin`."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from generator import pin
from generator.cli import main
from generator.errors import DigestError
from generator.scaffold import new_site

COMMIT = "0123456789abcdef0123456789abcdef01234567"
WHEEL = "paper_digest_ssg-0.1.0-py3-none-any.whl"


class InstalledFrom:
    """A stand-in for the installed distribution, as direct_url.json describes its origin."""

    version = "0.1.0"

    def __init__(self, direct_url: dict[str, object] | None) -> None:
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        if name == "direct_url.json" and self.direct_url is not None:
            return json.dumps(self.direct_url)
        return None


def installed(monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object] | None) -> None:
    monkeypatch.setattr(pin, "_distribution", lambda: InstalledFrom(direct_url))


def git(url: str, commit: str = COMMIT) -> dict[str, object]:
    return {
        "url": url,
        "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "main"},
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/someone/paper-digest.git",
        "ssh://git@github.com/someone/paper-digest.git",
        "git@github.com:someone/paper-digest.git",
    ],
)
def test_a_git_install_is_pinned_to_its_https_url_at_its_commit(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    installed(monkeypatch, git(url))
    found = pin.current_pin()
    assert found.kind == "git"
    assert found.line == (
        f"paper-digest-ssg @ git+https://github.com/someone/paper-digest.git@{COMMIT}"
    )
    assert found.wheel is None


def test_a_git_install_from_a_subdirectory_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    installed(monkeypatch, {**git("https://example.org/x.git"), "subdirectory": "tool"})
    assert pin.current_pin().line.endswith(f"@{COMMIT}#subdirectory=tool")


@pytest.mark.parametrize(
    "direct_url",
    [
        None,  # from an index, or a wheel file
        {"url": "file:///home/me/paper-digest", "dir_info": {"editable": True}},
        git("file:///home/me/paper-digest"),  # a clone the runner cannot see
        git("ssh://git@gitlab.example/me/paper-digest.git"),  # needs the owner's key
        git("https://github.com/someone/paper-digest.git", commit="main"),  # not a commit
    ],
    ids=["index", "editable", "local-git", "private-ssh", "no-commit"],
)
def test_anything_else_gets_a_wheel_of_the_running_code(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object] | None
) -> None:
    monkeypatch.setattr(pin, "_git_pin", pin._git_pin)  # the real rule, on the stand-in
    installed(monkeypatch, direct_url)
    assert pin._git_pin(InstalledFrom(direct_url)) is None  # type: ignore[arg-type]


def test_the_wheel_holds_the_generator_the_themes_and_valid_metadata() -> None:
    found = pin.current_pin()  # the editable install the tests run from
    assert found.kind == "wheel"
    assert found.line == f"./.digest/{WHEEL}"
    assert found.wheel_name == WHEEL and found.wheel is not None
    with zipfile.ZipFile(io.BytesIO(found.wheel)) as archive:
        names = set(archive.namelist())
        files = {name: archive.read(name) for name in names}
    assert {"generator/cli.py", "generator/scaffold/pages.yml"} <= names
    assert "digest_themes/default/templates/404.html" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    info = "paper_digest_ssg-0.1.0.dist-info"
    assert files[f"{info}/METADATA"].decode().splitlines()[1] == "Name: paper-digest-ssg"
    assert "digest = generator.cli:main" in files[f"{info}/entry_points.txt"].decode()
    assert "Tag: py3-none-any" in files[f"{info}/WHEEL"].decode()
    for row in files[f"{info}/RECORD"].decode().splitlines():
        path, digest, size = row.rsplit(",", 2)
        if path == f"{info}/RECORD":
            continue
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=")
        assert digest == f"sha256={expected.decode()}" and int(size) == len(files[path]), path
    assert len(files[f"{info}/RECORD"].decode().splitlines()) == len(names)


def test_the_same_code_gives_the_same_wheel() -> None:
    assert pin.current_pin().wheel == pin.current_pin().wheel


@pytest.mark.parametrize(
    ("line", "ours"),
    [
        ("paper-digest", True),  # the old scaffold's line: another project on PyPI
        ("paper-digest-ssg==1.0", True),
        ("Paper_Digest.SSG @ git+https://github.com/o/r@abc", True),
        (f"./.digest/{WHEEL}", True),
        (".digest/paper_digest_ssg-0.2.0-py3-none-any.whl  # pinned", True),
        ("paper-digest-tools", False),
        ("pagefind[bin]>=1.1", False),
        ("# paper-digest", False),
        ("-r other.txt", False),
        ("", False),
    ],
)
def test_which_requirement_lines_install_the_generator(line: str, ours: bool) -> None:
    assert pin.is_generator_requirement(line) is ours


def site_with(tmp_path: Path, requirements: str) -> Path:
    (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    return tmp_path


def test_upgrade_replaces_the_old_strangers_name_and_keeps_the_rest(tmp_path: Path) -> None:
    site = site_with(tmp_path, "# mine\nrequests==2.0\npaper-digest\nnumpy\n")
    notes = pin.upgrade(site)
    assert (site / "requirements.txt").read_text(encoding="utf-8") == (
        f"# mine\nrequests==2.0\n./.digest/{WHEEL}\nnumpy\n"
    )
    assert (site / ".digest" / WHEEL).is_file()
    assert notes[1] == "replaced `paper-digest`"


def test_upgrade_removes_the_wheel_it_replaces(tmp_path: Path) -> None:
    old = "paper_digest_ssg-0.0.9-py3-none-any.whl"
    site = site_with(tmp_path, f"./.digest/{old}\n")
    (site / ".digest").mkdir()
    (site / ".digest" / old).write_bytes(b"old")
    (site / ".digest" / "notes.txt").write_text("not ours", encoding="utf-8")
    pin.upgrade(site)
    assert sorted(p.name for p in (site / ".digest").iterdir()) == ["notes.txt", WHEEL]


def test_upgrade_to_a_git_pin_leaves_no_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = site_with(tmp_path, f"./.digest/{WHEEL}\n")
    (site / ".digest").mkdir()
    (site / ".digest" / WHEEL).write_bytes(b"old")
    installed(monkeypatch, git("https://github.com/o/paper-digest.git"))
    pin.upgrade(site)
    assert (site / "requirements.txt").read_text(encoding="utf-8") == (
        f"paper-digest-ssg @ git+https://github.com/o/paper-digest.git@{COMMIT}\n"
    )
    assert list((site / ".digest").iterdir()) == []


def test_upgrade_appends_a_pin_to_requirements_without_one(tmp_path: Path) -> None:
    site = site_with(tmp_path, "numpy")
    pin.upgrade(site)
    assert (site / "requirements.txt").read_text().splitlines() == ["numpy", f"./.digest/{WHEEL}"]


def test_upgrade_twice_changes_nothing(tmp_path: Path) -> None:
    site = site_with(tmp_path, "paper-digest\n")
    pin.upgrade(site)
    before = {p.name: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert pin.upgrade(site)[1:] == [f"wrote {site / '.digest' / WHEEL}"]
    assert {p.name: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_upgrade_outside_a_site_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(DigestError, match=r"no requirements\.txt here"):
        pin.upgrade(tmp_path)
    assert main(["upgrade-pin", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'requirements.txt'}: no requirements.txt here (")
    assert not list(tmp_path.iterdir())


def test_cli_upgrade_pin_reports_the_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = site_with(tmp_path, "paper-digest\n")
    assert main(["upgrade-pin", str(site)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"paper-digest-ssg 0.1.0 pinned as a wheel: .digest/{WHEEL}")


def test_new_help_says_which_pin_and_how_to_move_to_pypi(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "that URL at the installed commit" in text
    assert "a wheel of it, written to the site's .digest/ folder" in text
    assert "digest upgrade-pin" in text
    assert "paper-digest-ssg==X.Y" in text
    assert "Here it was installed from file://" in text and "a site gets a wheel" in text


def test_upgrade_pin_notes_an_old_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    new_site(site)
    assert main(["upgrade-pin", str(site)]) == 0
    assert capsys.readouterr().err == ""
    workflow = site / ".github" / "workflows" / "pages.yml"
    workflow.write_text("on: push\n# uses: actions/checkout@v4\n", encoding="utf-8")
    assert main(["upgrade-pin", str(site)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"note: {workflow} differs from the workflow this generator ships")
