"""`digest deploy` from a site made by `digest new`, to a bare repository standing in for
GitHub (url.<bare>.insteadOf): the address it publishes for, when it refuses, and what it
reports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.cli import main
from generator.scaffold import new_site

GITHUB = "https://github.com/owner/repo.git"
PAGES = "https://owner.github.io/repo/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return proc.stdout.strip()


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config: like a fresh CI machine, identity included."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@dataclass(frozen=True)
class Site:
    root: Path
    bare: Path

    def deploy(self, *args: str) -> int:
        return main(["deploy", "-c", str(self.root / "digest.yaml"), *args])

    def published(self, name: str) -> str:
        return git(self.bare, "show", f"gh-pages:{name}")

    def refs(self) -> str:
        return git(self.bare, "for-each-ref")


def make_site(tmp_path: Path, remote: str) -> Site:
    """A committed `digest new` site whose origin is `remote`, which git sends to a bare
    repository: `remote.origin.url` stays what the user wrote."""
    root, bare = tmp_path / "mysite", tmp_path / "hosted.git"
    new_site(root)
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Site Owner")
    git(root, "config", "user.email", "owner@example.org")
    git(root, "config", f"url.{bare}.insteadOf", remote)
    git(root, "remote", "add", "origin", remote)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a new digest")
    return Site(root, bare)


class Canonical(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "canonical":
            self.href = values.get("href")


def canonical(html: str) -> str | None:
    parser = Canonical()
    parser.feed(html)
    return parser.href


def test_a_loopback_base_url_is_published_for_the_github_pages_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, GITHUB)
    assert "base_url: http://127.0.0.1:8000/" in (site.root / "digest.yaml").read_text()
    assert site.deploy() == 0
    out, err = capsys.readouterr()
    assert (
        f"note: digest.yaml: base_url http://127.0.0.1:8000/ only works on this machine; "
        f"publishing for {PAGES}, where GitHub Pages serves remote 'origin' ({GITHUB})"
    ) in err

    feed = ET.fromstring(site.published("feed.xml"))
    ids = [e.text or "" for e in feed.iter(f"{ATOM}id")]
    hrefs = [e.get("href", "") for e in feed.iter(f"{ATOM}link")]
    assert len(ids) == 4 and all(u.startswith(PAGES) for u in ids + hrefs), (ids, hrefs)
    locs = [
        e.text or "" for e in ET.fromstring(site.published("sitemap.xml")).iter(f"{SITEMAP}loc")
    ]
    assert locs and all(u.startswith(PAGES) for u in locs)
    assert canonical(site.published("index.html")) == PAGES
    papers = json_urls(site.published("papers.json"))
    assert canonical(site.published(f"{papers[0]}index.html")) == PAGES + papers[0]
    assert "127.0.0.1" not in site.published("robots.txt")

    # The report: the commit, both branches, the remote as written, the address, dirtiness.
    commit = git(site.bare, "rev-parse", "gh-pages")
    head = git(site.root, "rev-parse", "HEAD")
    lines = out.splitlines()
    assert lines[-4] == f"Published {len(ls_tree(site))} files to origin/gh-pages as {commit[:12]}."
    assert lines[-3] == f"  branch:  gh-pages of remote origin ({GITHUB})"
    # The build wrote the paper records, which are not committed yet: the tree is dirty.
    assert lines[-2] == f"  source:  {head[:12]} on main, with uncommitted changes"
    assert lines[-1] == f"  site:    {PAGES} (live once GitHub Pages has published the branch)"
    message = git(site.bare, "log", "-1", "--format=%B", "gh-pages")
    assert (
        message.splitlines()[0] == f"Deploy uncommitted changes on top of {head[:12]} to gh-pages"
    )
    assert f"Source-parent: {head}" in message and "Source-dirty: true" in message
    assert "Source-commit" not in message


def test_a_clean_tree_names_the_commit_it_was_built_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, "git@github.com:owner/repo.git")
    assert main(["build", "-c", str(site.root / "digest.yaml")]) == 0
    git(site.root, "add", "-A")
    git(site.root, "commit", "-q", "-m", "the records")
    head = git(site.root, "rev-parse", "HEAD")
    assert site.deploy() == 0
    out = capsys.readouterr().out
    assert f"  source:  {head[:12]} on main, a clean tree\n" in out
    message = git(site.bare, "log", "-1", "--format=%B", "gh-pages")
    assert message.splitlines()[0] == f"Deploy {head[:12]} to gh-pages"
    assert f"Source-commit: {head}" in message.splitlines()
    assert "Source-branch: main" in message.splitlines()
    assert git(site.root, "status", "--porcelain") == ""


def test_a_user_site_repository_is_served_from_the_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, "https://github.com/owner/owner.github.io.git")
    assert site.deploy() == 0
    assert canonical(site.published("index.html")) == "https://owner.github.io/"


def test_a_custom_domain_wins_over_the_github_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, GITHUB)
    assert site.deploy("--cname", "papers.acme.dev") == 0
    assert canonical(site.published("index.html")) == "https://papers.acme.dev/"
    assert site.published("CNAME") == "papers.acme.dev"
    # The next deploy keeps the domain the branch has, and builds for it.
    (site.root / "content" / "papers" / "note.txt").write_text("x", encoding="utf-8")
    assert site.deploy() == 0
    assert canonical(site.published("index.html")) == "https://papers.acme.dev/"


def test_a_real_base_url_is_published_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, "https://gitlab.com/owner/repo.git")
    config = site.root / "digest.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("http://127.0.0.1:8000/", "https://papers.acme.dev/digest/"))
    assert site.deploy() == 0
    assert canonical(site.published("index.html")) == "https://papers.acme.dev/digest/"
    assert "only works on this machine" not in capsys.readouterr().err


@pytest.mark.parametrize("remote", ["https://gitlab.com/owner/repo.git", "/srv/git/site.git"])
def test_a_loopback_base_url_and_no_github_remote_is_refused_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], remote: str
) -> None:
    site = make_site(tmp_path, remote)
    assert site.deploy() == 1
    out, err = capsys.readouterr()
    assert err.startswith(
        "error: digest.yaml: base_url http://127.0.0.1:8000/ only works on this machine, "
        f"and remote 'origin' ({remote}) is not on GitHub"
    )
    assert "(set base_url in digest.yaml to the address the site is served from" in err
    assert "Traceback" not in err and out == ""
    assert site.refs() == ""  # nothing pushed
    assert not (site.root / "site").exists()  # nothing built


def test_an_example_base_url_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, "https://gitlab.com/owner/repo.git")
    config = site.root / "digest.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("http://127.0.0.1:8000/", "https://USER.github.io/REPO/"))
    assert site.deploy("--dry-run") == 1
    assert "base_url https://USER.github.io/REPO/ only works" in capsys.readouterr().err


def test_a_dry_run_reports_the_address_and_pushes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path, GITHUB)
    assert site.deploy("--dry-run") == 0
    out = capsys.readouterr().out
    assert re.search(r"Dry run: would commit \d+ files to origin/gh-pages as its first commit", out)
    assert f"  site:    {PAGES}" in out
    assert site.refs() == ""


def ls_tree(site: Site) -> list[str]:
    return git(site.bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()


def json_urls(text: str) -> list[str]:
    return [paper["url"] for paper in json.loads(text)]
