"""The e-mail rendering of a listing: self-contained (no scripts, no stylesheets, nothing to
load), absolute links from base_url, every paper of the listing, and a content key."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

import pytest

from generator.keys import page_key
from generator.plan import plan
from generator.site import Site

if TYPE_CHECKING:
    from conftest import BuiltSite

URL_ATTRS = ("href", "src", "srcset", "action", "poster", "background")


def emails(site: BuiltSite) -> list[str]:
    return [p for p in site.html_pages() if p.endswith("/email.html")]


@pytest.mark.parametrize("which", ["seed_site", "seed_site_repo"])
def test_email_is_self_contained_with_absolute_links(which: str, request) -> None:
    site: BuiltSite = request.getfixturevalue(which)
    pages = emails(site)
    assert len(pages) == len(site.page("listings/index.html").find("ol").find_all("li"))
    for relative in pages:
        tree = site.page(relative)
        assert tree.find_all("script") == [], relative
        assert tree.find_all("style") == [], relative
        assert [n for n in tree.find_all("link") if "stylesheet" in n.attrs.get("rel", "")] == []
        for node in tree.iter():
            for name in URL_ATTRS:
                if name in node.attrs:
                    url = node.attrs[name]
                    assert re.match(r"^https?://", url), (relative, node.tag, url)
            assert "url(" not in node.attrs.get("style", ""), (relative, node.line)
        internal = [
            a.attrs["href"]
            for a in tree.find_all("a")
            if a.attrs["href"].startswith("http://127.0.0.1:8000/")
        ]
        assert internal and all(h.startswith(site.base_url) for h in internal)


def test_email_lists_every_paper_of_its_listing_and_the_web_version(seed_site: BuiltSite):
    for relative in emails(seed_site):
        web = relative.removesuffix("email.html") + "index.html"
        items = seed_site.page(web).find_all("li", cls="paper-item")
        on_web = {seed_site.resolve(web, li.find("a").attrs["href"]) for li in items}
        links = {a.attrs["href"] for a in seed_site.page(relative).find_all("a")}
        in_mail = {h[len(seed_site.base_url) :] for h in links if h.startswith(seed_site.base_url)}
        assert on_web <= in_mail
        assert web.removesuffix("index.html") in in_mail  # "read it on the web"
        assert seed_site.page(web).find("a", href="email.html") is not None
        assert len(seed_site.page(relative).find_all("h1")) == 1


def test_listing_reads_like_an_issue(seed_site: BuiltSite) -> None:
    listings = seed_site.page("listings/index.html").find("ol").find_all("a")
    first = seed_site.resolve("listings/index.html", listings[-1].attrs["href"]) + "index.html"
    tree = seed_site.page(first)
    assert tree.find("p", cls="eyebrow").text().endswith("Issue 1")
    toc = tree.find("nav", cls="toc")
    sections = tree.find_all("section", cls="issue-section")
    assert len(toc.find_all("li")) == len(sections) > 1
    counts = [int(s.find("h2").find("span", cls="count").text()) for s in sections]
    assert counts == sorted(counts, reverse=True)  # largest topic first
    assert sum(counts) == len(tree.find_all("li", cls="paper-item"))
    nav = tree.find("nav", cls="issue-nav")
    assert nav.find("a", rel="next") is not None and nav.find("a", rel="prev") is None


def test_an_email_is_redrawn_only_when_its_listing_changes(seed_site: BuiltSite) -> None:
    from generator.config import load_config
    from generator.ingest import load_records
    from generator.item_keys import ItemMemo, paper_digests
    from generator.site import build_model

    config, _ = load_config(seed_site.root / "digest.yaml")
    records, _ = load_records(seed_site.root / "content" / "papers", [])
    site, _ = build_model(config, records.values(), {"x": None})

    def keys(model: Site) -> dict[str, str | None]:
        digests = paper_digests(model, ItemMemo()).digests
        return {p.path: page_key(p, "base", digests, {}) for p in plan(model) if p.kind == "email"}

    before = keys(site)
    assert before and all(before.values())
    first, last = site.listings[0], site.listings[-1]
    victim = next(p for p in last.papers if p not in first.papers)
    changed = dataclasses.replace(victim, title=victim.title + " (revised)")
    papers = tuple(changed if p is victim else p for p in site.papers)
    listings = tuple(
        dataclasses.replace(g, papers=tuple(changed if p is victim else p for p in g.papers))
        for g in site.listings
    )
    after = keys(dataclasses.replace(site, papers=papers, listings=listings))
    assert after[f"listings/{first.slug}/email.html"] == before[f"listings/{first.slug}/email.html"]
    assert after[f"listings/{last.slug}/email.html"] != before[f"listings/{last.slug}/email.html"]
