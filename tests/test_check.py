"""`digest check`: config and record validation, and the internal-link walk of a built site."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from generator.check import check_site
from generator.cli import main

if TYPE_CHECKING:
    from conftest import BuiltSite

CONFIG = "title: T\nbase_url: {url}\n"


def errors(diagnostics) -> list[str]:
    return [d.format() for d in diagnostics if d.level == "error"]


@pytest.mark.parametrize("which", ["seed_site", "seed_site_repo"])
def test_seed_site_has_no_broken_internal_link(which: str, request) -> None:
    site: BuiltSite = request.getfixturevalue(which)
    diagnostics, summary = check_site(site.root, site.root / "digest.yaml", site.output)
    assert errors(diagnostics) == []
    assert f"{len(site.html_pages())} pages" in summary
    assert ": 0 broken" in summary


def test_a_root_build_checked_under_a_sub_path_breaks(seed_site: BuiltSite) -> None:
    """The 404 page links root-absolutely: served under /repo/ those links must leave it."""
    diagnostics, _ = check_site(
        seed_site.root,
        seed_site.root / "digest.yaml",
        seed_site.output,
        base_url="http://127.0.0.1:8000/repo/",
    )
    found = errors(diagnostics)
    assert found and all("404.html" in line for line in found)


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def handmade(tmp_path: Path, url: str = "http://example.org/repo/") -> Path:
    write(
        tmp_path,
        {
            "digest.yaml": CONFIG.format(url=url),
            "site/robots.txt": f"User-agent: *\nSitemap: {url}sitemap.xml\n",
            "site/index.html": (
                "<!doctype html><title>Home</title>\n"
                '<a href="papers/a/">ok</a> <a href="papers/a/#x">ok</a>\n'
                '<a href="papers/missing/">broken</a>\n'
                '<a href="/repo/papers/a/?q=1">ok</a> <a href="/elsewhere/">outside</a>\n'
                '<a href="https://example.com/x">external</a> <a href="mailto:a@b.c">mail</a>\n'
                '<a href="http://example.org/repo/papers/b/">absolute broken</a>\n'
                '<a href="papers/a">no slash</a> <a href="#nowhere">fragment</a>\n'
                '<link rel="stylesheet" href="static/style.css"><img src="static/x.png" alt="">\n'
            ),
            "site/papers/a/index.html": (
                '<!doctype html><title>A</title><h1 id="x">A</h1>\n'
                '<a href="../../">home</a> <a href="../../index.html#y">no such id</a>\n'
            ),
            "site/static/style.css": "body{}",
            "site/404.html": '<a href="/repo/">home</a>\n<a href="papers/a/">relative</a>\n',
        },
    )
    return tmp_path


def test_every_broken_link_is_reported_with_page_and_line(tmp_path: Path) -> None:
    root = handmade(tmp_path)
    diagnostics, summary = check_site(root, root / "digest.yaml", None)
    found = {(d.path, d.line, d.message.split("`")[1]) for d in diagnostics if d.level == "error"}
    assert found == {
        ("site/index.html", 3, "papers/missing/"),
        ("site/index.html", 4, "/elsewhere/"),
        ("site/index.html", 6, "http://example.org/repo/papers/b/"),
        ("site/index.html", 7, "papers/a"),
        ("site/index.html", 7, "#nowhere"),
        ("site/index.html", 8, "static/x.png"),
        ("site/papers/a/index.html", 2, "../../index.html#y"),
        ("site/404.html", 2, "papers/a/"),
    }
    assert "3 pages" in summary and "8 broken" in summary


def test_the_cli_fails_on_a_broken_link(tmp_path: Path, capsys) -> None:
    root = handmade(tmp_path)
    assert main(["check", "-c", str(root / "digest.yaml")]) == 1
    captured = capsys.readouterr()
    assert "site/index.html:3" in captured.err
    assert "8 broken" in captured.out


def test_config_and_record_problems_are_reported(tmp_path: Path) -> None:
    root = handmade(tmp_path)
    write(
        root,
        {
            "digest.yaml": "title: T\nbase_url: http://example.org/repo/\npage_size: -1\n",
            "content/papers/p.md": "---\ntitle: P\nlisted: someday\nauthors_count: many\n---\n",
            "content/papers/bad.md": "---\ntitle: [unclosed\n---\n",
        },
    )
    diagnostics, summary = check_site(root, root / "digest.yaml", None)
    shown = [d.format() for d in diagnostics]
    assert any("digest.yaml:3" in line and "page_size" in line for line in shown)
    assert any("content/papers/p.md:3" in line and "listed" in line for line in shown)
    assert any("content/papers/p.md:4" in line and "authors_count" in line for line in shown)
    assert any("content/papers/bad.md" in line for line in shown)
    assert "pages" in summary  # the links were still checked


def test_a_missing_site_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"digest.yaml": CONFIG.format(url="http://example.org/")})
    diagnostics, summary = check_site(tmp_path, tmp_path / "digest.yaml", None)
    assert any("digest build" in d.format() for d in diagnostics if d.level == "error")
    assert "no built site" in summary
