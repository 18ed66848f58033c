"""Related papers kept in .digest-cache/related.json, and computed (when not kept) in a
forked process (forked.Forked) while the model is built. The similarity itself is
related.py, imported only when something must be computed: NumPy's import was a tenth of a
small build's start.

Tests: tests/test_related.py, tests/test_session.py
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .atomic import write_atomic
from .forked import Forked
from .models import Paper

CACHE_FILE = "related.json"
CACHE_FORMAT = 1

Texts = list[tuple[str, str, str]]  # (slug, title, abstract) of each paper


def texts_of(papers: Iterable[Paper], memo: RelatedMemo | None = None) -> Texts:
    """By slug, as `paper_texts` in site.py gives them. With `memo`: the last build's list
    while the papers are the same objects or have the same titles and abstracts, or that
    list with the texts of the papers that changed put in (the same slugs, a title edit)."""
    papers = list(papers)
    if memo is None or len(memo.papers) != len(papers):
        return _remember(papers, memo)
    last, texts, where = memo.papers, memo.texts, memo.where
    for paper in papers:
        known = last.get(paper.slug)
        if known is paper:
            continue
        if known is None:
            return _remember(papers, memo)
        if known.title != paper.title or known.abstract != paper.abstract:
            if texts is memo.texts:
                texts = list(texts)  # the last list is held by what was computed from it
            texts[where[paper.slug]] = (paper.slug, paper.title, paper.abstract)
    memo.papers = {p.slug: p for p in papers}
    memo.texts = texts
    return texts


def _remember(papers: list[Paper], memo: RelatedMemo | None) -> Texts:
    """Every paper's text, sorted, and where each is kept in `memo` for the next call."""
    texts = sorted((p.slug, p.title, p.abstract) for p in papers)
    if memo is not None:
        memo.papers, memo.texts = {p.slug: p for p in papers}, texts
        memo.where = {text[0]: i for i, text in enumerate(texts)}
    return texts


def corpus_key(texts: Texts, count: int) -> str:
    """What the result depends on: every paper's slug, title and abstract (by slug), and
    `count`."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{CACHE_FORMAT}\x00{count}\x00".encode())
    for text in texts:
        for part in text:
            h.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    return h.hexdigest()


@dataclass(slots=True)
class RelatedMemo:
    """A session's last result with what it was computed from: a build whose papers show
    the same slugs, titles and abstracts neither hashes the corpus nor reads the cache."""

    inputs: tuple[int, Texts] = (0, [])
    result: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the papers texts_of last saw, the texts it gave and where each slug is in them
    papers: dict[str, Paper] = field(default_factory=dict)
    texts: Texts = field(default_factory=list)
    where: dict[str, int] = field(default_factory=dict)


def cached_related(
    cache: Path,
    texts: Texts,
    count: int,
    memo: RelatedMemo | None = None,
) -> dict[str, tuple[str, ...]]:
    """related_papers, kept in `cache`/related.json: an unchanged corpus is not computed again.
    A missing, damaged or unwritable cache only costs the computation."""
    inputs = (count, texts)
    if memo is not None and memo.inputs == inputs:
        return memo.result
    key = corpus_key(texts, count)
    path = cache / CACHE_FILE
    found = _load(path, key)
    if found is None:
        found = related_of(texts, count)
        _save(path, key, found)
    if memo is not None:
        memo.inputs, memo.result = inputs, found
    return found


def related_of(texts: Texts, count: int) -> dict[str, tuple[str, ...]]:
    from .related import related_papers  # NumPy, loaded only to compute

    papers = [
        Paper(slug=s, title=t, abstract=a, topic="", tags=(), sources=()) for s, t, a in texts
    ]
    return related_papers(papers, count)


class Pending:
    """Related papers being computed in a forked process, while this one builds the model
    (both take seconds on a cold build of 10,000 papers) or, in a session, while the last
    result is shown (see incremental.session_related): `result` waits for them. Only a
    computation is forked; a result found in the cache is returned at once."""

    def __init__(
        self,
        cache: Path,
        texts: Texts,
        count: int,
        memo: RelatedMemo,
        start: bool = True,
        niceness: int = 0,
    ) -> None:
        self.cache, self.texts, self.count, self.memo = cache, texts, count, memo
        self.niceness = niceness  # of the forked process: a session's builds go first
        self.started = False
        self.found: dict[str, tuple[str, ...]] | None = None
        self.forked: Forked[dict[str, tuple[str, ...]]] | None = None
        if start:
            self.start()

    def start(self) -> None:
        """Look in the cache, and fork the computation if not found there; once only. A
        session starts it after its build, not during it (see BuildSession.related_ready):
        hashing the corpus and forking were a tenth of a title edit's build."""
        if self.started:
            return
        self.started = True
        texts, count = self.texts, self.count
        key = corpus_key(texts, count)
        path = self.cache / CACHE_FILE
        self.found = _load(path, key) if count > 0 else {}
        if self.found is None:
            self.forked = Forked(partial(_computed, path, key, texts, count), self.niceness)

    def done(self) -> bool:
        """True when `result` would not wait."""
        forked = self.forked
        if not self.started or forked is None:
            return self.started
        return forked.done()

    def result(self, texts: Texts) -> dict[str, tuple[str, ...]]:
        """The related papers of `texts`: those computed, if `texts` are what was given."""
        self.start()
        if self.forked is not None:  # computed here if the process could not
            self.found = self.forked.result()
            self.forked = None
        found = self.found
        if found is None or texts != self.texts:  # cancelled, or other papers
            return cached_related(self.cache, texts, self.count, self.memo)
        self.memo.inputs, self.memo.result = (self.count, texts), found
        return found

    def cancel(self) -> None:
        """Stop a computation no longer wanted (the papers changed again meanwhile)."""
        if self.forked is not None:
            self.forked.cancel()
            self.forked = None


def _computed(path: Path, key: str, texts: Texts, count: int) -> dict[str, tuple[str, ...]]:
    """The related papers of `texts`, kept in the cache (in the forked process)."""
    found = related_of(texts, count)
    _save(path, key, found)
    return found


def _load(path: Path, key: str) -> dict[str, tuple[str, ...]] | None:
    try:
        with path.open("rb") as file:  # the key comes first (see _save): a session's edit
            head = _head(key)  # reads 60 bytes, not the 2 MB kept for another corpus
            if file.read(len(head)) != head:
                return None
            data = json.loads(head + file.read())
        if data["key"] != key:
            return None
        slugs = data["slugs"]
        return {slugs[i]: tuple(slugs[j] for j in near) for i, *near in data["near"]}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _head(key: str) -> bytes:
    return b'{"key":' + json.dumps(key).encode() + b","


def _save(path: Path, key: str, related: dict[str, tuple[str, ...]]) -> None:
    slugs = sorted({s for near in related.values() for s in near} | set(related))
    index = {s: i for i, s in enumerate(slugs)}
    near = [[index[s], *(index[t] for t in related[s])] for s in sorted(related)]
    data = json.dumps({"key": key, "slugs": slugs, "near": near}, separators=(",", ":"))
    with contextlib.suppress(OSError):
        write_atomic(path, data.encode("utf-8"))
