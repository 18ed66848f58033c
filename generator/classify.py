"""The taxonomy applied to a paper: one topic and its tags, from words and phrases (pure).

Tests: tests/test_labels.py, tests/test_filters.py
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from .config import Config, Rule

# Where a rule's words are found, and what that is worth. An abstract is read as its
# background (the sentences before the paper speaks of itself: "Large language models have
# ...") and its claims ("We propose ...", and what follows). A tag needs TAG_EVIDENCE: its
# words in the title, or in two sentences of the claims, or in one and in the background.
# The background alone, or a note that code is available, never tags a paper. A topic is
# the one with the most evidence, every term of it counted.
TITLE_WEIGHT = 3
CLAIM_WEIGHT = 2
OTHER_WEIGHT = 1
TAG_EVIDENCE = 3
MAX_TAGS = 6
VERSION = "2"  # of the classification: bumped, it makes the builds' classification caches stale
# ASCII text to its words: letters lowercased, digits kept, anything else a space (str.
# translate and split are twice as fast as a regex's findall)
_WORDS = {c: " " for c in range(128)} | {ord(c): c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
_WORDS |= {ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_STOPS = str.maketrans(_WORDS | {ord(c): "\x01" for c in ".!?"})  # and a mark for a stop
_WORDS = str.maketrans(_WORDS)
# a sentence of the paper's own claims: the paper is its subject (on text made by `words`)
_SUBJECT = re.compile(
    r" (?:we|our|here|this (?:paper|work|study|survey|review|article|thesis|dissertation|book)) "
)
# a note that code, data or models are available: no evidence of what the paper is about
_AVAILABLE = re.compile(
    r" (?:https?|github|www) | (?:is|are) (?:now |publicly |freely )?available "
    r"| available (?:at|online|on|from) | will be (?:publicly )?(?:released|available|open) "
    r"| (?:we |will )?(?:publicly )?(?:release|open source) (?:our|the|all|code) "
    r"| codes? (?:is|are|and|will|can) "
)
_AVAILABLE_HINTS = ("http", "github", "availab", "releas", "code")


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
    return " " + " ".join(_ascii(text).translate(_WORDS).split()) + " "


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def sentences(abstract: str) -> tuple[str, str]:
    """An abstract's claims and its background, each as made by `words` with ` . ` between
    sentences (a phrase never spans two). The claims start at the first sentence the paper
    is the subject of ("we ...", "this paper ..."), or at the first sentence when none is;
    notes that code or data are available are left out."""
    text, cut, _ = _read(abstract)
    return text[cut:], text[: cut + 1] if cut else " "


def _read(abstract: str) -> tuple[str, int, list[str] | None]:
    """The abstract as made by `words` with ` . ` between sentences, without its notes that
    code or data are available; where its claims start (0: no background); its words (None
    when a note was taken out)."""
    # a stop inside a word ("e.g.", "3.5") ends a sentence there too: harmless
    tokens = _ascii(abstract).translate(_STOPS).replace("\x01", " . ").split()
    text = " " + " ".join(tokens) + " "
    kept = _unavailable(text)
    subject = _SUBJECT.search(kept)
    cut = -1 if subject is None else kept.rfind(" . ", 0, subject.start() + 1)
    return kept, max(cut, 0), tokens if kept is text else None


def _unavailable(text: str) -> str:
    """`text` without its sentences that say code or data are available (the regex is run
    on the sentences holding a word such a note has: on a whole abstract it took as long
    as reading it)."""
    for hint in _AVAILABLE_HINTS:
        at = text.find(hint)
        while at >= 0:
            start = max(text.rfind(" . ", 0, at), 0)
            end = text.find(" . ", at)
            end = len(text) if end < 0 else end
            if _AVAILABLE.search(text, start, end + 1):
                text = text[:start] + (text[end:] if end < len(text) else " ")
                at = text.find(hint, start)
            else:
                at = text.find(hint, end)
    return text


@dataclass(frozen=True, slots=True)
class _Index:
    """Every term of a taxonomy (a word, or a phrase as a tuple of words), mapped to the
    rules that use it; rules are numbered topics first, then tags from `first_tag`."""

    first_tag: int
    rules_of: dict[Term, tuple[int, ...]]  # term → the rules it counts for
    topic_of: dict[Term, tuple[int, ...]]  # term → the topics it counts for
    tag_of: dict[Term, tuple[int, ...]]  # term → the tags it counts for
    single: frozenset[str]
    starts: frozenset[str]
    vocabulary: frozenset[str]  # the single words, and the first two of every phrase
    phrases: dict[str, tuple[tuple[Term, str, str], ...]]  # first word → (term, 2nd, " a b ")
    spaced: dict[Term, str]  # term → " a b "
    excluders: dict[Term, frozenset[int]]  # excluded phrase → the rules excluding it
    excluded_by: tuple[frozenset[Term], ...]  # rule → the phrases it excludes
    of_rule: tuple[frozenset[Term], ...]  # rule → its terms
    alone: dict[tuple[Term, int], Term]  # (term, rule) → the term for that rule alone


Term = str | tuple[str, ...]  # a word, a phrase, or either for one rule alone: (..., "#3")


@lru_cache(maxsize=64)
def _index(rules: tuple[Rule, ...], first_tag: int) -> _Index:
    terms: dict[Term, set[int]] = {}
    spaced: dict[Term, str] = {}
    excluders: dict[Term, set[int]] = {}
    exclude: dict[int, tuple[str, ...]] = {}
    for i, rule in enumerate(rules):
        for term in (*rule.keywords, *rule.phrases):
            if found := words(term).split():
                key = found[0] if len(found) == 1 else tuple(found)
                terms.setdefault(key, set()).add(i)
                spaced[key] = f" {' '.join(found)} "
        phrases = tuple(dict.fromkeys(words(p) for p in rule.exclude if words(p).strip()))
        if phrases:
            exclude[i] = phrases
            for phrase in phrases:
                found = phrase.split()
                key = found[0] if len(found) == 1 else tuple(found)
                excluders.setdefault(key, set()).add(i)
                spaced[key] = phrase
    # a term of a rule that excludes phrases, and of other rules: counted for each alone
    alone: dict[tuple[Term, int], Term] = {}
    for key, of in list(terms.items()):
        if len(of) > 1 and not exclude.keys().isdisjoint(of):
            for i in of:
                one = alone[key, i] = (*((key,) if isinstance(key, str) else key), f"#{i}")
                terms[one], spaced[one] = {i}, spaced[key]
    for key in excluders:
        terms.setdefault(key, set())  # looked for like a term
    by_start: dict[str, list[tuple[Term, str, str]]] = {}
    for key in terms:
        if isinstance(key, tuple) and not key[-1].startswith("#"):
            by_start.setdefault(key[0], []).append((key, key[1], spaced[key]))
    of_rule: list[set[Term]] = [set() for _ in rules]
    for key, of in terms.items():
        for i in of:
            of_rule[i].add(key)
    return _Index(
        first_tag=first_tag,
        rules_of={k: tuple(sorted(of)) for k, of in terms.items()},
        topic_of={k: tuple(sorted(i for i in of if i < first_tag)) for k, of in terms.items()},
        tag_of={k: tuple(sorted(i for i in of if i >= first_tag)) for k, of in terms.items()},
        single=frozenset(k for k in terms if isinstance(k, str)),
        starts=frozenset(by_start),
        vocabulary=frozenset(
            {k for k in terms if isinstance(k, str)}
            | {w for found in by_start.values() for key, _, _ in found for w in key[:2]}
        ),
        phrases={word: tuple(found) for word, found in by_start.items()},
        spaced=spaced,
        excluders={k: frozenset(v) for k, v in excluders.items()},
        excluded_by=tuple(
            frozenset(k for k, of in excluders.items() if i in of) for i in range(len(rules))
        ),
        of_rule=tuple(map(frozenset, of_rule)),
        alone=alone,
    )


def _found(index: _Index, text: str, tokens: list[str] | None = None) -> frozenset[Term]:
    """The taxonomy terms present in `text` (as made by `words`) as whole words: the words
    of the taxonomy in the text by one set intersection (hashing the text's words into a
    set of their own took twice as long), phrases by substring search among those whose
    first two words are there."""
    present = index.vocabulary.intersection(text.split() if tokens is None else tokens)
    phrases = [
        term
        for start in index.starts.intersection(present)
        for term, second, spaced in index.phrases[start]
        if second in present and spaced in text
    ]
    found = index.single.intersection(present)
    return found.union(phrases) if phrases else found


def _without(index: _Index, rule: int, text: str, found: frozenset[Term]) -> str:
    """`text` with the phrases the rule excludes (of those `found` in it) blanked out, every
    character in its place."""
    for key in index.excluded_by[rule].intersection(found):
        phrase = index.spaced[key]
        text = text.replace(phrase, " " + "|" * (len(phrase) - 2) + " ")
    return text


def _unexcluded(index: _Index, found: frozenset[Term], text: str) -> frozenset[Term]:
    """`found` without the terms that are in `text` only inside phrases their rules exclude
    (a term of several rules is kept, as the term for one rule alone, for those that do
    not exclude it)."""
    blocked = {i for k in found.intersection(index.excluders) for i in index.excluders[k]}
    kept: set[Term] = set()
    cleaned: dict[int, str] = {}
    for term in found:
        rules = index.rules_of[term]
        if blocked.isdisjoint(rules):
            kept.add(term)
            continue
        for i in rules:
            if i in blocked:
                if i not in cleaned:
                    cleaned[i] = _without(index, i, text, found)
                if index.spaced[term] not in cleaned[i]:
                    continue
            kept.add(index.alone[term, i] if len(rules) > 1 else term)
    return frozenset(kept)


def _scores(index: _Index, title: str, abstract: str) -> tuple[list[int], dict[int, int]]:
    """The topics' scores (each of a topic's terms counts TITLE_WEIGHT if in the title,
    CLAIM_WEIGHT if in the claims, OTHER_WEIGHT if in the background) and the tags'
    evidence (the same weights once per place whatever the number of terms; the claims
    count twice when a tag's terms are in two of their sentences). `title` as made by
    `words`."""
    totals = [0] * index.first_tag
    evidence: dict[int, int] = {}
    text, cut, tokens = _read(abstract)
    claims = text[cut:] if cut else text
    parts = [(TITLE_WEIGHT, title, None), (CLAIM_WEIGHT, claims, tokens)]
    if cut:
        split = None if tokens is None else text.count(" ", 0, cut)
        if split is not None:
            parts[1] = (CLAIM_WEIGHT, claims, tokens[split:])
        parts.append((OTHER_WEIGHT, text[: cut + 1], None if split is None else tokens[:split]))
    in_claims: frozenset[Term] = frozenset()
    for weight, part, words_of in parts:
        found = _found(index, part, words_of)
        if not found.isdisjoint(index.excluders):
            found = _unexcluded(index, found, part)
        for i in chain.from_iterable(map(index.topic_of.__getitem__, found)):
            totals[i] += weight
        for i in set(chain.from_iterable(map(index.tag_of.__getitem__, found))):
            evidence[i] = evidence.get(i, 0) + weight
        if weight == CLAIM_WEIGHT:
            in_claims = found
    for i, points in evidence.items():
        if points == CLAIM_WEIGHT and _in_two(index, i, claims, in_claims):
            evidence[i] = 2 * CLAIM_WEIGHT
    return totals, evidence


def _in_two(index: _Index, rule: int, text: str, found: frozenset[Term]) -> bool:
    """Whether the rule's terms (of those `found` in `text`) are in two sentences of
    `text`, outside the phrases the rule excludes."""
    terms = index.of_rule[rule].intersection(found)
    if not index.excluded_by[rule].isdisjoint(found):
        text = _without(index, rule, text, found)
    elif len(terms) == 1:  # most often
        for term in terms:
            spaced = index.spaced[term]
            return text.find(" . ", text.find(spaced), text.rfind(spaced)) >= 0
    spaced = [index.spaced[term] for term in terms]
    at = [text.find(term) for term in spaced]
    if max(at) < 0:
        return False
    first = min(a for a in at if a >= 0)
    last = max(text.rfind(term) for term in spaced)
    return text.find(" . ", first, last) >= 0


@dataclass(frozen=True, slots=True, eq=False)
class Taxonomy:
    """A config's topics and tags, indexed once for a build: looking the index up per paper
    (an lru_cache hashing every rule) cost as much as classifying."""

    config: Config
    index: _Index  # topics then tags, scored in one pass over a text
    canonical: dict[str, str]
    names: tuple[str, ...]  # of the index's rules
    distinct: bool  # no two tags of the taxonomy share a tag key


def taxonomy(config: Config) -> Taxonomy:
    both = _index((*config.topics, *config.tags), len(config.topics))
    canonical = _canonical_tags(config.tags)
    names = tuple(rule.name for rule in (*config.topics, *config.tags))
    return Taxonomy(config, both, canonical, names, len(canonical) == len(config.tags))


def classify(
    config: Config,
    title: str,
    abstract: str,
    topic: str | None = None,
    extra: tuple = (),
    known: Taxonomy | None = None,
) -> Classification:
    """The best-scoring topic (taxonomy order breaks ties; `Other` if none) and the tags with
    enough evidence, in taxonomy order (the taxonomy lists the specific tags first: a card
    shows the first three).

    A record's own `topic` wins; its own `tags` come first and are kept whatever the cap.
    `known`: `taxonomy(config)`, made once by a caller classifying many papers.
    """
    known = known if known is not None and known.config is config else taxonomy(config)
    totals, evidence = _scores(known.index, words(title), abstract)
    chosen = topic or _best_topic(config, totals)
    names = known.names
    ranked = [names[i] for i in sorted(evidence) if evidence[i] >= TAG_EVIDENCE]
    if not extra and known.distinct:
        return Classification(chosen, tuple(ranked[:MAX_TAGS]))
    return Classification(chosen, _merge(known.canonical, list(extra), ranked))


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
