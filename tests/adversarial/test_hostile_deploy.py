"""`digest deploy` against a real bare remote: only files of the output are ever published
(not the records, the config, secrets beside them, nor the temporaries of a killed build),
and the user's branches and their history are never rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import Tally, make_root
from test_deploy import (  # the helpers of tests/test_deploy.py
    IDENTITY,
    git,
    history,
    isolated_git,  # noqa: F401  (autouse: no user or system git config)
    make_repo,
    published,
    remote_refs,
    snapshot,
)

from generator.build import build_site
from generator.cli import main

SECRET = b"AWS_SECRET_ACCESS_KEY=do-not-publish-7f3a"
GITHUB = "https://github.com/owner/repo.git"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A digest site kept in git with a bare origin; secrets and drafts beside the output."""
    root = make_root(tmp_path / "repo")
    (root / ".gitignore").write_text("site/\n.digest-cache/\n.env\n")
    (root / ".env").write_bytes(SECRET)
    (root / "content" / "papers").mkdir(parents=True, exist_ok=True)
    (root / "content" / "papers" / "private-draft.md").write_bytes(
        b"---\ntitle: Private Draft\ndraft: true\n---\n" + SECRET + b"\n"
    )
    make_repo(root, tmp_path / "origin.git")
    # origin named like a GitHub repository, so the deploy knows the site's address
    # (digest.yaml keeps the local base_url); git sends it to the bare repository.
    git(root, "config", f"url.{tmp_path / 'origin.git'}.insteadOf", GITHUB)
    git(root, "remote", "set-url", "origin", GITHUB)
    (root / "untracked-notes.txt").write_bytes(SECRET)
    return root


def deploy(root: Path, *args: str) -> int:
    before = snapshot(root)
    code = main(["deploy", "-c", str(root / "digest.yaml"), *args])
    after = snapshot(root)
    # the build adds records and the site, never anything else; git state does not move
    assert {k: v for k, v in after.items() if k != "files"} == {
        k: v for k, v in before.items() if k != "files"
    }
    for name, data in before["files"].items():
        if not name.startswith(("site/", ".digest-cache/")):
            assert after["files"].get(name) == data, name
    return code


def test_only_the_output_is_published(repo: Path, tally: Tally) -> None:
    origin = repo.parent / "origin.git"
    build_site(repo, search=False)
    output = repo / "site"
    tally.tried(4)
    assert deploy(repo) == 0
    tree = published(origin)
    files = {
        p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()
    }
    assert set(tree) == set(files) | {".nojekyll"}
    assert all(tree[name] == data for name, data in files.items())
    assert not [name for name, data in tree.items() if SECRET in data]
    assert not [n for n in tree if n.startswith(("content/", ".digest-cache/", ".env"))]
    assert "digest.yaml" not in tree and "private-draft" not in "".join(tree)
    assert git(origin, "rev-parse", "main") == git(repo, "rev-parse", "HEAD")


def test_temporaries_of_a_killed_build_are_never_published(
    repo: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stopped between writing a page and renaming it into place, then a deploy."""
    origin = repo.parent / "origin.git"
    build_site(repo, search=False)
    config = repo / "digest.yaml"
    config.write_text(config.read_text().replace("title: Paper Digest", "title: Stopped"))
    real = os.replace
    calls = {"n": 0}

    def replace(source: object, target: object) -> None:
        calls["n"] += 1
        if calls["n"] == 20 and "/site/" in str(target):
            raise KeyboardInterrupt  # Ctrl-C, or a SIGKILL, right here
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        build_site(repo, search=False)
    monkeypatch.undo()
    left = list((repo / "site").rglob(".*.tmp"))
    assert left, "the interrupted build should have left its temporary file"
    tally.tried()
    assert deploy(repo) == 0
    tree = published(origin)
    hidden = [name for name in tree if any(p.startswith(".") for p in name.split("/"))]
    assert hidden == [".nojekyll"]
    assert not list((repo / "site").rglob(".*.tmp"))
    assert b"Stopped" in tree["index.html"]


@pytest.mark.parametrize(
    "plant",
    ["symlink to a secret", "symlink to a folder outside", "fifo"],
)
def test_a_path_out_of_the_output_is_refused(
    repo: Path, plant: str, tally: Tally, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = repo.parent / "origin.git"
    build_site(repo, search=False)
    output = repo / "site"
    if plant == "symlink to a secret":
        (output / "env.txt").symlink_to(repo / ".env")
    elif plant == "symlink to a folder outside":
        (output / "papers" / "everything").symlink_to(repo)
    else:
        os.mkfifo(output / "pipe")
    refs = remote_refs(origin)
    tally.tried()
    assert deploy(repo) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert remote_refs(origin) == refs


def test_the_users_branch_and_its_history_are_never_rewritten(
    repo: Path, tally: Tally, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = repo.parent / "origin.git"
    (repo / "more.txt").write_text("second commit\n")
    git(repo, "add", "more.txt")
    git(repo, *IDENTITY, "commit", "-q", "-m", "second")
    git(repo, "push", "-q", "origin", "main")
    main_history = history(origin, "main")
    hostile = [
        ["--branch", "main"],
        ["--branch", "refs/heads/main"],
        ["--branch", "main:refs/heads/main"],
        ["--branch", "+main"],
        ["--branch=-f"],
        ["--branch", "HEAD"],
        ["--remote=--upload-pack=touch pwned"],
        ["--remote", str(origin)],
        ["--remote", "origin", "--branch", "main~1"],
    ]
    for args in hostile:
        tally.tried()
        deploy(repo, *args)
        assert history(origin, "main") == main_history, args
        assert history(repo, "main") == main_history, args
    assert not (repo / "pwned").exists()
    assert "Traceback" not in capsys.readouterr().err
    assert deploy(repo) == 0  # gh-pages, beside main
    assert history(origin, "main") == main_history
    pages = history(origin, "gh-pages")
    # Even forced onto main, its history stays (the deploy commit goes on top). Not through
    # deploy(): git push rightly moves refs/remotes/origin/main to what the remote now has.
    forced = ["deploy", "-c", str(repo / "digest.yaml"), "--branch", "main", "--force"]
    assert main(forced) in (0, 1)
    assert history(repo, "main") == main_history
    assert history(origin, "main")[-len(main_history) :] == main_history
    assert history(origin, "gh-pages") == pages


def test_a_full_ref_name_as_branch_does_not_break_later_deploys(repo: Path, tally: Tally) -> None:
    origin = repo.parent / "origin.git"
    tally.tried()
    deploy(repo, "--branch", "refs/heads/gh-pages")
    assert "refs/heads/refs/heads/gh-pages" not in remote_refs(origin)
    config = repo / "digest.yaml"
    config.write_text(config.read_text().replace("title: Paper Digest", "title: Later"))
    assert deploy(repo) == 0
