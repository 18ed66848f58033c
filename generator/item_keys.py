"""The digests of each paper: of its list item (what lists, feeds, cite.bib and JSON show
of it) and of its own page (the item, its notes and its related papers). Every key of a
page that shows a paper is made from these.

Tests: tests/test_keys.py, tests/test_session.py
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .classify import tag_key
from .digests import digest
from .models import Paper
from .site import Site

# What a paper's list item (and feed entry, cite.bib, JSON) is drawn from: all but the notes.
_ITEM_FIELDS = tuple(f.name for f in dataclasses.fields(Paper) if f.name != "notes")


class Item(NamedTuple):
    """A paper's item digest, with what it was made from."""

    paper: Paper
    own: str  # the digest of its fields
    digest: str  # of its fields and its links
    links: tuple[object, ...]  # the slugs of the groups it links to, and its cite key


@dataclass(slots=True)
class ItemMemo:
    """The items of the last build (of a session, or none)."""

    known: dict[str, Item] = field(default_factory=dict)
    link_maps: object = None  # the group slugs items link to, as paper_digests last saw them


@dataclass(frozen=True, slots=True)
class ItemDigests:
    """What paper_digests found: the digests, and what changed since it last ran."""

    digests: dict[str, str]
    changed: set[str]  # the slugs whose item digest changed (or that are gone)
    relinked: bool  # some paper's links changed (or nothing was known)


def paper_digests(site: Site, memo: ItemMemo) -> ItemDigests:
    """Per paper: what its list item (and its feed entry, cite.bib and JSON) shows: its
    fields but the notes, and the links it makes to its topic, tags and listings. A paper
    that is the same object as in the last build, linking to the same groups' pages, keeps
    its digest."""
    topics = {g.name: g.slug for g in site.topics}
    tags = {tag_key(g.name): g.slug for g in site.tags}
    listings = {g.name: (g.slug, g.date) for g in site.listings}
    cites = site.cite_keys
    same_links = _links_kept(memo.link_maps, (topics, tags, listings, cites))
    memo.link_maps = (topics, tags, listings, cites)
    out = {}
    known_items = memo.known
    relinked = not known_items
    changed = set()
    for paper in site.papers:
        slug = paper.slug
        known = known_items.get(slug)
        if same_links and known is not None and known.paper is paper:
            out[slug] = known.digest
            continue
        links = (
            topics.get(paper.topic),
            tuple(tags.get(tag_key(t)) for t in paper.tags),
            tuple(listings.get(s) for s in paper.sources),
            cites.get(slug),
        )
        if known is not None and known.paper is paper:
            if known.links == links:
                out[slug] = known.digest
                continue
            own, relinked = known.own, True
        else:
            own = digest([getattr(paper, name) for name in _ITEM_FIELDS])
        item = digest(own, *links)
        if known is None or known.digest != item:
            changed.add(slug)
        known_items[slug] = Item(paper, own, item, links)
        out[slug] = item
    if len(known_items) > len(out):
        for slug in set(known_items) - set(out):
            del known_items[slug]
            changed.add(slug)
    return ItemDigests(out, changed, relinked)


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


@dataclass(slots=True)
class PageMemo:
    """The paper pages' digests, and in a session what page_digests last saw."""

    # by slug, saved with the cache: what each page digest was made from, and the digest
    inputs: dict[str, tuple[object, ...]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    session: bool = False  # keep what follows, for the session's next build
    papers: dict[str, Paper] = field(default_factory=dict)  # as page_digests last saw them
    related_seen: object = None  # the related papers page_digests last saw, with, by slug,
    related_by: dict[str, list[str]] = field(default_factory=dict)  # the papers listing it
    computed: int = 0


@dataclass(frozen=True, slots=True)
class PageDigests:
    digests: dict[str, str]
    looked: set[str] | None  # the slugs whose digest was looked at again; None: all


def page_digests(
    site: Site,
    items: ItemDigests,
    related: Mapping[str, tuple[str, ...]],
    memo: PageMemo,
) -> PageDigests:
    """Per paper: what its own page shows: its item, its notes and its related papers' items.
    A notes edit so redraws one page, not every list the paper is on. `memo` keeps each
    digest with its inputs across a session's builds; in a session, only the papers whose
    item changed and those listing one as related are looked at."""
    last, digests = memo.papers, items.digests
    if not last or memo.related_seen is not related:
        memo.related_seen, memo.related_by = related, {}
        out = {p.slug: page_digest(p, digests, related, memo) for p in site.papers}
        memo.papers = {p.slug: p for p in site.papers} if memo.session else {}
        return PageDigests(out, None)
    if not memo.related_by and related:
        for slug, near in related.items():
            for other in near:
                memo.related_by.setdefault(other, []).append(slug)
    look = set(items.changed)
    for slug in items.changed:
        look.update(memo.related_by.get(slug, ()))
    known = memo.digests
    out = {}
    looked = set()
    for paper in site.papers:
        slug = paper.slug
        if slug not in look and last.get(slug) is paper:
            out[slug] = known[slug]
        else:
            out[slug] = page_digest(paper, digests, related, memo)
            last[slug] = paper
            looked.add(slug)
    if len(last) > len(out):
        for slug in set(last) - set(out):
            del last[slug]
    return PageDigests(out, looked)


def page_digest(
    paper: Paper, items: Mapping[str, str], related: Mapping[str, tuple[str, ...]], memo: PageMemo
) -> str:
    near = related.get(paper.slug, ())
    inputs = (items[paper.slug], paper.notes, near, [items.get(s) for s in near])
    slug = paper.slug
    if memo.inputs.get(slug) != inputs:
        memo.inputs[slug], memo.digests[slug] = inputs, digest(*inputs)
        memo.computed += 1
    return memo.digests[slug]
