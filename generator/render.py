"""Drawing one page: the views of papers templates see, and the Renderer that draws a planned
page (plan.py) with the theme's environment (themes.py) as a pure function of its inputs.

Tests: tests/test_pages.py, tests/test_themes.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .charts import Trend, bar_chart, fitted, small_multiples, table_rows, trend
from .classify import tag_key
from .config import Config
from .errors import Diagnostic, DigestError
from .finding import direct_links, search_links
from .markup import plain_text, render_abstract, render_notes, render_title
from .metadata import bibtex, json_ld
from .models import Paper
from .plan import Page, _years, page_url, relative_root
from .site import Group, Site
from .slugs import slugify

# Stands for a page's way back to the site root in list items drawn once for every page.
# Titles and summaries are cleaned of NUL; a tag that held the mark would show a relative
# path ("../../") in its place, nothing worse: the path is escaped like any text.
ROOT_MARK = "\x00root\x00"


class PaperView:
    """A paper with its text rendered to HTML, each part once and only when a page needs it
    (list items need the title and summary; only the paper's own page needs the abstract)."""

    def __init__(self, paper: Paper, related: tuple[Paper, ...] = ()) -> None:
        self.paper = paper
        self.related = related
        self.diagnostics: list[Diagnostic] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.paper, name)

    @cached_property
    def title_html(self) -> str:
        return render_title(self.paper.title)

    @cached_property
    def title_text(self) -> str:
        return plain_text(self.paper.title)

    @cached_property
    def abstract_text(self) -> str:
        return plain_text(self.paper.abstract)

    @cached_property
    def description(self) -> str:
        # not through abstract_text: list items need only this, and a view is kept for
        # every paper shown in a list (at 100,000 papers the abstracts' text was 150 MB)
        text = self.__dict__.get("abstract_text") or plain_text(self.paper.abstract)
        return text if len(text) <= 200 else text[:197].rsplit(" ", 1)[0] + "…"

    @cached_property
    def abstract_html(self) -> str:
        html, notes = render_abstract(self.paper.abstract, self.paper.source_path, 3)
        self.diagnostics.extend(notes)
        return html

    @cached_property
    def notes_html(self) -> str:
        return render_notes(self.paper.notes) if self.paper.notes.strip() else ""


class Views(Mapping[str, PaperView]):
    """Every paper's view by slug, made on first use."""

    def __init__(self, papers: Iterable[Paper], related: Mapping[str, tuple[str, ...]]) -> None:
        self._papers = {p.slug: p for p in papers}
        self._related = related
        self._made: dict[str, PaperView] = {}

    def __getitem__(self, slug: str) -> PaperView:
        view = self._made.get(slug)
        if view is None:
            paper = self._papers[slug]
            near = tuple(self._papers[s] for s in self._related.get(slug, ()) if s in self._papers)
            view = self._made[slug] = PaperView(paper, near)
        return view

    def forget(self, slug: str) -> None:
        """Drop a view once its paper's page is drawn (it is made again if needed)."""
        self._made.pop(slug, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._papers)

    def __len__(self) -> int:
        return len(self._papers)


