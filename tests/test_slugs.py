"""Slugs: safe file and URL names from titles, stable, with -2, -3 on collisions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.slugs import MAX_LENGTH, slugify, unique

SAFE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def assert_safe(slug: str) -> None:
    assert SAFE.fullmatch(slug), slug
    assert len(slug) <= MAX_LENGTH and slug.isascii()
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert not slug.startswith(".")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        (
            "$R^2$-Tuning: Efficient Image-to-Video Transfer",
            "r-2-tuning-efficient-image-to-video-transfer",
        ),
        ("Über Größe: Café Modèles", "uber-grosse-cafe-modeles"),
        ("Kolmogorov–Arnold Networks", "kolmogorov-arnold-networks"),  # an en dash
        ("Vision—Language «Models»", "vision-language-models"),
        (
            "LoRA vs Full Fine-tuning: An Illusion of Equivalence",
            "lora-vs-full-fine-tuning-an-illusion-of-equivalence",
        ),
        ("../../etc/passwd", "etc-passwd"),
        ("..\\windows\\system32", "windows-system32"),
        (".hidden file", "hidden-file"),
        ("   ", "paper"),
        ("大型语言模型", "da-xing-yu-yan-mo-xing"),
        ("---", "paper"),
        ("A\x00B\tC", "a-b-c"),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug
    assert_safe(slugify(title))


def test_long_titles_are_cut_at_a_word_boundary():
    title = (
        "Pre-train, Prompt, and Predict: A Systematic Survey of Prompting Methods in Natural"
        " Language Processing"
    )
    slug = slugify(title)
    assert (
        slug == "pre-train-prompt-and-predict-a-systematic-survey-of-prompting-methods-in-natural"
    )
    assert_safe(slug)
    assert slugify("x" * 200) == "x" * MAX_LENGTH
    assert slugify("a " + "b" * 200) == "a-" + "b" * 78  # a cut at "a" would keep too little


def test_slugs_are_stable():
    title = "Dense Passage Retrieval for Open-Domain Question Answering"
    assert len({slugify(title) for _ in range(5)}) == 1
    assert slugify(title) == "dense-passage-retrieval-for-open-domain-question-answering"


def test_collisions_get_numbered_suffixes():
    taken: set[str] = set()
    got = []
    for _ in range(4):
        slug = unique("survey", taken)
        taken.add(slug)
        got.append(slug)
    assert got == ["survey", "survey-2", "survey-3", "survey-4"]


def test_a_suffix_keeps_the_slug_within_80_characters():
    base = slugify("word " * 40)
    taken = {base}
    for n in range(2, 12):
        slug = unique(base, taken)
        taken.add(slug)
        assert slug.endswith(f"-{n}") and len(slug) <= MAX_LENGTH
        assert_safe(slug)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_title_gives_a_safe_slug(title):
    slug = slugify(title)
    assert_safe(slug)
    assert_safe(unique(slug, {slug, slug + "-2"}))
