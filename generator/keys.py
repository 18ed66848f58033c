"""Content keys: what each output file is drawn from, hashed. A file whose key is the same
as in the last build is not drawn again."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2 import meta

from .classify import tag_key
from .models import Paper
from .plan import PAPER_TEMPLATE, Page, Section, sections
from .site import Group, Site

GENERATOR_VERSION = "5"  # bump when the renderer's output changes for the same inputs


def digest(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def folder_digest(folders: Iterable[Path]) -> str:
    """The names and bytes of every file under `folders` (the templates a theme draws with)."""
    h = hashlib.blake2b(digest_size=16)
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                h.update(str(path.relative_to(folder)).encode() + b"\x00" + path.read_bytes())
    return h.hexdigest()


# What a paper's list item (and feed entry, cite.bib, JSON) is drawn from: all but the notes.
_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(Paper) if f.name != "notes")


@dataclass(slots=True)
class KeyMemo:
    """Keys computed by earlier builds of a session (or loaded with the cache), so that a
    build computes keys only for what changed: per paper its item and page key inputs, per
    section its pages' keys, per name any other digest."""

    items: dict[str, tuple[Paper, str, str, tuple[object, ...]]] = field(default_factory=dict)
    pages: dict[str, tuple[object, str]] = field(default_factory=dict)
    paper_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    sections: dict[str, tuple[tuple[object, ...], list[tuple[str, str]]]] = field(
        default_factory=dict
    )
    named: dict[str, tuple[object, str]] = field(default_factory=dict)
    base: str = ""
    templates: tuple[str, dict[str, str]] = ("", {})  # (all templates' digest, per template)
    # papers.json's part per paper by item key, for a session's next build (see BuildSession);
    # a single build keeps none
    json_parts: dict[str, bytes] | None = None
    # Kept in a session only (`session`; not saved, and not kept by a single build, where
    # they would only add to its peak memory: 130 MB at 100,000 papers): per group section
    # the papers it was keyed with, and per list page the inputs of its key (see plan_keys)
    session: bool = False
    # sitemap.xml's lines by page path (the base URL is in the config, and so in `base`)
    url_lines: dict[str, str] = field(default_factory=dict)
    shown: dict[str, tuple[Paper, ...]] = field(default_factory=dict)
    page_inputs: dict[str, tuple[tuple[object, ...], str]] = field(default_factory=dict)
    relinked: bool = True  # some paper's links changed, or unknown (see paper_digests)
    # the slugs whose item digest changed in the last paper_digests, None: unknown
    items_changed: set[str] | None = None
    link_maps: object = None  # the group slugs items link to, as paper_digests last saw them
    page_papers: dict[str, Paper] = field(default_factory=dict)  # as page_digests last saw
    related_seen: object = None  # the related papers page_digests last saw, with, by slug,
    related_by: dict[str, list[str]] = field(default_factory=dict)  # the papers listing it
    pages_looked: set[str] | None = None  # page digests computed by the last page_digests
    # the paper pages' keys as the last plan_keys listed them: (base, slugs, keys, where)
    paper_list: tuple[str, tuple[str, ...], list[tuple[str, str | None]], dict[str, int]] | None = (
        None
    )
    computed: int = 0  # keys computed anew since loaded: the memo is worth saving again

    def digest(self, name: str, *parts: object) -> str:
        """digest(*parts), remembered under `name` while `parts` stay equal."""
        known = self.named.get(name)
        if known is None or known[0] != parts:
            known = self.named[name] = (parts, digest(*parts))
            self.computed += 1
        return known[1]

    def rebase(self, base: str) -> None:
        """Forget the keys drawn from other templates or another config."""
        if base != self.base:
            self.base, self.paper_keys, self.sections = base, {}, {}
            self.shown, self.page_inputs, self.url_lines = {}, {}, {}

    def saved(self) -> KeyMemo:
        """What is worth keeping on disk for the next `digest build`: the keys and their
        inputs, compared by value; not the papers, which a new process reads anew."""
        return KeyMemo(
            pages=self.pages,
            paper_keys=self.paper_keys,
            sections=self.sections,
            named=self.named,
            base=self.base,
            templates=self.templates,
        )


