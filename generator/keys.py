"""The keys of the pages of a plan: per page what it is drawn from, hashed. A page whose
key is the same as in the last build is not drawn again. Keys start from bases (the
generator's version, the config and the templates a page is drawn with) and take the
digests of the papers a page shows (item_keys.py).

Tests: tests/test_keys.py, tests/test_session.py, tests/test_email.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import jinja2
from jinja2 import meta

from .digests import Known, Remembered, digest
from .item_keys import ItemDigests, PageDigests
from .models import Paper
from .plan import PAPER_TEMPLATE, Page, Section, sections
from .site import Group, Site


class SectionKeys(NamedTuple):
    signature: tuple[object, ...]  # the section's facts and its papers' item digests
    keys: list[tuple[str, str | None]]  # its pages' paths and keys


class Templates(NamedTuple):
    whole: str  # the digest of every template file
    used: dict[str, str]  # per template, the digest of it and of those it uses


class PaperList(NamedTuple):
    """The paper pages' keys as the last plan_keys listed them."""

    base: str
    slugs: tuple[str, ...]
    keys: list[tuple[str, str | None]]
    where: dict[str, int]  # each slug's place in `keys`


@dataclass(slots=True)
class PlanMemo:
    """The keys of the last build's plan, to keep where their inputs are the same."""

    base: str = ""
    templates: Templates = field(default_factory=lambda: Templates("", {}))
    sections: dict[str, SectionKeys] = field(default_factory=dict)
    # by slug: the page digest each paper page's key was made from, and the key
    paper_pages: dict[str, str] = field(default_factory=dict)
    paper_keys: dict[str, str] = field(default_factory=dict)
    named: Remembered = field(default_factory=Remembered)
    # Kept in a session only (`session`; not saved, and not kept by a single build, where
    # they would only add to its peak memory: 130 MB at 100,000 papers): per group section
    # the papers it was keyed with, per list page the inputs of its key, the paper list
    session: bool = False
    shown: dict[str, tuple[Paper, ...]] = field(default_factory=dict)
    page_inputs: dict[str, Known] = field(default_factory=dict)
    paper_list: PaperList | None = None
    computed: int = 0  # keys computed anew since loaded: the memo is worth saving again

    def rebase(self, base: str) -> None:
        """Forget the keys drawn from other templates or another config."""
        if base != self.base:
            self.base, self.paper_pages, self.paper_keys, self.sections = base, {}, {}, {}
            self.shown, self.page_inputs = {}, {}

    def saved(self) -> PlanMemo:
        """What is worth keeping on disk: the keys and their inputs, compared by value."""
        return PlanMemo(
            self.base, self.templates, self.sections, self.paper_pages, self.paper_keys, self.named
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
    env: jinja2.Environment, version: str, config: object, whole: str, memo: PlanMemo
) -> Bases:
    """The bases of a build; `whole` is the digest of every template file."""
    if memo.templates.whole != whole:
        memo.templates = Templates(whole, template_digests(env))
        memo.computed += 1
    plain = digest(version, config)
    templates = {name: digest(plain, used) for name, used in memo.templates.used.items()}
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


def page_key(
    page: Page,
    base: str,
    papers: Mapping[str, str],
    pages: Mapping[str, str],
    memo: PlanMemo | None = None,
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
    if known is None or known.inputs != inputs:
        known = memo.page_inputs[page.path] = Known(inputs, digest(*inputs))
    return known.digest


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
    item_digests: ItemDigests,
    page_digests: PageDigests,
    memo: PlanMemo,
) -> Iterator[Keyed]:
    """Every section of the plan with its pages' keys. A group section whose name, facts
    and papers' items are as in the last build keeps its keys without being planned; pages
    of the site as a whole are keyed by a digest of every item and group."""
    items, pages = item_digests.digests, page_digests.digests
    relinked = item_digests.relinked
    memo.rebase(bases.whole)
    whole = memo.named.digest(
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
            keys = _paper_keys(section.papers, base, pages, page_digests.looked, memo)
            yield Keyed(section, keys, None)
        else:
            name = section.name
            seen.add(name)
            known = memo.sections.get(name)
            if known is not None and _same_papers(section, known.signature, memo, relinked):
                yield Keyed(section, known.keys, None)
                continue
            signature = (section.facts, [items[p.slug] for p in section.papers])
            if memo.session:
                memo.shown[name] = section.papers
            if known is not None and known.signature == signature:
                yield Keyed(section, known.keys, None)
                continue
            planned = list(section.pages())
            keyed = [
                (p.path, page_key(p, bases.of(p.template), items, pages, memo)) for p in planned
            ]
            memo.sections[name] = SectionKeys(signature, keyed)
            memo.computed += 1
            yield Keyed(section, keyed, planned)
    for name in set(memo.sections) - seen:
        del memo.sections[name]
        memo.shown.pop(name, None)
        memo.computed += 1
    if len(memo.page_inputs) > 2 * sum(len(known.keys) for known in memo.sections.values()) + 1000:
        memo.page_inputs.clear()  # pages of groups gone, or of pages no longer paginated so


def _same_papers(
    section: Section, signature: tuple[object, ...], memo: PlanMemo, relinked: bool
) -> bool:
    """Whether a group section shows what it showed in the session's last build, without
    looking up every item digest: the same facts and the same paper objects (a paper's item
    digest changes only with the paper object, or with its links, see `relinked`). A tuple
    of the same objects compares equal without comparing their fields."""
    if relinked or signature[0] != section.facts:
        return False
    shown = memo.shown.get(section.name)
    return shown is not None and (shown is section.papers or shown == section.papers)


def _paper_keys(
    papers: tuple[Paper, ...],
    base: str,
    pages: Mapping[str, str],
    looked: set[str] | None,
    memo: PlanMemo,
) -> list[tuple[str, str | None]]:
    """The keys of the paper pages; in a session, the last build's list with the keys of
    the pages page_digests looked at (`looked`) computed again."""
    slugs = tuple(p.slug for p in papers)
    last = memo.paper_list
    if last is not None and looked is not None and last.base == base and last.slugs == slugs:
        out = list(last.keys)
        where = last.where
        for slug in looked:
            at = where.get(slug)
            if at is not None:
                out[at] = paper_key(slug, base, pages[slug], memo)
    else:
        out = [paper_key(slug, base, pages[slug], memo) for slug in slugs]
        where = {slug: i for i, slug in enumerate(slugs)}
    memo.paper_list = PaperList(base, slugs, out, where) if memo.session else None
    return out


def paper_key(slug: str, base: str, page: str, memo: PlanMemo) -> tuple[str, str]:
    """A paper page's path and key, from its page digest."""
    path = f"papers/{slug}/index.html"
    if memo.paper_pages.get(slug) != page:
        memo.paper_pages[slug], memo.paper_keys[slug] = page, digest(base, path, page)
        memo.computed += 1
    return path, memo.paper_keys[slug]
