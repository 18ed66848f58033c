"""Themes: a site's themes/<name>/ overrides the built-in theme file by file, and the
built-in compact theme reuses the default templates but draws one row per paper."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from generator.check import check_site
from generator.themes import builtin_themes

if TYPE_CHECKING:
    from conftest import BuiltSite

PAPER_OVERRIDE = """{% extends "base.html" %}
{% block content %}<p class="custom-paper">Custom: {{ paper.title_text }}</p>{% endblock %}
"""
FOOTER_OVERRIDE = '<footer class="custom-footer"><p>{{ site.title }}, my way</p></footer>\n'
CSS_OVERRIDE = "body { background: rebeccapurple; }\n"


def errors(site: BuiltSite) -> list[str]:
    diagnostics, _ = check_site(site.root, site.root / "digest.yaml", site.output)
    return [d.format() for d in diagnostics if d.level == "error"]


@pytest.fixture(scope="module")
def overridden(tmp_path_factory, fixture_site, build_at) -> BuiltSite:
    root = fixture_site("paged", tmp_path_factory.mktemp("overridden") / "site")
    theme = root / "themes" / "default"
    (theme / "templates" / "partials").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "paper.html").write_text(PAPER_OVERRIDE, encoding="utf-8")
    (theme / "templates" / "partials" / "footer.html").write_text(FOOTER_OVERRIDE, "utf-8")
    (theme / "static" / "style.css").write_text(CSS_OVERRIDE, encoding="utf-8")
    return build_at(root)


def test_a_site_template_overrides_only_its_own_pages(overridden: BuiltSite) -> None:
    pages = overridden.html_pages()
    papers = [p for p in pages if p.startswith("papers/")]
    assert len(papers) == 5
    for relative in pages:
        tree = overridden.page(relative)
        is_paper = relative.startswith("papers/")
        assert (tree.find("p", cls="custom-paper") is not None) == is_paper, relative
        if is_paper:
            assert tree.find("h1", cls="paper-heading") is None, relative
        assert tree.find("footer", cls="custom-footer") is not None, relative
        assert tree.find("footer", cls="site-footer") is None, relative
        assert tree.find("header", cls="site-header") is not None, relative
    home = overridden.page("index.html")
    assert home.find_all("li", cls="paper-item")
    assert errors(overridden) == []


def test_a_site_static_file_replaces_the_themes(overridden: BuiltSite) -> None:
    static = overridden.output / "static"
    assert (static / "style.css").read_text(encoding="utf-8") == CSS_OVERRIDE
    default = builtin_themes() / "default" / "static"
    assert (static / "digest.js").read_bytes() == (default / "digest.js").read_bytes()
    assert (static / "favicon.svg").is_file()


def test_compact_theme_builds_and_links_resolve(compact_site: BuiltSite) -> None:
    assert errors(compact_site) == []
    assert compact_site.result.pages == len(compact_site.html_pages())


def test_compact_theme_draws_one_row_per_paper(compact_site: BuiltSite, seed_site) -> None:
    for relative in ("index.html", "topics/vision/index.html", "tags/llm/index.html"):
        compact, default = compact_site.page(relative), seed_site.page(relative)
        rows = compact.find_all("li", cls="paper-row")
        assert rows and len(rows) == len(default.find_all("li", cls="paper-item")), relative
        assert compact.find("p", cls="paper-summary") is None
        assert default.find("li", cls="paper-row") is None
        for row in rows:
            cells = [n for n in row.children if not isinstance(n, str)]
            assert [c.classes[0] for c in cells] == [
                "row-date",
                "row-title",
                "row-topic",
                "row-code",
            ]
    paper = "papers/sppd-self-training-framework-integrating-process-preference-learning-using/"
    assert compact_site.page(paper + "index.html").find("h1", cls="paper-heading") is not None


def test_compact_theme_has_its_own_stylesheet(compact_site: BuiltSite, seed_site) -> None:
    def digest(site: BuiltSite, name: str) -> str:
        return hashlib.sha256((site.output / "static" / name).read_bytes()).hexdigest()

    assert digest(compact_site, "style.css") != digest(seed_site, "style.css")
    assert digest(compact_site, "digest.js") == digest(seed_site, "digest.js")
    own = builtin_themes() / "compact"
    assert sorted(p.name for p in (own / "static").iterdir()) == ["style.css"]
    templates = sorted(p.relative_to(own / "templates").as_posix() for p in own.rglob("*.html"))
    assert templates == ["partials/paper-item.html"]


def test_builtin_themes_ship_in_the_package() -> None:
    for name in ("default", "compact"):
        theme = builtin_themes() / name
        assert (theme / "static" / "style.css").is_file(), name
    assert (builtin_themes() / "default" / "templates" / "base.html").is_file()