@dataclass(frozen=True, slots=True)
class Bases:
    """What keys start from: the generator's version and the config, and for a page the
    templates it is drawn with (its own and those it extends, includes or imports, found in
    their syntax trees), so a template edit changes the keys of the pages using it only."""

    whole: str  # every template: when it changes, remembered keys are computed again
    plain: str  # no template: the exports, made in Python
    templates: dict[str, str]

    def of(self, template: str) -> str:
        return self.templates.get(template, self.whole)


def make_bases(
    env: jinja2.Environment, version: str, config: object, whole: str, memo: KeyMemo
) -> Bases:
    """The bases of a build; `whole` is the digest of every template file."""
    if memo.templates[0] != whole:
        memo.templates = (whole, template_digests(env))
        memo.computed += 1
    plain = digest(version, config)
    templates = {name: digest(plain, used) for name, used in memo.templates[1].items()}
    return Bases(digest(plain, whole), plain, templates)


def template_digests(env: jinja2.Environment) -> dict[str, str]:
    """Per template: a digest of its source and of every template it uses, transitively.
    A template that names another by a variable (or does not parse) uses all of them."""
    assert env.loader is not None
    sources: dict[str, str] = {}
    uses: dict[str, set[str | None]] = {}
    for name in env.list_templates():
        try:
            sources[name] = env.loader.get_source(env, name)[0]
            uses[name] = set(meta.find_referenced_templates(env.parse(sources[name])))
        except jinja2.TemplateError:
            uses[name] = {None}
    everything = digest(sorted(sources.items()))
    out = {}
    for name in sources:
        seen: set[str] = set()
        todo: list[str | None] = [name]
        dynamic = False
        while todo:
            used = todo.pop()
            if used is None:
                dynamic = True
            elif used not in seen:
                seen.add(used)
                todo.extend(uses.get(used, ()))
        out[name] = everything if dynamic else digest(sorted((n, sources.get(n)) for n in seen))
    return out


def paper_digests(site: Site, memo: KeyMemo) -> dict[str, str]:
    """Per paper: what its list item (and its feed entry, cite.bib and JSON) shows: its
    fields but the notes, and the links it makes to its topic, tags and listings. A paper
    that is the same object as in the last build, linking to the same groups' pages, keeps
    its digest. Sets memo.items_changed and memo.relinked for the keys computed next."""
    topics = {g.name: g.slug for g in site.topics}
    tags = {tag_key(g.name): g.slug for g in site.tags}
    listings = {g.name: (g.slug, g.date) for g in site.listings}
    cites = site.cite_keys
    same_links = _links_kept(memo.link_maps, (topics, tags, listings, cites))
    memo.link_maps = (topics, tags, listings, cites)
    out = {}
    known_items = memo.items
    relinked = not known_items
    changed = set()
    for paper in site.papers:
        slug = paper.slug
        known = known_items.get(slug)
        if same_links and known is not None and known[0] is paper:
            out[slug] = known[2]
            continue
        links = (
            topics.get(paper.topic),
            tuple(tags.get(tag_key(t)) for t in paper.tags),
            tuple(listings.get(s) for s in paper.sources),
            cites.get(slug),
        )
        if known is not None and known[0] is paper:
            if known[3] == links:
                out[slug] = known[2]
                continue
            own, relinked = known[1], True
        else:
            own = digest([getattr(paper, name) for name in _ITEM_FIELDS])
        item = digest(own, *links)
        if known is None or known[2] != item:
            changed.add(slug)
        known_items[slug] = (paper, own, item, links)
        out[slug] = item
    if len(known_items) > len(out):
        for slug in set(known_items) - set(out):
            del known_items[slug]
            changed.add(slug)
    memo.relinked, memo.items_changed = relinked, changed
    return out


def _links_kept(before: object, now: tuple[dict[str, object], ...]) -> bool:
    """Whether every paper that is the same object as before links as before: no group
    that was there and still is has another slug (or date). A group made or gone (a tag
    edit) leaves the others' links alone: a paper the same as before that names a group
    made it before as well."""
    if not isinstance(before, tuple):
        return False
    return all(
        all(old[name] == new[name] for name in old.keys() & new.keys())
        for old, new in zip(before, now, strict=True)
    )


