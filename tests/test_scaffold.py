"""`digest new`: the files a new site gets, and that the new site builds as it is."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.build import build_site
from generator.cli import main
from generator.config import load_config, parse_config
from generator.errors import DigestError
from generator.pin import WHEEL_DIR
from generator.scaffold import FILES, new_site

ROOT = Path(__file__).resolve().parents[1]
SCAFFOLD = ROOT / "generator" / "scaffold"
SEED = sorted(p.name for p in (ROOT / "content" / "listings").iterdir())[0]
CREATED = [relative for relative, _ in FILES]
WHEEL = f"{WHEEL_DIR}/paper_digest_ssg-0.1.0-py3-none-any.whl"  # the running, editable install


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(page: Path) -> list[str]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


def load_workflow(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the bare key `on` as the boolean True
        data["on"] = data.pop(True)
    return data


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "mysite"
    new_site(root)
    return root


def test_creates_every_file(site: Path) -> None:
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert found == sorted([*CREATED, "requirements.txt", "README.md", WHEEL])
    assert (site / "content" / "papers" / ".gitkeep").read_bytes() == b""


def test_reports_each_file_then_the_next_step(tmp_path: Path) -> None:
    root = tmp_path / "mysite"
    lines = new_site(root)
    assert lines == [
        *(f"created {root / relative}" for relative in CREATED),
        f"created {root / 'requirements.txt'}: paper-digest-ssg 0.1.0 pinned as a wheel: {WHEEL}",
        f"created {root / 'README.md'}",
        f"created {root / WHEEL}",
        f"next: cd {root} && digest build",
    ]


def test_quotes_a_folder_name_with_spaces_in_the_next_step(tmp_path: Path) -> None:
    lines = new_site(tmp_path / "my site")
    assert lines[-1] == f"next: cd '{tmp_path / 'my site'}' && digest build"


def test_creates_missing_parents(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "c"
    new_site(root)
    assert (root / "digest.yaml").is_file()


def test_accepts_an_existing_empty_folder(tmp_path: Path) -> None:
    new_site(tmp_path)
    assert (tmp_path / "digest.yaml").is_file()


def test_config_has_the_default_taxonomy_and_no_listing_years(site: Path) -> None:
    config, warnings = load_config(site / "digest.yaml")
    assert warnings == []
    assert config.listing_years == {}
    default, _ = parse_config((ROOT / "digest.yaml").read_text(encoding="utf-8"))
    assert config.topics == default.topics
    assert config.tags == default.tags
    assert len(config.topics) >= 5


def test_config_shows_the_pages_url_to_fill_in(site: Path) -> None:
    text = (site / "digest.yaml").read_text(encoding="utf-8")
    placeholders = [line for line in text.splitlines() if "https://USER.github.io/REPO/" in line]
    assert placeholders and all(line.lstrip().startswith("#") for line in placeholders)
    assert "listing_years" not in yaml.safe_load(text)


def test_gitignore_keeps_build_output_out(site: Path) -> None:
    lines = (site / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "site/" in lines
    assert ".digest-cache/" in lines


def test_requirements_install_the_running_generator_from_the_site(site: Path) -> None:
    lines = (site / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements == [f"./{WHEEL}"]
    assert (site / WHEEL).stat().st_size > 50_000
    comments = "\n".join(line for line in lines if line.startswith("#"))
    assert "git+https://" in comments  # the other way, explained
    assert "digest upgrade-pin" in comments
    assert "paper-digest there is another project's" in comments


def test_the_readme_says_which_pin_and_how_to_change_it(site: Path) -> None:
    text = " ".join((site / "README.md").read_text(encoding="utf-8").split())
    assert f"made this site: paper-digest-ssg 0.1.0 pinned as a wheel: {WHEEL}." in text
    assert "digest upgrade-pin" in text
    assert "paper-digest-ssg==1.0" in text
    assert "Dependabot" in text


def test_the_new_site_does_not_ignore_its_pinned_wheel(site: Path) -> None:
    ignored = (site / ".gitignore").read_text(encoding="utf-8").split()
    assert not any(WHEEL.startswith(pattern.rstrip("*")) for pattern in ignored)


def test_workflow_is_the_shipped_one_and_installs_the_requirements(site: Path) -> None:
    path = site / ".github" / "workflows" / "pages.yml"
    assert path.read_bytes() == (SCAFFOLD / "pages.yml").read_bytes()
    workflow = load_workflow(path)
    assert workflow["on"]["push"]["branches"]
    steps = workflow["jobs"]["build"]["steps"]
    install = [s["run"] for s in steps if "pip install" in s.get("run", "")]
    assert len(install) == 1
    assert install[0].strip() == "python -m pip install -r requirements.txt"
    assert "deploy" in workflow["jobs"]


def test_the_new_site_builds_its_sample_listing(site: Path) -> None:
    result = build_site(site)
    assert result.ok
    problems = [d.format() for d in result.diagnostics if d.level != "info"]
    assert problems == []
    assert result.papers == 3
    papers = json.loads((site / "site" / "papers.json").read_text(encoding="utf-8"))
    assert len(papers) == 3
    assert all(paper["sources"] == ["digest-sample.txt"] for paper in papers)
    assert all(paper["topic"] != "Other" for paper in papers)
    home = links(site / "site" / "index.html")
    for paper in papers:
        assert (site / "site" / paper["url"] / "index.html").is_file()
        assert any(href.rstrip("/").endswith(paper["url"].rstrip("/")) for href in home)
    assert len(list((site / "content" / "papers").glob("*.md"))) == 3


def test_the_sample_papers_go_with_their_listing_unless_edited(site: Path) -> None:
    """Deleting the sample listing removes its papers at the next build (issue 20: they
    headed a new site's home page and were deployed); one the user edited is kept."""
    assert build_site(site).ok
    records = sorted((site / "content" / "papers").glob("*.md"))
    edited = records[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nMy own note.\n", encoding="utf-8")
    mine = site / "content" / "listings" / "mine.txt"
    shutil.copy(ROOT / "content" / "listings" / SEED, mine)
    (site / "content" / "listings" / "digest-sample.txt").unlink()
    result = build_site(site)
    assert result.ok
    left = {p.name for p in (site / "content" / "papers").glob("*.md")}
    assert not {r.name for r in records[1:]} & left
    assert edited.name in left
    notes = [d.format() for d in result.diagnostics]
    assert any("removed the 2 sample papers" in n for n in notes), notes
    papers = json.loads((site / "site" / "papers.json").read_text(encoding="utf-8"))
    sources = {s for p in papers for s in p["sources"]}
    assert sources == {"mine.txt", "digest-sample.txt"}  # the edited sample stays, named
    assert sum(1 for p in papers if p["sources"] == ["digest-sample.txt"]) == 1


def test_sample_listing_has_three_papers_and_a_listing_date() -> None:
    text = (SCAFFOLD / "sample-listing.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    assert paragraphs[1] == "May 14"
    assert len(paragraphs[2:]) == 6  # a title and an abstract for each of three papers


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DigestError, match="not empty"):
        new_site(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_cli_refuses_a_folder_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {tmp_path}: the folder exists and is not empty")
    assert "Traceback" not in err
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "digest.yaml").exists()


def test_cli_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "taken"
    target.write_text("", encoding="utf-8")
    assert main(["new", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"error: {target}: exists and is not a folder" in err
    assert "Traceback" not in err


def test_cli_prints_what_it_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "x"
    assert main(["new", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"created {root / 'digest.yaml'}"
    assert out[-1] == f"next: cd {root} && digest build"
