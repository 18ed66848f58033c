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
    longest: int


@lru_cache(maxsize=64)
def _index(rules: tuple[Rule, ...]) -> _Index:
    terms: dict[tuple[str, ...], set[int]] = {}
    for i, rule in enumerate(rules):
        for term in (*rule.keywords, *rule.phrases):
            key = tuple(words(term).split())
            if key:
                terms.setdefault(key, set()).add(i)
    single = frozenset(k[0] for k in terms if len(k) == 1)
    starts = frozenset(k[0] for k in terms if len(k) > 1)
    longest = max((len(k) for k in terms), default=1)
    return _Index({k: tuple(sorted(v)) for k, v in terms.items()}, single, starts, longest)


def _found(index: _Index, text: str) -> set[tuple[str, ...]]:
    """The taxonomy terms present in `text` as whole words (one pass over its n-grams)."""
    tokens = text.split()
    found = {(word,) for word in index.single.intersection(tokens)}
    if index.starts.isdisjoint(tokens):
        return found
    terms, starts = index.terms, index.starts
    for i, token in enumerate(tokens):
        if token in starts:
            for n in range(2, index.longest + 1):
                gram = tuple(tokens[i : i + n])
                if gram in terms:
                    found.add(gram)
    return found


def scores(rules: tuple[Rule, ...], title: str, abstract: str) -> list[int]:
    """Per rule: each of its terms counts TITLE_WEIGHT if in the title, plus 1 if in the
    abstract (arguments as produced by `words`)."""
    index = _index(rules)
    totals = [0] * len(rules)
    for weight, text in ((TITLE_WEIGHT, title), (1, abstract)):
        for term in _found(index, text):
            for i in index.terms[term]:
                totals[i] += weight
    return totals


def classify(
    config: Config, title: str, abstract: str, topic: str | None = None, extra: tuple = ()
) -> Classification:
    """The best-scoring topic (taxonomy order breaks ties; `Other` if none) and the best tags.

    A record's own `topic` wins; its own `tags` come first and are kept whatever the cap.
    """
    # topics and tags scored in one pass over the text: two took twice as long
    both = scores((*config.topics, *config.tags), words(title), words(abstract))
    topic_scores, tag_scores = both[: len(config.topics)], both[len(config.topics) :]
    chosen = topic or _best_topic(config, topic_scores)
    order = sorted(range(len(config.tags)), key=lambda i: (-tag_scores[i], i))
    ranked = [config.tags[i].name for i in order if tag_scores[i] > 0]
    tags = merge_tags(config, list(extra), ranked)
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


def merge_tags(config: Config, own: list[str], automatic: list[str]) -> tuple[str, ...]:
    """The user's tags first, then automatic ones up to MAX_TAGS; one name per tag key,
    spelled as the taxonomy spells it."""
    canonical = _canonical_tags(config.tags)
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
