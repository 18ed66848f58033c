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


def words(text: str) -> str:
    """Text as ` word word ` (accents folded, lowercase) so ` phrase ` matches whole words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " " + " ".join(_TOKEN.findall(ascii_text.lower())) + " "


@lru_cache(maxsize=4096)
def _patterns(rule: Rule) -> tuple[str, ...]:
    terms = [words(term).strip() for term in (*rule.keywords, *rule.phrases)]
    return tuple(f" {term} " for term in terms if term)


def score(rule: Rule, title: str, abstract: str) -> int:
    """Matches in the title count TITLE_WEIGHT times; a term found counts once per field."""
    total = 0
    for pattern in _patterns(rule):
        total += TITLE_WEIGHT * (pattern in title) + (pattern in abstract)
    return total


def classify(
    config: Config, title: str, abstract: str, topic: str | None = None, extra: tuple = ()
) -> Classification:
    """The best-scoring topic (taxonomy order breaks ties; `Other` if none) and the best tags.

    A record's own `topic` wins; its own `tags` come first and are kept whatever the cap.
    """
    t, a = words(title), words(abstract)
    chosen = topic or _best_topic(config, t, a)
    scored = [(score(rule, t, a), i, rule.name) for i, rule in enumerate(config.tags)]
    ranked = [name for s, _, name in sorted(scored, key=lambda x: (-x[0], x[1])) if s > 0]
    tags = merge_tags(config, list(extra), ranked)
    return Classification(chosen, tags)


def _best_topic(config: Config, title: str, abstract: str) -> str:
    best, best_score = config.other_topic, 0
    for rule in config.topics:
        s = score(rule, title, abstract)
        if s > best_score:
            best, best_score = rule.name, s
    return best


def tag_key(name: str) -> str:
    """Tags that differ only in case, accents or punctuation are the same tag."""
    return words(name).strip()


def merge_tags(config: Config, own: list[str], automatic: list[str]) -> tuple[str, ...]:
    """The user's tags first, then automatic ones up to MAX_TAGS; one name per tag key,
    spelled as the taxonomy spells it."""
    canonical = {tag_key(rule.name): rule.name for rule in config.tags}
    seen: set[str] = set()
    out: list[str] = []
    for i, name in enumerate([*own, *automatic]):
        key = tag_key(name)
        if not key or key in seen or (i >= len(own) and len(out) >= MAX_TAGS):
            continue
        seen.add(key)
        out.append(canonical.get(key, name.strip()))
    return tuple(out)