def page_digests(
    site: Site,
    items: Mapping[str, str],
    related: Mapping[str, tuple[str, ...]],
    memo: KeyMemo,
) -> dict[str, str]:
    """Per paper: what its own page shows: its item, its notes and its related papers' items.
    A notes edit so redraws one page, not every list the paper is on. `memo` keeps each
    digest with its inputs across a session's builds; in a session, only the papers whose
    item changed (memo.items_changed) and those listing one as related are looked at."""
    changed = memo.items_changed
    last = memo.page_papers
    memo.pages_looked = None
    if changed is None or not last or memo.related_seen is not related:
        memo.related_seen, memo.related_by = related, {}
        out = {p.slug: page_digest(p, items, related, memo) for p in site.papers}
        memo.page_papers = {p.slug: p for p in site.papers} if memo.session else {}
        return out
    if not memo.related_by and related:
        for slug, near in related.items():
            for other in near:
                memo.related_by.setdefault(other, []).append(slug)
    look = set(changed)
    for slug in changed:
        look.update(memo.related_by.get(slug, ()))
    known = memo.pages
    out = {}
    looked = set()
    for paper in site.papers:
        slug = paper.slug
        if slug not in look and last.get(slug) is paper:
            out[slug] = known[slug][1]
        else:
            out[slug] = page_digest(paper, items, related, memo)
            last[slug] = paper
            looked.add(slug)
    if len(last) > len(out):
        for slug in set(last) - set(out):
            del last[slug]
    memo.pages_looked = looked
    return out


def page_digest(
    paper: Paper, items: Mapping[str, str], related: Mapping[str, tuple[str, ...]], memo: KeyMemo
) -> str:
    near = related.get(paper.slug, ())
    inputs = (items[paper.slug], paper.notes, near, [items.get(s) for s in near])
    known = memo.pages.get(paper.slug)
    if known is None or known[0] != inputs:
        known = memo.pages[paper.slug] = (inputs, digest(*inputs))
        memo.computed += 1
    return known[1]


def page_key(
    page: Page,
    base: str,
    papers: Mapping[str, str],
    pages: Mapping[str, str],
    memo: KeyMemo | None = None,
) -> str | None:
    """A page's key, or None for pages that show site-wide counts and are always drawn.
    `papers` are the item digests, `pages` the paper-page digests. With `memo`, a page whose
    inputs are equal to the last build's keeps its key without hashing them again."""
    inputs = _page_inputs(page, base, papers, pages)
    if inputs is None:
        return None
    if memo is None or not memo.session:
        return digest(*inputs)
    known = memo.page_inputs.get(page.path)
    if known is None or known[0] != inputs:
        known = memo.page_inputs[page.path] = (inputs, digest(*inputs))
    return known[1]


@lru_cache(maxsize=4096)
def _filters_digest(filters: tuple[object, ...] | None) -> str:
    """The filter bar of a group's pages, hashed once for all of them: the repr of its
    dataclasses was most of hashing a list page's key."""
    return digest(filters)


def _page_inputs(
    page: Page, base: str, papers: Mapping[str, str], pages: Mapping[str, str]
) -> tuple[object, ...] | None:
    context = page.context
    if page.kind == "paper":
        return (base, page.path, pages[context["slug"]])
    if "sections" in context:
        shown = [[papers[p.slug] for p in chunk] for _, chunk in context["sections"]]
        group: Group = context["group"]
        return (
            base,
            page.path,
            page.title,
            group.name,
            len(group.papers),
            context["number"],
            context["pages"],
            [h for h, _ in context["sections"]],
            shown,
            context.get("shown_count"),
            _filters_digest(context.get("filters")),
            context.get("trend"),
        )
    if page.kind in ("listing", "email"):
        group = context["group"]
        around = [(g.slug, g.date) if g else None for g in (context["previous"], context["next"])]
        return (
            base,
            page.path,
            page.title,
            group.name,
            group.date,
            [papers[p.slug] for p in group.papers],
            around,
            context.get("issue"),
        )
    return None


