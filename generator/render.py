"""The site model → pages: a Jinja2 environment with theme overrides, the plan of every
page, and rendering one page as a pure function of its inputs."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .cache import CACHE_DIR
from .charts import Trend, bar_chart, fitted, small_multiples, table_rows, trend
from .classify import tag_key
from .config import Config
from .errors import Diagnostic, DigestError
from .finding import direct_links, search_links
from .markup import plain_text, render_abstract, render_notes, render_title
from .metadata import bibtex, json_ld
from .models import Paper, is_code_link
from .site import Group, Site
from .slugs import slugify

# Stands for a page's way back to the site root in list items drawn once for every page.
# Titles and summaries are cleaned of NUL; a tag that held the mark would show a relative
# path ("../../") in its place, nothing worse: the path is escaped like any text.
ROOT_MARK = "\x00root\x00"
PAPER_TEMPLATE = "paper.html"


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
class Page:
    """One output file: where it goes, which template draws it, and what it shows."""

    path: str
    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    kind: str = "page"


def builtin_themes() -> Path:
    """The themes shipped with the package (themes/ in a checkout, digest_themes installed)."""
    return Path(str(resources.files("digest_themes")))


def theme_dirs(root: Path, config: Config) -> list[Path]:
    """Where a theme's files are looked up, first match wins: the site's own theme folder,
    the built-in theme of that name, then the built-in default theme."""
    builtin = builtin_themes()
    dirs = [root / "themes" / config.theme, builtin / config.theme, builtin / "default"]
    plain = config.theme and not set("/\\").intersection(config.theme)
    if not plain or config.theme.startswith(".") or not any(d.is_dir() for d in dirs[:2]):
        raise _no_theme(config.theme, root, builtin)
    seen: list[Path] = []
    for d in dirs:
        if d.is_dir() and d not in seen:
            seen.append(d)
    return seen


def _no_theme(name: str, root: Path, builtin: Path) -> DigestError:
    """A theme that is neither the site's nor built in (it fell back to the default)."""
    folders = [f for f in (builtin, root / "themes") if f.is_dir()]
    found = {d.name for f in folders for d in f.iterdir() if d.is_dir()}
    names = ", ".join(sorted(n for n in found if not n.startswith((".", "_"))))
    return DigestError.at(
        "digest.yaml",
        None,
        f"no theme named {name!r}",
        f"use one of {names}, or make themes/{name}/",
    )


