"""Content keys: what each output file is drawn from, hashed. A file whose key is the same
as in the last build is not drawn again."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from .classify import tag_key
from .models import Paper
from .render import Page
from .site import Group, Site

GENERATOR_VERSION = "2"  # bump when the renderer's output changes for the same inputs


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


def paper_digests(site: Site, memo: dict[str, tuple[Paper, str]]) -> dict[str, str]:
    """Per paper: what its list item (and its feed entry, cite.bib and JSON) shows: its
    fields but the notes, and the links it makes to its topic, tags and listings. `memo`
    keeps the costly part, the digest of the paper's own fields, across a session's builds."""
    topics = {g.name: g.slug for g in site.topics}
    tags = {tag_key(g.name): g.slug for g in site.tags}
    listings = {g.name: (g.slug, g.date) for g in site.listings}
    out = {}
    for paper in site.papers:
        known = memo.get(paper.slug)
        if known is None or known[0] is not paper:
            known = memo[paper.slug] = (paper, digest(dataclasses.replace(paper, notes="")))
        out[paper.slug] = digest(
            known[1],
            topics.get(paper.topic),
            [tags.get(tag_key(t)) for t in paper.tags],
            [listings.get(s) for s in paper.sources],
        )
    return out


def page_digests(
    site: Site,
    items: Mapping[str, str],
    related: Mapping[str, tuple[str, ...]],
    memo: dict[str, tuple[object, str]] | None = None,
) -> dict[str, str]:
    """Per paper: what its own page shows: its item, its notes and its related papers' items.
    A notes edit so redraws one page, not every list the paper is on. `memo` keeps each
    digest with its inputs across a session's builds."""
    memo = memo if memo is not None else {}
    out = {}
    for paper in site.papers:
        near = related.get(paper.slug, ())
        inputs = (items[paper.slug], paper.notes, near, [items.get(s) for s in near])
        known = memo.get(paper.slug)
        if known is None or known[0] != inputs:
            known = memo[paper.slug] = (inputs, digest(*inputs))
        out[paper.slug] = known[1]
    return out


def page_key(
    page: Page, base: str, papers: Mapping[str, str], pages: Mapping[str, str]
) -> str | None:
    """A page's key, or None for pages that show site-wide counts and are always drawn.
    `papers` are the item digests, `pages` the paper-page digests."""
    context = page.context
    if page.kind == "paper":
        return digest(base, page.path, pages[context["slug"]])
    if "sections" in context:
        shown = [[papers[p.slug] for p in chunk] for _, chunk in context["sections"]]
        group: Group = context["group"]
        return digest(
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
            context.get("filters"),
            context.get("trend"),
        )
    if page.kind in ("listing", "email"):
        group = context["group"]
        around = [(g.slug, g.date) if g else None for g in (context["previous"], context["next"])]
        return digest(
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