@dataclass(slots=True)
class Keyed:
    """A section's pages as paths and keys; `pages` is None when the keys were remembered
    (the pages are planned again only if one of them must be drawn)."""

    section: Section
    keys: list[tuple[str, str | None]]
    pages: list[Page] | None


def plan_keys(
    site: Site,
    bases: Bases,
    items: Mapping[str, str],
    pages: Mapping[str, str],
    memo: KeyMemo,
) -> Iterator[Keyed]:
    """Every section of the plan with its pages' keys. A group section whose name, facts
    and papers' items are as in the last build keeps its keys without being planned; pages
    of the site as a whole are keyed by a digest of every item and group."""
    memo.rebase(bases.whole)
    whole = memo.digest(
        "site",
        [items[p.slug] for p in site.papers],
        [
            [(g.name, g.slug, g.date, len(g.papers)) for g in groups]
            for groups in (site.topics, site.tags, site.months, site.listings)
        ],
    )
    seen: set[str] = set()
    for section in sections(site):
        if section.kind == "site":
            planned = list(section.pages())
            keyed = [
                (p.path, digest(bases.of(p.template), p.path, p.title, whole)) for p in planned
            ]
            yield Keyed(section, keyed, planned)
        elif section.kind == "papers":
            base = bases.of(PAPER_TEMPLATE)
            yield Keyed(section, _paper_keys(section.papers, base, pages, memo), None)
        else:
            name = section.name
            seen.add(name)
            known = memo.sections.get(name)
            if known is not None and _same_papers(section, known[0], memo):
                yield Keyed(section, known[1], None)
                continue
            signature = (section.facts, [items[p.slug] for p in section.papers])
            if memo.session:
                memo.shown[name] = section.papers
            if known is not None and known[0] == signature:
                yield Keyed(section, known[1], None)
                continue
            planned = list(section.pages())
            keyed = [
                (p.path, page_key(p, bases.of(p.template), items, pages, memo)) for p in planned
            ]
            memo.sections[name] = (signature, keyed)  # type: ignore[assignment]
            memo.computed += 1
            yield Keyed(section, keyed, planned)
    for name in set(memo.sections) - seen:
        del memo.sections[name]
        memo.shown.pop(name, None)
        memo.computed += 1
    if len(memo.page_inputs) > 2 * sum(len(keys) for keys in memo.sections.values()) + 1000:
        memo.page_inputs.clear()  # pages of groups gone, or of pages no longer paginated so


def _same_papers(section: Section, signature: tuple[object, ...], memo: KeyMemo) -> bool:
    """Whether a group section shows what it showed in the session's last build, without
    looking up every item digest: the same facts and the same paper objects (a paper's item
    digest changes only with the paper object, or with its links, see `relinked`). A tuple
    of the same objects compares equal without comparing their fields."""
    if memo.relinked or signature[0] != section.facts:
        return False
    shown = memo.shown.get(section.name)
    return shown is not None and (shown is section.papers or shown == section.papers)


def _paper_keys(
    papers: tuple[Paper, ...], base: str, pages: Mapping[str, str], memo: KeyMemo
) -> list[tuple[str, str | None]]:
    """The keys of the paper pages; in a session, the last build's list with the keys of
    the pages page_digests looked at (memo.pages_looked) computed again."""
    slugs = tuple(p.slug for p in papers)
    last = memo.paper_list
    looked = memo.pages_looked
    if last is not None and looked is not None and last[0] == base and last[1] == slugs:
        out = list(last[2])
        where = last[3]
        for slug in looked:
            at = where.get(slug)
            if at is not None:
                out[at] = paper_key(slug, base, pages[slug], memo)
    else:
        out = [paper_key(slug, base, pages[slug], memo) for slug in slugs]
        where = {slug: i for i, slug in enumerate(slugs)}
    memo.paper_list = (base, slugs, out, where) if memo.session else None
    return out


def paper_key(slug: str, base: str, page: str, memo: KeyMemo) -> tuple[str, str]:
    """A paper page's path and key, from its page digest."""
    path = f"papers/{slug}/index.html"
    known = memo.paper_keys.get(slug)
    if known is None or known[0] != page:
        known = memo.paper_keys[slug] = (page, digest(base, path, page))
        memo.computed += 1
    return path, known[1]