def make_env(root: Path, config: Config) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(d / "templates") for d in theme_dirs(root, config)])
    env = jinja2.Environment(
        loader=loader,
        bytecode_cache=_bytecode_cache(root / CACHE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = _long_date
    env.filters["tojson_ld"] = _script_json
    env.filters["listing_label"] = listing_label
    return env


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds (checked against each template's source):
    compiling the theme took 0.3 s of every `digest build`. None when it cannot be kept."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def compile_all(env: jinja2.Environment) -> None:
    """Compile (or load) every template now, e.g. before forking workers that would each
    compile them again; a template that does not compile is left to fail where it is used."""
    for name in env.list_templates(extensions=["html", "xml", "txt"]):
        with contextlib.suppress(jinja2.TemplateError):
            env.get_template(name)


def listing_label(group: Group) -> str:
    """How a listing is named: its date, else the one institution all its papers come from
    (affiliation listings carry no date), else its file name."""
    if group.date:
        return _long_date(group.date)
    places = {p.affiliation for p in group.papers if p.affiliation}
    return places.pop() if len(places) == 1 else group.name


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no `<`, `>` or `&` that could end or confuse the element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _long_date(value: dt.date | None) -> str:
    return f"{value.day} {value.strftime('%B %Y')}" if value else ""


@dataclass(frozen=True, slots=True)
class Section:
    """Pages planned together: a group's pages, or pages of the site as a whole. A section's
    pages are a function of its `name`, its `facts`, the papers' list items and the config;
    with those unchanged, so are its pages (keys.py skips planning them again).

    Kinds: "site" (pages showing the whole site: counts, latest papers; `papers` empty),
    "papers" (one page per paper, keyed by paper) and "group" (a topic's, tag's, month's or
    listing's pages)."""

    name: str
    kind: str
    papers: tuple[Paper, ...]
    facts: tuple[object, ...]
    pages: Callable[[], Iterator[Page]]


def plan(site: Site) -> Iterator[Page]:
    """Every HTML page of the site, in a fixed order."""
    for section in sections(site):
        yield from section.pages()


def paper_page(paper: Paper) -> Page:
    return Page(
        f"papers/{paper.slug}/index.html",
        PAPER_TEMPLATE,
        paper.title,
        {"slug": paper.slug},
        kind="paper",
    )


def sections(site: Site) -> Iterator[Section]:
    """The plan of the site as sections, in page order."""
    config = site.config

    def single(path: str, template: str, title: str, kind: str, **context: Any) -> Section:
        page = Page(path, template, title, context, kind=kind)
        return Section(path, "site", (), (), lambda: iter((page,)))

    def group(name: str, pages: Callable[[], Iterator[Page]], g: Group, *facts: object) -> Section:
        return Section(name, "group", g.papers, (g.name, g.slug, g.date, *facts), pages)

    yield single("index.html", "home.html", config.title, "home")
    yield Section("papers", "papers", site.papers, (), lambda: map(paper_page, site.papers))
    yield single("topics/index.html", "topics.html", "Topics", "index")
    for g in site.topics:
        yield group(
            f"topics/{g.slug}", partial(_filtered, config, f"topics/{g.slug}", g, "topic"), g
        )
    yield single("tags/index.html", "tags.html", "Tags", "index")
    for g in site.tags:
        yield group(f"tags/{g.slug}", partial(_filtered, config, f"tags/{g.slug}", g, "tag"), g)
    yield single("archive/index.html", "archive.html", "Archive", "index")
    for year, months in _years(site.months).items():
        yield single(
            f"archive/{year}/index.html",
            "archive.html",
            f"Archive {year}",
            "index",
            year=year,
            months=months,
        )
    for g in site.months:
        yield group(
            f"archive/{g.slug}", partial(_paged, config, f"archive/{g.slug}", g, "month"), g
        )
    yield single("listings/index.html", "listings.html", "Listings", "index")
    for i, g in enumerate(site.listings):
        previous = site.listings[i - 1] if i > 0 else None
        after = site.listings[i + 1] if i + 1 < len(site.listings) else None
        around = [(n.slug, n.date) if n else None for n in (previous, after)]
        context = {"group": g, "issue": i + 1, "previous": previous, "next": after}
        yield group(f"listings/{g.slug}", partial(_listing_pages, g, context), g, i, around)
    yield single("search/index.html", "search.html", "Search", "search")
    yield single("404.html", "404.html", "Page not found", "404")


def _listing_pages(group: Group, context: dict[str, Any]) -> Iterator[Page]:
    for path, template, kind in LISTING_PAGES:
        yield Page(f"listings/{group.slug}/{path}", template, _listing_title(group), context, kind)


def _listing_title(group: Group) -> str:
    return f"Listing of {_long_date(group.date)}" if group.date else f"Listing {group.name}"


# A listing is drawn twice: as a page of the site and as an e-mail ready to paste into a
# newsletter tool (inline styles, absolute links, no scripts).
LISTING_PAGES = (("index.html", "listing.html", "listing"), ("email.html", "email.html", "email"))


@dataclass(frozen=True, slots=True)
class Filter:
    """One view of a topic's or a tag's papers, as its filter bar links it: all of them
    (slug ""), those with code ("code"), or those of one year ("2024", or "undated")."""

    slug: str
    label: str
    count: int


def filter_views(papers: tuple[Paper, ...]) -> list[tuple[Filter, tuple[Paper, ...]]]:
    """The views of a list of papers (newest first): all, with code, and each year; a view
    is made only when it differs from the whole list and is not empty.

    The views are static pages rather than a script over the list items because lists are
    paginated: a script could only filter the page it is on, and a static page works without
    JavaScript too. The cost: every paper is on one year view and, with code, one code view.
    Measured (tests/perf/bench_search.py): at 10,000 papers 2,364 view pages beside 1,682
    topic and tag pages, about 2.4 s of a 55 s cold build, and only views whose papers
    changed are drawn again; at the 171 seed papers, 246 small pages (0.25 s).
    """
    views = [(Filter("", "All", len(papers)), papers)]
    code: list[Paper] = []
    years: dict[int | None, list[Paper]] = {}  # None: undated
    for paper in papers:  # one pass: planning a big tag's views is most of replanning it
        if paper.links and any(map(is_code_link, paper.links)):
            code.append(paper)
        date = paper.published or paper.listed
        years.setdefault(date.year if date else None, []).append(paper)
    if 0 < len(code) < len(papers):
        views.append((Filter("code", "With code", len(code)), tuple(code)))
    if len(years) > 1:
        for year, chunk in sorted(years.items(), key=lambda item: item[0] is None):
            slug = "undated" if year is None else str(year)
            label = "Undated" if year is None else slug
            views.append((Filter(slug, label, len(chunk)), tuple(chunk)))
    return views


def _filtered(config: Config, base: str, group: Group, kind: str) -> Iterator[Page]:
    """A topic's or a tag's pages: the whole list, then each filtered view of it."""
    views = filter_views(group.papers)
    bar = tuple(f for f, _ in views)
    for view, papers in views:
        extra: dict[str, Any] = {"filters": bar, "filter": view.slug, "group_base": base}
        if kind == "topic" and not view.slug:
            extra["trend"] = trend(group.name, group.papers)
        where = f"{base}/{view.slug}" if view.slug else base
        title = f"{group.name} · {view.label}" if view.slug else group.name
        yield from _paged(config, where, group, kind, papers, title, extra)


def _paged(
    config: Config,
    base: str,
    group: Group,
    kind: str,
    papers: tuple[Paper, ...] | None = None,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Iterator[Page]:
    papers = group.papers if papers is None else papers
    title = title or group.name
    size = config.page_size
    chunks = [papers[i : i + size] for i in range(0, len(papers), size)] or [()]
    for number, chunk in enumerate(chunks, 1):
        path = f"{base}/index.html" if number == 1 else f"{base}/page/{number}/index.html"
        context = {
            "group": group,
            "sections": by_month(chunk) if kind != "month" else [(group.name, chunk)],
            "number": number,
            "pages": len(chunks),
            "base": base,
            "list_kind": kind,
            "shown_count": len(papers),
            "group_base": base,
            "filters": (),
            "filter": "",
            **(extra or {}),
        }
        if number > 1:
            context.pop("trend", None)
        yield Page(
            path,
            "list.html",
            title if number == 1 else f"{title} (page {number})",
            context,
            kind=kind,
        )


def by_month(papers: tuple[Paper, ...]) -> list[tuple[str, tuple[Paper, ...]]]:
    """Papers (already newest first) under month headings."""
    sections: list[tuple[str, tuple[Paper, ...]]] = []
    start, last = 0, (0, 0)
    for i, paper in enumerate(papers):
        date = paper.date
        month = (date.year, date.month)
        if month != last:
            if i:
                sections.append((month_heading(*last), papers[start:i]))
            start, last = i, month
    if papers:
        sections.append((month_heading(*last), papers[start:]))
    return sections


@lru_cache(maxsize=4096)
def month_heading(year: int, month: int) -> str:
    return dt.date(year, month, 1).strftime("%B %Y")


def _years(months: tuple[Group, ...]) -> dict[int, list[Group]]:
    years: dict[int, list[Group]] = {}
    for group in months:
        assert group.date is not None
        years.setdefault(group.date.year, []).append(group)
    return years


def relative_root(path: str) -> str:
    """The way back to the site root from a page, so output works under any sub-path."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def page_url(path: str) -> str:
    """The clean URL of an output file, relative to the site root."""
    if path == "index.html":
        return ""
    return path[: -len("index.html")] if path.endswith("/index.html") else path


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
