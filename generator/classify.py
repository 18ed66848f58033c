"""The taxonomy applied to a paper: one topic and its tags, from words and phrases (pure)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
_TOKEN = re.compile(r"[a-z0-9]+")
# words, and the full stops ending a sentence (followed by a space or the end)
_TOKEN_STOP = re.compile(r"[a-z0-9]+|[.!?](?=\s|$)")
_STOP = re.compile(r" [.!?] ")
# a sentence of the paper's own claims: the paper is its subject
_SUBJECT = re.compile(
    r"(?:^| )(?:we|our|here|this (?:paper|work|study|survey|review|article|thesis|dissertation"
    r"|book))(?: |$)"
)
# a note that code, data or models are available: no evidence of what the paper is about
_AVAILABLE = re.compile(
    r"(?:^| )(?:https?|github|www)(?: |$)| (?:is|are) (?:now |publicly |freely )?available"
    r"| available (?:at|online|on|from) | will be (?:publicly )?(?:released|available|open)"
    r"| (?:we |will )?(?:publicly )?(?:release|open source) (?:our|the|all|code)"
    r"| codes? (?:is|are|and|will|can) "
)


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
    return " " + " ".join(_TOKEN.findall(_folded(text))) + " "


def _folded(text: str) -> str:
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def sentences(abstract: str) -> tuple[str, str]:
    """An abstract's claims and its background, each as made by `words` with ` . ` between
    sentences (a phrase never spans two). The claims start at the first sentence the paper
    is the subject of ("we ...", "this paper ..."), or at the first sentence when none is;
    notes that code or data are available are left out."""
    tokens = _TOKEN_STOP.findall(_folded(abstract))
    texts = [s for s in _STOP.split(" " + " ".join(tokens) + " ") if not _AVAILABLE.search(s)]
    for i, sentence in enumerate(texts):
        if _SUBJECT.search(sentence):
            break
    else:
        i = 0
    return " " + " . ".join(texts[i:]) + " ", " " + " . ".join(texts[:i]) + " "


@dataclass(frozen=True, slots=True)
class _Index:
    """Every term of a taxonomy as a tuple of words, mapped to the rules that use it."""

    terms: dict[tuple[str, ...], tuple[int, ...]]
    single: frozenset[str]
    starts: frozenset[str]
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # first word → (term, " a b ")
    rules: int
    spaced: dict[tuple[str, ...], str]  # term → " a b "
    exclude: dict[int, tuple[str, ...]]  # rule → its excluded phrases, " a b "


@lru_cache(maxsize=64)
def _index(rules: tuple[Rule, ...]) -> _Index:
    terms: dict[tuple[str, ...], set[int]] = {}
    exclude: dict[int, tuple[str, ...]] = {}
    for i, rule in enumerate(rules):
        for term in (*rule.keywords, *rule.phrases):
            key = tuple(words(term).split())
            if key:
                terms.setdefault(key, set()).add(i)
        spaced = tuple(words(phrase) for phrase in rule.exclude if words(phrase).strip())
        if spaced:
            exclude[i] = spaced
    single = frozenset(k[0] for k in terms if len(k) == 1)
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key in terms:
        if len(key) > 1:
            phrases.setdefault(key[0], []).append((key, f" {' '.join(key)} "))
    index = {k: tuple(sorted(v)) for k, v in terms.items()}
    by_start = {word: tuple(found) for word, found in phrases.items()}
    spaced_terms = {k: f" {' '.join(k)} " for k in terms}
    return _Index(index, single, frozenset(phrases), by_start, len(rules), spaced_terms, exclude)


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


def _outside(index: _Index, rule: int, term: tuple[str, ...], text: str) -> bool:
    """Whether `term` is in `text` outside the rule's excluded phrases."""
    for phrase in index.exclude[rule]:
        if phrase in text:
            text = text.replace(phrase, " | ")
    return index.spaced[term] in text


def _scores(index: _Index, title: str, abstract: str) -> tuple[list[int], list[int]]:
    """Per rule of the index: the topic score (each of its terms counts TITLE_WEIGHT if in
    the title, CLAIM_WEIGHT if in a claim sentence, OTHER_WEIGHT if in another sentence)
    and the tag evidence (the same weights, once per place whatever the number of terms,
    a claim counted per claim sentence). Arguments as made by `words` and `sentences`."""
    totals = [0] * index.rules
    evidence = [0] * index.rules
    claims, others = sentences(abstract)
    claimed: dict[int, list[tuple[str, ...]]] = {}
    for weight, text in ((TITLE_WEIGHT, title), (CLAIM_WEIGHT, claims), (OTHER_WEIGHT, others)):
        seen: set[int] = set()
        for term in _found(index, text):
            for i in index.terms[term]:
                if i in index.exclude and not _outside(index, i, term, text):
                    continue
                totals[i] += weight
                if i not in seen:
                    seen.add(i)
                    evidence[i] += weight
                    if weight == CLAIM_WEIGHT:
                        claimed[i] = [term]
                elif weight == CLAIM_WEIGHT:
                    claimed[i].append(term)
    for i, terms in claimed.items():
        if evidence[i] == CLAIM_WEIGHT:  # only in claims: how many claim sentences?
            spaced = [index.spaced[t] for t in terms]
            found = sum(any(s in f" {c} " for s in spaced) for c in claims.split(" . "))
            evidence[i] = CLAIM_WEIGHT * found
    return totals, evidence


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
    """The best-scoring topic (taxonomy order breaks ties; `Other` if none) and the tags with
    enough evidence, in taxonomy order (the taxonomy lists the specific tags first: a card
    shows the first three).

    A record's own `topic` wins; its own `tags` come first and are kept whatever the cap.
    `known`: `taxonomy(config)`, made once by a caller classifying many papers.
    """
    known = known if known is not None and known.config is config else taxonomy(config)
    totals, evidence = _scores(known.index, words(title), abstract)
    chosen = topic or _best_topic(config, totals[: len(config.topics)])
    first = len(config.topics)
    ranked = [
        rule.name
        for i, rule in enumerate(config.tags, first)
        if evidence[i] >= TAG_EVIDENCE
    ]
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
