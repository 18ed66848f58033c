"""The taxonomy applied to a paper: one topic and its tags, from words and phrases (pure)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .config import Config, Rule

TITLE_WEIGHT = 3
MAX_TAGS = 6
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Classification:
    topic: str
    tags: tuple[str, ...]

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # kept in the build cache: built from a tuple, a pickle loads 3x faster than
        # from a slotted dataclass's state
        return Classification, (self.topic, self.tags)


def words(text: str) -> str:
    """Text as ` word word ` (accents folded, lowercase) so ` phrase ` matches whole words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " " + " ".join(_TOKEN.findall(ascii_text.lower())) + " "


@dataclass(frozen=True, slots=True)
class _Index:
    """Every term of a taxonomy as a tuple of words, mapped to the rules that use it."""

    terms: dict[tuple[str, ...], tuple[int, ...]]
    single: frozenset[str]
    starts: frozenset[str]
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # first word → (term, " a b ")
    rules: int


@lru_cache(maxsize=64)
def _index(rules: tuple[Rule, ...]) -> _Index:
    terms: dict[tuple[str, ...], set[int]] = {}
    for i, rule in enumerate(rules):
        for term in (*rule.keywords, *rule.phrases):
            key = tuple(words(term).split())
            if key:
                terms.setdefault(key, set()).add(i)
    single = frozenset(k[0] for k in terms if len(k) == 1)
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key in terms:
        if len(key) > 1:
            phrases.setdefault(key[0], []).append((key, f" {' '.join(key)} "))
    index = {k: tuple(sorted(v)) for k, v in terms.items()}
    by_start = {word: tuple(found) for word, found in phrases.items()}
    return _Index(index, single, frozenset(phrases), by_start, len(rules))


def _found(index: _Index, text: str) -> set[tuple[str, ...]]:
    """The taxonomy terms present in `text` (as made by `words`) as whole words: single
    words by set intersection, phrases by substring search among those whose first word is
    in the text."""
    tokens = text.split()
    found = {(word,) for word in index.single.intersection(tokens)}
    for start in index.starts.intersection(tokens):
        for term, spaced in index.phrases[start]:
            if spaced in text:
                found.add(term)
    return found


def _scores(index: _Index, title: str, abstract: str) -> list[int]:
    """Per rule of the index: each of its terms counts TITLE_WEIGHT if in the title, plus 1
    if in the abstract (arguments as produced by `words`)."""
    totals = [0] * index.rules
    for weight, text in ((TITLE_WEIGHT, title), (1, abstract)):
        for term in _found(index, text):
            for i in index.terms[term]:
                totals[i] += weight
    return totals


@dataclass(frozen=True, slots=True, eq=False)
class Taxonomy:
    """A config's topics and tags, indexed once for a build: looking the index up per paper
    (an lru_cache hashing every rule) cost as much as classifying."""

    config: Config
    index: _Index  # topics then tags, scored in one pass over a text
    canonical: dict[str, str]


def taxonomy(config: Config) -> Taxonomy:
    both = _index((*config.topics, *config.tags))
    return Taxonomy(config, both, _canonical_tags(config.tags))


def classify(
    config: Config,
    title: str,
    abstract: str,
    topic: str | None = None,
    extra: tuple = (),
    known: Taxonomy | None = None,
) -> Classification:
    """The best-scoring topic (taxonomy order breaks ties; `Other` if none) and the best tags.

    A record's own `topic` wins; its own `tags` come first and are kept whatever the cap.
    `known`: `taxonomy(config)`, made once by a caller classifying many papers.
    """
    known = known if known is not None and known.config is config else taxonomy(config)
    both = _scores(known.index, words(title), words(abstract))
    topic_scores, tag_scores = both[: len(config.topics)], both[len(config.topics) :]
    chosen = topic or _best_topic(config, topic_scores)
    order = sorted(range(len(config.tags)), key=lambda i: (-tag_scores[i], i))
    ranked = [config.tags[i].name for i in order if tag_scores[i] > 0]
    tags = _merge(known.canonical, list(extra), ranked)
    return Classification(chosen, tags)


def _best_topic(config: Config, topic_scores: list[int]) -> str:
    best, best_score = config.other_topic, 0
    for rule, points in zip(config.topics, topic_scores, strict=True):
        if points > best_score:
            best, best_score = rule.name, points
    return best


@lru_cache(maxsize=65536)
def tag_key(name: str) -> str:
    """Tags that differ only in case, accents or punctuation are the same tag."""
    return words(name).strip()


def _merge(canonical: dict[str, str], own: list[str], automatic: list[str]) -> tuple[str, ...]:
    """The user's tags first, then automatic ones up to MAX_TAGS; one name per tag key,
    spelled as the taxonomy spells it (`canonical`)."""
    seen: set[str] = set()
    out: list[str] = []
    for i, name in enumerate([*own, *automatic]):
        key = tag_key(name)
        if not key or key in seen or (i >= len(own) and len(out) >= MAX_TAGS):
            continue
        seen.add(key)
        out.append(canonical.get(key, name.strip()))
    return tuple(out)


@lru_cache(maxsize=64)
def _canonical_tags(rules: tuple[Rule, ...]) -> dict[str, str]:
    return {tag_key(rule.name): rule.name for rule in rules}
