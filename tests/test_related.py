"""Related papers: TF-IDF cosine neighbours on a corpus where the answer is obvious, exact
and deterministic whatever the blocking, cached in .digest-cache, and shown on paper pages."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from generator import related, related_cache
from generator.models import Paper
from generator.related import related_papers, tfidf
from generator.related_cache import Pending, RelatedMemo, cached_related, texts_of

if TYPE_CHECKING:
    from conftest import BuiltSite


def paper(slug: str, title: str, abstract: str = "") -> Paper:
    return Paper(slug=slug, title=title, abstract=abstract, topic="T", tags=(), sources=())


CORPUS = [
    paper(
        "gnn-molecules",
        "Graph neural networks for molecules",
        "We train graph neural networks on molecular graphs to predict chemical properties.",
    ),
    paper(
        "gnn-proteins",
        "Message passing graph networks for proteins",
        "Graph neural networks with message passing predict protein properties from graphs.",
    ),
    paper(
        "speech-asr",
        "Streaming speech recognition",
        "An acoustic model for streaming automatic speech recognition of spoken audio.",
    ),
    paper(
        "speech-tts",
        "Expressive speech synthesis",
        "A text to speech model that synthesises expressive spoken audio from text.",
    ),
    paper(
        "robot-grasp",
        "Robotic grasping with tactile sensing",
        "A robot arm learns grasping policies from tactile sensors and vision.",
    ),
    paper(
        "robot-walk",
        "Legged robot locomotion policies",
        "A legged robot learns walking policies with reinforcement learning in simulation.",
    ),
]


def test_the_obvious_neighbour_comes_first() -> None:
    near = related_papers(CORPUS, 5)
    assert near["gnn-molecules"][0] == "gnn-proteins"
    assert near["gnn-proteins"][0] == "gnn-molecules"
    assert near["speech-asr"][0] == "speech-tts"
    assert near["speech-tts"][0] == "speech-asr"
    assert near["robot-grasp"][0] == "robot-walk"
    assert near["robot-walk"][0] == "robot-grasp"
    for slug, others in near.items():
        assert slug not in others
        assert len(others) == len(set(others)) <= 5


def test_count_limits_and_unrelated_papers_get_none() -> None:
    lonely = paper("zebra", "Zebra stripes", "Stripes of zebras and horses.")
    near = related_papers([*CORPUS, lonely], 1)
    assert all(len(v) == 1 for v in near.values())
    assert "zebra" not in near  # shares no term with any other paper
    assert related_papers(CORPUS, 0) == {}
    assert related_papers(CORPUS[:1], 5) == {}


def test_ties_go_to_the_smaller_slug_whatever_the_input_order() -> None:
    twins = [paper(s, "Sparse attention kernels", "Fast sparse attention.") for s in "dbeca"]
    other = paper("z", "Dense convolution kernels", "Slow dense convolution.")
    birds = paper("y", "Bird songs", "Birds sing.")  # so that `kernels` is not in every paper
    for order in ([*twins, other, birds], [birds, other, *reversed(twins)]):
        near = related_papers(order, 3)
        assert near["a"] == ("b", "c", "d")
        assert near["e"] == ("a", "b", "c")
        assert near["z"][0] == "a"  # all twins score the same against z


def brute_force(papers: list[Paper], count: int) -> dict[str, tuple[str, ...]]:
    """Every pair from a dense matrix, ranked by (rounded score, smaller slug)."""
    ordered = sorted(papers, key=lambda p: p.slug)
    matrix = tfidf([(p.title, p.abstract) for p in ordered])
    dense = np.zeros((matrix.rows, len(matrix.df)))
    dense[matrix.row_ids(), matrix.terms] = matrix.weights
    scores = np.rint(dense @ dense.T / related.QUANTUM)
    out = {}
    for i, p in enumerate(ordered):
        ranked = sorted((-scores[i, j], j) for j in range(len(ordered)) if j != i)
        near = tuple(ordered[j].slug for s, j in ranked[:count] if s < 0)
        if near:
            out[p.slug] = near
    return out


@pytest.mark.parametrize(
    ("block", "tail", "dense"),
    [(1, 1, 0.0), (7, 50, 1.0), (1 << 22, 1 << 18, related.DENSE_COST)],
    ids=["all-dense-row-by-row", "all-sparse-small-blocks", "as-shipped"],
)
def test_blocked_computation_is_exact(block, tail, dense, monkeypatch) -> None:
    """Dense columns, sparse pairs, any block size: the same neighbours as every pair
    computed at once."""
    rng = random.Random(5)
    words = [f"w{i}" for i in range(60)]
    papers = [
        paper(f"p{i:03d}", " ".join(rng.choices(words, k=3)), " ".join(rng.choices(words, k=25)))
        for i in range(90)
    ]
    papers += [paper(f"{p.slug}-copy", p.title, p.abstract) for p in papers[:9]]
    monkeypatch.setattr(related, "BLOCK_CELLS", block)
    monkeypatch.setattr(related, "TAIL_CELLS", tail)
    monkeypatch.setattr(related, "DENSE_COST", dense)
    assert related_papers(papers, 4) == brute_force(papers, 4)


def random_corpus(seed: int, size: int, vocabulary: int) -> list[Paper]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(vocabulary)]
    return [
        paper(f"p{i:03d}", " ".join(rng.choices(words, k=3)), " ".join(rng.choices(words, k=25)))
        for i in range(size)
    ]


@pytest.mark.parametrize("chunk", [1, 500, 1 << 23])
def test_pruned_scores_with_room_for_every_pair_are_exact(chunk, monkeypatch) -> None:
    """Past EXACT_LIMIT the pruned path is taken; with a budget that keeps every term it
    finds exactly what the exact path finds, whatever the chunking."""
    papers = random_corpus(7, 80, 50)
    exact = related_papers(papers, 4)
    monkeypatch.setattr(related, "EXACT_LIMIT", 10)
    monkeypatch.setattr(related, "PAIRS_PER_PAPER", 10**6)
    monkeypatch.setattr(related, "PAIR_CHUNK", chunk)
    assert related_papers(papers, 4) == exact


def test_pruned_scores_leave_out_the_most_common_terms_first(monkeypatch) -> None:
    """With a tight budget only rare terms count: two papers sharing a rare term find each
    other although every paper shares the common terms."""
    common = "learning model data results method"
    papers = [paper(f"p{i:02d}", f"Topic {i}", f"{common} filler{i}") for i in range(40)]
    papers[3] = paper("p03", "Topic 3", f"{common} axolotl regeneration")
    papers[17] = paper("p17", "Topic 17", f"{common} axolotl regeneration")
    monkeypatch.setattr(related, "EXACT_LIMIT", 10)
    monkeypatch.setattr(related, "PAIRS_PER_PAPER", 1)
    near = related_papers(papers, 3)
    assert near == {"p03": ("p17",), "p17": ("p03",)}


def test_the_result_is_cached_until_the_corpus_or_count_changes(tmp_path: Path, monkeypatch):
    first = cached_related(tmp_path, texts_of(CORPUS), 3)
    assert json.loads((tmp_path / related_cache.CACHE_FILE).read_text())["key"]

    def boom(*_: object) -> None:
        raise AssertionError("recomputed")

    monkeypatch.setattr(related, "related_papers", boom)
    assert cached_related(tmp_path, texts_of(list(reversed(CORPUS))), 3) == first
    with pytest.raises(AssertionError, match="recomputed"):
        cached_related(tmp_path, texts_of(CORPUS), 2)
    edited = [*CORPUS[:-1], paper("robot-walk", CORPUS[-1].title, "Now about speech.")]
    with pytest.raises(AssertionError, match="recomputed"):
        cached_related(tmp_path, texts_of(edited), 3)


def test_a_damaged_cache_is_recomputed(tmp_path: Path) -> None:
    (tmp_path / related_cache.CACHE_FILE).write_text('{"key": 1, "slugs": [')
    assert cached_related(tmp_path, texts_of(CORPUS), 3) == related_papers(CORPUS, 3)
    assert cached_related(tmp_path / "missing" / "dir", texts_of(CORPUS), 3) == related_papers(
        CORPUS, 3
    )


def test_seed_paper_pages_link_their_related_papers(seed_site: BuiltSite) -> None:
    papers = json.loads(seed_site.text("papers.json"))
    shown = 0
    for p in papers:
        page = f"{p['url']}index.html"
        section = seed_site.page(page).find("section", cls="related")
        if section is None:
            continue
        links = [a.attrs["href"] for a in section.find_all("a")]
        assert 1 <= len(links) <= 5
        targets = {seed_site.resolve(page, href) for href in links}
        assert p["url"] not in targets
        assert all((seed_site.output / t / "index.html").is_file() for t in targets)
        shown += 1
    assert shown >= len(papers) * 0.9
    assert (seed_site.root / ".digest-cache" / related_cache.CACHE_FILE).is_file()


def test_pending_computes_in_another_process_and_caches(tmp_path: Path) -> None:
    """A cold build computes related papers in a forked process while it builds the model;
    the next build finds them in the cache without forking."""
    texts = texts_of(CORPUS)
    pending = Pending(tmp_path, texts, 3, RelatedMemo())
    assert pending.forked is not None
    assert pending.result(texts) == related_papers(CORPUS, 3)
    again = Pending(tmp_path, texts, 3, RelatedMemo())
    assert again.forked is None
    assert again.result(texts) == related_papers(CORPUS, 3)


def test_pending_for_other_papers_is_computed_for_the_papers_shown(tmp_path: Path) -> None:
    memo = RelatedMemo()
    pending = Pending(tmp_path, texts_of(CORPUS[:4]), 3, memo)
    assert pending.result(texts_of(CORPUS)) == related_papers(CORPUS, 3)
    assert memo.inputs == (3, texts_of(CORPUS))


def test_texts_kept_in_a_session_are_the_texts_of_the_papers() -> None:
    """texts_of with a memo puts in the texts of the papers that changed: after each change
    its list is the one made from nothing, and a list given out before is left as it was."""
    import dataclasses

    memo = RelatedMemo()
    papers = list(CORPUS)
    first = texts_of(papers, memo)
    kept = list(first)
    assert texts_of(list(papers), memo) is first  # the same papers: the same list
    papers[2] = dataclasses.replace(papers[2], title="Another title")
    papers[3] = dataclasses.replace(papers[3], notes="Only notes: the texts are the same.")
    changes = [
        papers,
        papers[1:],  # one gone
        [
            *papers[1:],
            Paper(slug="zz-new", title="New", abstract="", topic="", tags=(), sources=()),
        ],
    ]
    for changed in changes:
        assert texts_of(changed, memo) == sorted((p.slug, p.title, p.abstract) for p in changed)
    assert first == kept