@dataclass(frozen=True, slots=True)
class Renderer:
    """Everything a page is drawn from: templates, the site model and the rendered papers.

    A paper's list item looks the same on every list page but for the way back to the site
    root in its links, so it is drawn once, with ROOT_MARK for that way, and each page puts
    its own in: list pages are most of the work of a build, and a paper is on lists at five
    depths. Given `item_keys` (the digest of what each item shows, templates included),
    `items` may be shared by the builds of a session.
    """

    env: jinja2.Environment
    site: Site
    views: Views
    items: dict[tuple[str, str], str] = field(default_factory=dict)
    macros: dict[str, Any] = field(default_factory=dict)
    item_keys: Mapping[str, str] = field(default_factory=dict)

    def _items(self, root: str) -> Callable[..., Markup]:
        here = str(escape(root))

        def cached_items(papers: Iterable[Paper], heading: str = "h3") -> Markup:
            """The items of a list, each followed by a newline, as one string: a Jinja
            loop over them was a third of drawing a list page."""
            drawn = "".join([self.marked_item(paper, heading) + "\n" for paper in papers])
            return Markup(drawn.replace(ROOT_MARK, here))

        return cached_items

    def _item_key(self, paper: Paper, heading: str = "h3") -> tuple[str, str]:
        return self.item_keys.get(paper.slug, paper.slug), heading

    def marked_item(self, paper: Paper, heading: str = "h3") -> str:
        """A paper's list item, with ROOT_MARK for the way to the site root; drawn once."""
        key = self._item_key(paper, heading)
        found = self.items.get(key)
        if found is None:
            module = self.macros.get("")
            if module is None:
                template = self.env.get_template("partials/macros.html")
                marked = {**self._shared(self.helpers()), "root": ROOT_MARK}
                module = self.macros[""] = template.make_module(marked)
            found = self.items[key] = str(module.paper_item(paper, heading))
        return found

    def missing_items(self) -> list[Paper]:
        """The papers whose list item is not drawn yet."""
        return [p for p in self.site.papers if self._item_key(p) not in self.items]

    def draw_items(self, papers: Iterable[Paper]) -> dict[tuple[str, str], str]:
        """Draw the list items of `papers`, as `items` holds them (see workers.py)."""
        return {self._item_key(paper): self.marked_item(paper) for paper in papers}

    def _shared(self, helpers: dict[str, Any]) -> dict[str, Any]:
        """What every page's context holds, whatever the page."""
        return {"site": self.site.config, "model": self.site, "views": self.views, **helpers}

    def helpers(self) -> dict[str, Any]:
        site = self.site
        topics = {g.name: g.slug for g in site.topics}
        tags = {tag_key(g.name): g.slug for g in site.tags}
        listings = {g.name: g.slug for g in site.listings}
        by_name = {g.name: g for g in site.listings}
        return {
            "listings_of": lambda view: [by_name[s] for s in view.sources if s in by_name],
            "topic_slug": lambda name: topics.get(name) or slugify(name, "topic"),
            "tag_slug": lambda name: tags.get(tag_key(name)) or slugify(name, "tag"),
            "listing_slug": lambda name: listings.get(name) or slugify(name, "listing"),
            "json_ld": lambda view: json_ld(view.paper, site.config, view.abstract_text),
            "bibtex": lambda view: bibtex(view.paper, site.config, site.cite_keys),
            "find_links": lambda view: [
                *direct_links([view.paper.abstract, *view.paper.links]),
                *search_links(view.title_text, site.config.paper_links),
            ],
            "archive_years": lambda year: _archive_years(site.months, year),
            "listing_topics": _listing_topics,
            "absolute": lambda path="": site.config.base_url.rstrip("/") + "/" + path,
            "topic_trends": lambda: [trend(g.name, g.papers) for g in site.topics],
            "trend_chart": _bar_chart,
            "trends_chart": lambda trends, *args: _small_multiples(tuple(trends), *args),
            "trend_rows": lambda trends: _trend_rows(tuple(trends)),
        }

    def render(self, page: Page, helpers: dict[str, Any]) -> bytes:
        config = self.site.config
        root = _root(config, page)
        url = page_url(page.path)
        context = {
            "page": page,
            "root": root,
            "url": url,
            "canonical": config.base_url.rstrip("/") + "/" + url,
            **self._shared(helpers),
            **page.context,
        }
        if page.kind == "paper":
            context["paper"] = self.views[page.context["slug"]]
        context["cached_items"] = self._items(root)
        try:
            return self.env.get_template(page.template).render(context).encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            raise DigestError.at(
                exc.filename or exc.name or page.template,
                exc.lineno,
                f"template syntax error: {exc.message}",
            ) from exc
        except jinja2.TemplateError as exc:
            file, line = _template_location(exc, page.template)
            raise DigestError.at(
                file,
                line,
                f"template error while drawing {page.path}: {exc}",
                "fix the template; the last good site is kept",
            ) from exc


# Charts drawn again only when their numbers change: the topics page is drawn in every
# build (it shows site-wide counts), and its chart was half of drawing it.
_bar_chart = lru_cache(maxsize=256)(partial(fitted, bar_chart))
_small_multiples = lru_cache(maxsize=16)(partial(fitted, small_multiples))


@lru_cache(maxsize=16)
def _trend_rows(trends: tuple[Trend, ...]) -> list[tuple[str, str, list[int]]]:
    return [row for row in table_rows(trends) if any(row[2])]


def _root(config: Config, page: Page) -> str:
    """How a page links to the site: relative, so the output works under any path; the 404
    page (served at any depth) from base_url's path; an e-mail (read anywhere) absolutely."""
    if page.kind == "404":
        return config.base_path
    if page.kind == "email":
        return config.base_url.rstrip("/") + "/"
    return relative_root(page.path)


def _template_location(exc: Exception, default: str) -> tuple[str, int | None]:
    """The innermost template frame of a rendering error, from its traceback."""
    tb, found = exc.__traceback__, (default, None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".xml", ".txt")):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _archive_years(months: tuple[Group, ...], year: int | None) -> list[tuple[int, list[Group]]]:
    return [(y, ms) for y, ms in _years(months).items() if year is None or y == year]


def _listing_topics(group: Group) -> list[tuple[str, tuple[Paper, ...]]]:
    """A listing's papers by topic, largest topic first, like sections of a newsletter."""
    by_topic: dict[str, list[Paper]] = {}
    for paper in group.papers:
        by_topic.setdefault(paper.topic, []).append(paper)
    ordered = sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(name, tuple(papers)) for name, papers in ordered]
