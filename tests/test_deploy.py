"""`digest deploy`: publishing to a Pages branch of a real (local, bare) remote."""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import tarfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from generator.deploy import (
    PAGES_SIZE_LIMIT,
    DeployOptions,
    DeployResult,
    deploy,
    size_diagnostics,
)
from generator.errors import Diagnostic, DigestError

ROOT = Path(__file__).resolve().parents[1]
SITE = {
    "index.html": "<!doctype html><title>Home</title><a href='papers/a/'>a</a>",
    "papers/a/index.html": "<!doctype html><title>A</title><p>Paper A</p>",
    "papers/b/index.html": "<!doctype html><title>B</title><p>Paper B</p>",
    "static/style.css": "body { color: #222 }\n",
}
IDENTITY = ["-c", "user.name=Tester", "-c", "user.email=tester@example.org"]


# -- helpers -----------------------------------------------------------------


def git(cwd: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, check=True, capture_output=True, text=True
    )
    return proc.stdout.strip()


def git_bytes(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def write_files(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def published(remote: Path, ref: str = "gh-pages") -> dict[str, bytes]:
    """Every file of the branch's tree with its bytes."""
    names = git_bytes(remote, "ls-tree", "-r", "-z", "--name-only", ref).decode()
    return {
        name: git_bytes(remote, "cat-file", "blob", f"{ref}:{name}")
        for name in names.split("\0")
        if name
    }


def remote_refs(remote: Path) -> str:
    return git(remote, "for-each-ref", "--format=%(refname) %(objectname)")


def history(remote: Path, ref: str = "gh-pages") -> list[str]:
    return git(remote, "rev-list", ref).split()


def snapshot(repo: Path) -> dict[str, Any]:
    """What the user can see of their checkout, byte for byte."""
    dot_git = repo / ".git"
    files = {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }
    return {
        "HEAD": (dot_git / "HEAD").read_bytes(),
        "head commit": git(repo, "rev-parse", "HEAD"),
        "index": (dot_git / "index").read_bytes(),
        # refs/remotes/origin/gh-pages is left out: `git push` keeps it true to the remote.
        "refs": git(
            repo, "for-each-ref", "refs/heads", "refs/tags", "refs/stash", "refs/remotes/*/main"
        ),
        "stash": git(repo, "stash", "list"),
        "files": files,
    }


@dataclass(frozen=True)
class User:
    repo: Path
    remote: Path
    output: Path

    def deploy(self, **options: Any) -> tuple[DeployResult, list[Diagnostic]]:
        """Deploy, and check that nothing the user can see in their checkout moved."""
        before = snapshot(self.repo)
        try:
            return deploy(self.repo, self.output, DeployOptions(**options))
        finally:
            assert snapshot(self.repo) == before

    def refused(self, **options: Any) -> DigestError:
        refs = remote_refs(self.remote)
        with pytest.raises(DigestError) as caught:
            self.deploy(**options)
        assert remote_refs(self.remote) == refs
        return caught.value


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config, no identity: like a fresh CI machine."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    for role in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL", "DATE"):
            monkeypatch.delenv(f"GIT_{role}_{part}", raising=False)


def make_repo(root: Path, remote: Path) -> None:
    """A committed repository with `remote` (a bare repository) as origin."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, *IDENTITY, "commit", "-q", "-m", "source")
    git(remote.parent, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")


@pytest.fixture
def user(tmp_path: Path) -> User:
    """A checkout in the middle of work: a stash, a staged file, edits, an untracked file."""
    repo = tmp_path / "repo"
    write_files(repo, {"README.md": "digest\n", ".gitignore": "site/\n"})
    make_repo(repo, tmp_path / "origin.git")
    (repo / "README.md").write_text("stashed edit\n")
    git(repo, *IDENTITY, "stash", "-q")
    (repo / "README.md").write_text("unsaved edit\n")
    write_files(repo, {"notes.txt": "staged\n", "scratch.txt": "untracked\n"})
    git(repo, "add", "notes.txt")
    write_files(repo / "site", SITE)
    return User(repo, tmp_path / "origin.git", repo / "site")


def expected_tree(files: dict[str, str], **extra: str) -> dict[str, bytes]:
    tree = {name: text.encode() for name, text in files.items()}
    tree[".nojekyll"] = b""
    tree.update({name: text.encode() for name, text in extra.items()})
    return tree


def foreign_commit(remote: Path, parent: str | None = None) -> str:
    """A commit on gh-pages made by hand, not by paper-digest."""
    tree = git(remote, "mktree", stdin="")
    parents = ["-p", parent] if parent else []
    commit = git(remote, *IDENTITY, "commit-tree", tree, *parents, "-m", "Hand-made page")
    git(remote, "update-ref", "refs/heads/gh-pages", commit)
    return commit


# -- publishing --------------------------------------------------------------


def test_first_deploy_publishes_the_output_plus_nojekyll(user: User) -> None:
    result, diagnostics = user.deploy()
    assert diagnostics == []
    assert result.committed and result.pushed
    assert published(user.remote) == expected_tree(SITE)
    assert history(user.remote) == [result.commit]
    assert result.files == len(SITE) + 1
    assert "origin/gh-pages" in result.message
    message = git(user.remote, "log", "-1", "--format=%B", "gh-pages")
    assert git(user.repo, "rev-parse", "HEAD") in message
    assert "Deployed-by: paper-digest" in message.splitlines()
    assert not (user.output / ".nojekyll").exists()


def test_a_deploy_without_changes_makes_no_commit(user: User) -> None:
    first, _ = user.deploy()
    again, _ = user.deploy()
    assert not again.committed and not again.pushed
    assert again.commit is None
    assert "nothing changed" in again.message.lower()
    assert history(user.remote) == [first.commit]


def test_a_change_gives_exactly_one_commit_on_top(user: User) -> None:
    first, _ = user.deploy()
    write_files(user.output, {"papers/a/index.html": "<p>Paper A, revised</p>"})
    (user.output / "papers" / "b" / "index.html").unlink()
    second, _ = user.deploy()
    assert second.committed
    assert history(user.remote) == [second.commit, first.commit]
    assert git(user.remote, "rev-parse", "gh-pages^") == first.commit
    site = {**SITE, "papers/a/index.html": "<p>Paper A, revised</p>"}
    del site["papers/b/index.html"]
    assert published(user.remote) == expected_tree(site)


def test_files_are_published_as_bytes_on_disk(user: User) -> None:
    git(user.repo, "config", "core.autocrlf", "true")
    (user.output / "raw.txt").write_bytes(b"line\r\nline\n\xff")
    (user.output / "ignored.log").write_text("kept")
    (user.output / ".gitignore").write_text("*.log\n")
    user.deploy()
    tree = published(user.remote)
    assert tree["raw.txt"] == b"line\r\nline\n\xff"
    assert tree["ignored.log"] == b"kept"


def test_cname_is_added_and_kept_by_later_deploys(user: User) -> None:
    user.deploy(cname="Example.org")
    assert published(user.remote)["CNAME"] == b"example.org\n"
    write_files(user.output, {"index.html": "<p>new home</p>"})
    result, _ = user.deploy()
    assert result.committed
    assert published(user.remote)["CNAME"] == b"example.org\n"
    user.deploy(cname="docs.example.com")
    assert published(user.remote)["CNAME"] == b"docs.example.com\n"


@pytest.mark.parametrize("cname", ["https://example.org/", "example org", "localhost", ""])
def test_a_cname_that_is_not_a_host_is_refused(user: User, cname: str) -> None:
    error = user.refused(cname=cname)
    assert "domain" in str(error)


def test_dry_run_changes_nothing_on_the_remote(user: User) -> None:
    before = remote_refs(user.remote)
    result, _ = user.deploy(dry_run=True)
    assert remote_refs(user.remote) == before
    assert (result.committed, result.pushed, result.commit) == (False, False, None)
    assert result.files == len(SITE) + 1
    assert "dry run" in result.message.lower()

    user.deploy()
    write_files(user.output, {"index.html": "<p>changed</p>"})
    before = remote_refs(user.remote)
    result, _ = user.deploy(dry_run=True)
    assert remote_refs(user.remote) == before
    assert "would commit" in result.message
    (user.output / "index.html").write_text(SITE["index.html"])
    result, _ = user.deploy(dry_run=True)
    assert "nothing changed" in result.message.lower()


def test_commits_use_the_configured_identity_or_a_fallback(user: User) -> None:
    user.deploy()
    assert git(user.remote, "log", "-1", "--format=%an <%ae>", "gh-pages").startswith(
        "paper-digest <"
    )
    git(user.repo, "config", "user.name", "Ada")
    git(user.repo, "config", "user.email", "ada@example.org")
    write_files(user.output, {"index.html": "<p>v2</p>"})
    user.deploy()
    assert git(user.remote, "log", "-1", "--format=%an <%ae> %cn", "gh-pages") == (
        "Ada <ada@example.org> Ada"
    )


# -- refusals ----------------------------------------------------------------


def test_refuses_outside_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    write_files(plain / "site", SITE)
    with pytest.raises(DigestError, match="not inside a git repository"):
        deploy(plain, plain / "site", DeployOptions())


def test_refuses_a_missing_remote(user: User) -> None:
    error = user.refused(remote="upstream")
    assert "upstream" in str(error)
    assert "git remote add" in error.diagnostics[0].hint


def test_refuses_an_unreachable_remote(user: User, tmp_path: Path) -> None:
    git(user.repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    error = user.refused()
    assert "cannot reach" in str(error)


def test_refuses_a_branch_with_commits_it_did_not_make(user: User) -> None:
    foreign = foreign_commit(user.remote)
    error = user.refused()
    assert "Hand-made page" in str(error)
    assert "--force" in error.diagnostics[0].hint

    result, diagnostics = user.deploy(force=True)
    assert result.pushed
    assert history(user.remote) == [result.commit, foreign]
    assert [d.level for d in diagnostics] == ["warning"]
    assert published(user.remote) == expected_tree(SITE)


def test_refuses_a_foreign_commit_on_top_of_its_own(user: User) -> None:
    ours, _ = user.deploy()
    foreign_commit(user.remote, parent=ours.commit)
    write_files(user.output, {"index.html": "<p>v2</p>"})
    user.refused()
    forced, _ = user.deploy(force=True)
    write_files(user.output, {"index.html": "<p>v3</p>"})
    result, diagnostics = user.deploy()
    assert result.pushed and diagnostics == []
    assert git(user.remote, "rev-parse", "gh-pages^") == forced.commit


def test_refuses_a_symlink_in_the_output(user: User) -> None:
    (user.output / "link.html").symlink_to(user.output / "index.html")
    error = user.refused()
    assert "symbolic link" in str(error)


def test_refuses_a_symlinked_folder_in_the_output(user: User) -> None:
    (user.output / "mirror").symlink_to(user.output / "papers")
    user.refused()


@pytest.mark.parametrize("case", ["missing", "empty", "only folders", "git folder"])
def test_refuses_an_output_with_nothing_to_publish(user: User, case: str) -> None:
    shutil.rmtree(user.output)
    if case != "missing":
        user.output.mkdir()
    if case == "only folders":
        (user.output / "papers").mkdir()
    if case == "git folder":
        write_files(user.output, {"index.html": "x", ".git/config": "x"})
    user.refused()


def test_a_site_over_one_gigabyte_is_warned_about(tmp_path: Path) -> None:
    assert size_diagnostics(PAGES_SIZE_LIMIT, tmp_path) == []
    [diagnostic] = size_diagnostics(PAGES_SIZE_LIMIT + 1, tmp_path)
    assert diagnostic.level == "warning"
    assert "1 GB" in diagnostic.message


# -- the real site, served under a sub-path ----------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.base: str | None = None
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        if tag == "base" and "href" in values:
            self.base = values["href"]
        self.refs += [values[name] for name in ("href", "src") if name in values]
        for candidate in values.get("srcset", "").split(","):
            if candidate.strip():
                self.refs.append(candidate.split()[0])


class SubPathHandler(SimpleHTTPRequestHandler):
    """Serves its directory under /repo/ only, as GitHub Pages serves a project site."""

    def translate_path(self, path: str) -> str:
        if path != "/repo" and not path.startswith("/repo/"):
            return str(Path(self.directory) / "__outside_the_sub_path__")
        return super().translate_path(path.removeprefix("/repo") or "/")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(SubPathHandler, directory=str(served))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}/repo/", served
        finally:
            httpd.shutdown()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def broken_links(served: Path, base_url: str) -> list[str]:
    origin = urlsplit(base_url)
    checked: dict[str, int] = {}
    broken = []
    for page in sorted(served.rglob("*.html")):
        rel = page.relative_to(served).as_posix()
        # Pages serves 404.html at whatever path was missing, however deep.
        page_url = urljoin(base_url, "no/such/page/" if rel == "404.html" else rel)
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        page_base = urljoin(page_url, parser.base or "")
        for ref in parser.refs:
            if ref.startswith("#"):
                continue  # a place in the page itself, wherever the page is served from
            url = urldefrag(urljoin(page_base, ref)).url
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.netloc != origin.netloc:
                continue
            if not parts.path.startswith(origin.path):
                broken.append(f"{rel}: {ref} leaves {origin.path}")
                continue
            if url not in checked:
                checked[url] = status(url)
            if checked[url] != 200:
                broken.append(f"{rel}: {ref} -> {checked[url]}")
    assert checked, "no internal links found"
    return broken


def test_the_deployed_seed_site_works_under_a_sub_path(
    tmp_path: Path, server: tuple[str, Path]
) -> None:
    build = pytest.importorskip("generator.build")
    if not hasattr(build, "build_site"):
        pytest.skip("generator.build.build_site is not written yet")
    base_url, served = server
    root = tmp_path / "digest"
    shutil.copytree(ROOT / "content" / "listings", root / "content" / "listings")
    if (ROOT / "digest.yaml").exists():
        shutil.copy(ROOT / "digest.yaml", root / "digest.yaml")
    (root / ".gitignore").write_text("site/\n")
    make_repo(root, tmp_path / "pages.git")

    built = build.build_site(root, output=root / "site", base_url=base_url)
    assert built.ok
    result, _ = deploy(root, built.output, DeployOptions())
    assert result.pushed

    archive = git_bytes(tmp_path / "pages.git", "archive", "--format=tar", "gh-pages")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(served, filter="data")
    assert (served / ".nojekyll").exists()
    assert status(base_url) == 200
    assert broken_links(served, base_url) == []
