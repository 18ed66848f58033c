"""generator.digests, item_keys and keys: what each output file's key is made from, so that
an edit redraws exactly the files that show it (and a build with no edit draws nothing)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import pytest

from generator.config import load_config
from generator.digests import Remembered, digest, folder_digest
from generator.ingest import load_records
from generator.item_keys import ItemMemo, PageMemo, page_digests, paper_digests
from generator.keys import PlanMemo, make_bases, page_key, plan_keys, template_digests
from generator.models import Paper
from generator.plan import plan
from generator.site import Group, Site, build_model
from generator.themes import make_env

if TYPE_CHECKING:
    from conftest import BuiltSite


@pytest.fixture(scope="module")
def model(seed_site: BuiltSite) -> Site:
    config, _ = load_config(seed_site.root / "digest.yaml")
    records, _ = load_records(seed_site.root / "content" / "papers", [])
    site, _ = build_model(config, records.values(), {"x": None})
    return site


def _replaced(site: Site, slug: str, **fields: object) -> Site:
    """The site with one paper's fields replaced, in its lists and in every group."""
    old = next(p for p in site.papers if p.slug == slug)
    new = dataclasses.replace(old, **fields)

    def swap(papers: tuple[Paper, ...]) -> tuple[Paper, ...]:
        return tuple(new if p is old else p for p in papers)

    def groups(gs: tuple[Group, ...]) -> tuple[Group, ...]:
        return tuple(dataclasses.replace(g, papers=swap(g.papers)) for g in gs)

    return dataclasses.replace(
        site,
        papers=swap(site.papers),
        topics=groups(site.topics),
        tags=groups(site.tags),
        months=groups(site.months),
        listings=groups(site.listings),
    )


def test_a_digest_is_of_the_parts_in_order() -> None:
    assert digest("a", 1) == digest("a", 1)
    assert digest("a", 1) != digest(1, "a")
    assert digest("ab") != digest("a", "b")  # parts are separated


def test_a_folder_digest_follows_names_and_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("one")
    before = folder_digest([tmp_path])
    (tmp_path / "a.html").write_text("two")
    assert folder_digest([tmp_path]) != before
    (tmp_path / "a.html").write_text("one")
    assert folder_digest([tmp_path]) == before
    (tmp_path / "a.html").rename(tmp_path / "b.html")
    assert folder_digest([tmp_path]) != before


def test_a_remembered_digest_is_made_again_only_when_its_parts_change() -> None:
    memo = Remembered()
    first = memo.digest("feed", "base", [1, 2])
    assert memo.digest("feed", "base", [1, 2]) == first and memo.computed == 1
    assert memo.digest("feed", "base", [1, 3]) != first and memo.computed == 2


def test_notes_change_a_papers_page_but_not_its_list_item(model: Site) -> None:
    memo = ItemMemo()
    first = paper_digests(model, memo)
    assert first.relinked and set(first.changed) == {p.slug for p in model.papers}
    again = paper_digests(model, memo)
    assert again.digests == first.digests and not again.changed and not again.relinked

    slug = model.papers[3].slug
    noted = _replaced(model, slug, notes="A note of mine.")
    items = paper_digests(noted, memo)
    assert items.digests == first.digests and not items.changed
    pages = PageMemo()
    before = page_digests(model, first, {}, pages).digests
    after = page_digests(noted, items, {}, PageMemo()).digests
    assert {s for s in after if after[s] != before[s]} == {slug}


def test_a_title_edit_changes_that_item_only(model: Site) -> None:
    memo = ItemMemo()
    first = paper_digests(model, memo)
    slug = model.papers[0].slug
    edited = paper_digests(_replaced(model, slug, title="Another title"), memo)
    assert edited.changed == {slug}
    assert {s for s in first.digests if first.digests[s] != edited.digests[s]} == {slug}


def test_a_session_looks_again_only_at_the_pages_an_edit_reaches(model: Site) -> None:
    """A page shows its related papers' items: editing one paper's item looks again at its
    own page and at the pages listing it as related, no other."""
    slugs = [p.slug for p in model.papers]
    related = {slugs[1]: (slugs[0],), slugs[2]: (slugs[5],)}
    items_memo, pages_memo = ItemMemo(), PageMemo(session=True)
    first = page_digests(model, paper_digests(model, items_memo), related, pages_memo)
    assert first.looked is None  # the first build looks at every page
    edited = _replaced(model, slugs[0], title="Another title")
    pages = page_digests(edited, paper_digests(edited, items_memo), related, pages_memo)
    assert pages.looked == {slugs[0], slugs[1]}
    assert {s for s in pages.digests if pages.digests[s] != first.digests[s]} == {
        slugs[0],
        slugs[1],
    }


def test_pages_showing_site_wide_counts_have_no_key(model: Site) -> None:
    items = paper_digests(model, ItemMemo())
    pages = page_digests(model, items, {}, PageMemo()).digests
    keyed = {p.kind: page_key(p, "base", items.digests, pages) for p in plan(model)}
    assert keyed["home"] is None and keyed["index"] is None
    assert keyed["topic"] is not None and keyed["listing"] is not None
    assert keyed["paper"] is not None


def test_a_template_edit_changes_the_keys_of_the_pages_drawn_with_it_only(
    model: Site, tmp_path: Path
) -> None:
    """A paper page's key follows paper.html and what it uses, not list.html."""
    env = make_env(tmp_path, model.config)
    assert env.loader is not None
    used = template_digests(env)
    edited = jinja2.Environment(
        loader=jinja2.DictLoader(
            {
                name: env.loader.get_source(env, name)[0]
                + ("{# edited #}" if name == "list.html" else "")
                for name in env.list_templates()
            }
        )
    )
    after = template_digests(edited)
    assert after["list.html"] != used["list.html"]
    assert after["paper.html"] == used["paper.html"]


def test_the_plan_keeps_the_keys_of_sections_an_edit_does_not_touch(model: Site) -> None:
    """Keyed twice with the same memo, no group section is planned again; after a title
    edit, only the sections showing that paper are."""
    env = make_env(Path("/nonexistent"), model.config)
    memo = PlanMemo(session=True)
    bases = make_bases(env, "v", model.config, "whole", memo)
    items_memo, pages_memo = ItemMemo(), PageMemo(session=True)

    def keyed(site: Site) -> dict[str, list[tuple[str, str | None]]]:
        items = paper_digests(site, items_memo)
        pages = page_digests(site, items, {}, pages_memo)
        out = {}
        for k in plan_keys(site, bases, items, pages, memo):
            out[k.section.name] = k.keys
            assert k.pages is None or k.section.kind != "papers"
        return out

    first = keyed(model)
    assert keyed(model) == first
    paper = model.papers[0]
    second = keyed(_replaced(model, paper.slug, title="Another title"))
    moved = {name for name in first if first[name] != second[name]}
    topic = next(g for g in model.topics if g.name == paper.topic)
    assert f"topics/{topic.slug}" in moved and "papers" in moved
    untouched = [g for g in model.topics if paper not in g.papers]
    assert untouched and all(f"topics/{g.slug}" not in moved for g in untouched)
