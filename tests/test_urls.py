"""base_url: which values are refused (digest.yaml and --base-url), which only work on this
machine, and the GitHub Pages address of a remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.config import parse_config
from generator.errors import DigestError
from generator.urls import base_url_problem, github_repository, is_local_url, pages_url


@pytest.mark.parametrize(
    "url",
    [
        "https://owner.github.io/repo/",
        "https://owner.github.io/repo",
        "http://127.0.0.1:8000/",
        "https://docs.example.org/a/b/",
        "https://[::1]:8080/",
        "https://bücher.de/",
    ],
)
def test_good_base_urls(url: str) -> None:
    assert base_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("javascript:alert(1)", "has `javascript:`"),
        ("owner.github.io/repo/", "has no scheme"),
        ("ftp://example.org/", "has `ftp:`"),
        ("https:///repo/", "names no host"),
        ("https://", "names no host"),
        ("https://exa mple.org/", "contains a space"),
        ("https://example.org/\n", "U+000A"),
        ("https://example.org/a\tb/", "U+0009"),
        ("https://example.org/\x00", "U+0000"),
        ("https://example.org/\u200b", "U+200B"),
        ("https://example.org:99999/", "is not a URL"),
        ("https://me:secret@example.org/", "holds a user name"),
        ("https://example.org/?page=1", "has a query or a fragment"),
        ("https://example.org/#top", "has a query or a fragment"),
        ("https://exa_mple.org/", "names no host"),
    ],
)
def test_bad_base_urls_say_why(url: str, why: str) -> None:
    problem = base_url_problem(url)
    assert problem is not None and why in problem


def test_a_bad_base_url_in_digest_yaml_is_an_error_at_its_line() -> None:
    text = "title: T\n\nbase_url: javascript:alert(1)\n"
    with pytest.raises(DigestError) as caught:
        parse_config(text)
    (problem,) = caught.value.diagnostics
    assert problem.format().startswith(
        "error: digest.yaml:3: base_url 'javascript:alert(1)' has `javascript:`"
    )
    assert "https://USER.github.io/REPO/" in problem.hint


def test_a_base_url_with_a_line_break_in_digest_yaml(tmp_path: Path) -> None:
    text = 'title: T\nbase_url: "https://example.org/\\nSet-Cookie: x"\n'
    with pytest.raises(DigestError, match=r"digest\.yaml:2: .*U\+000A"):
        parse_config(text)


def test_a_bad_base_url_option_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["build", "-c", str(tmp_path / "digest.yaml"), "--base-url", "javascript:alert(1)"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --base-url: base_url 'javascript:alert(1)' has `javascript:`" in err
    assert "Traceback" not in err
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8000/", True),
        ("http://127.1.2.3/", True),
        ("http://localhost:8000/", True),
        ("http://[::1]/", True),
        ("http://0.0.0.0:8000/", True),
        ("https://example.org/repo/", True),
        ("https://docs.example.com/", True),
        ("https://USER.github.io/REPO/", True),
        ("https://site.test/", True),
        ("https://owner.github.io/repo/", False),
        ("https://papers.acme.dev/", False),
        ("http://192.0.2.10/", False),
    ],
)
def test_which_base_urls_only_work_here(url: str, local: bool) -> None:
    assert is_local_url(url) is local


@pytest.mark.parametrize(
    ("remote", "repository"),
    [
        ("https://github.com/owner/repo.git", ("owner", "repo")),
        ("https://github.com/owner/repo", ("owner", "repo")),
        ("https://token@github.com/owner/repo.git", ("owner", "repo")),
        ("git@github.com:owner/repo.git", ("owner", "repo")),
        ("ssh://git@github.com/owner/my.repo.git", ("owner", "my.repo")),
        ("ssh://git@github.com:22/owner/repo", ("owner", "repo")),
        ("https://gitlab.com/owner/repo.git", None),
        ("https://github.com.evil.org/owner/repo.git", None),
        ("/srv/git/repo.git", None),
    ],
)
def test_github_remotes(remote: str, repository: tuple[str, str] | None) -> None:
    assert github_repository(remote) == repository


def test_pages_addresses() -> None:
    assert pages_url("Owner", "repo") == "https://owner.github.io/repo/"
    assert pages_url("Owner", "owner.github.io") == "https://owner.github.io/"
