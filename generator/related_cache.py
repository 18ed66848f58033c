"""Related papers kept in .digest-cache/related.json, and computed (when not kept) in a
forked process while the model is built. The similarity itself is related.py, imported
only when something must be computed: NumPy's import was a tenth of a small build's start."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import multiprocessing.process
from collections.abc import Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from .models import Paper
from .records import write_atomic

CACHE_FILE = "related.json"
CACHE_FORMAT = 1

Texts = list[tuple[str, str, str]]  # (slug, title, abstract) of each paper


def texts_of(papers: Iterable[Paper]) -> Texts:
    """By slug, as `paper_texts` in site.py gives them."""
    return sorted((p.slug, p.title, p.abstract) for p in papers)


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
    result is shown (see build.session_related): `result` waits for them. Only a
    computation is forked; a result found in the cache is returned at once."""

    def __init__(self, cache: Path, texts: Texts, count: int, memo: RelatedMemo) -> None:
        self.cache, self.texts, self.count, self.memo = cache, texts, count, memo
        self.key = corpus_key(texts, count)
        self.found = _load(cache / CACHE_FILE, self.key) if count > 0 else {}
        self.process: multiprocessing.process.BaseProcess | None = None
        if self.found is None:
            context = multiprocessing.get_context("fork")
            self.receive, send = context.Pipe(duplex=False)
            self.process = context.Process(
                target=_compute,
                args=(cache / CACHE_FILE, self.key, texts, count, send),
                daemon=True,
            )
            self.process.start()
            send.close()

    def done(self) -> bool:
        """True when `result` would not wait."""
        return self.process is None or self.receive.poll()

    def result(self, texts: Texts) -> dict[str, tuple[str, ...]]:
        """The related papers of `texts`: those computed, if `texts` are what was given."""
        if self.process is not None:
            with contextlib.suppress(EOFError, OSError):
                self.found = self.receive.recv()
            self.receive.close()
            self.process.join()
            self.process = None
        found = self.found
        if found is None or texts != self.texts:  # a worker that died, or other papers
            return cached_related(self.cache, texts, self.count, self.memo)
        self.memo.inputs, self.memo.result = (self.count, texts), found
        return found

    def cancel(self) -> None:
        """Stop a computation no longer wanted (the papers changed again meanwhile)."""
        if self.process is not None:
            self.process.terminate()
            self.process.join()
            self.receive.close()
            self.process = None


def _compute(path: Path, key: str, texts: Texts, count: int, send: Connection) -> None:
    found = related_of(texts, count)
    _save(path, key, found)
    send.send(found)
    send.close()


def _load(path: Path, key: str) -> dict[str, tuple[str, ...]] | None:
    try:
        data = json.loads(path.read_bytes())
        if data["key"] != key:
            return None
        slugs = data["slugs"]
        return {slugs[i]: tuple(slugs[j] for j in near) for i, *near in data["near"]}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _save(path: Path, key: str, related: dict[str, tuple[str, ...]]) -> None:
    slugs = sorted({s for near in related.values() for s in near} | set(related))
    index = {s: i for i, s in enumerate(slugs)}
    near = [[index[s], *(index[t] for t in related[s])] for s in sorted(related)]
    data = json.dumps({"key": key, "slugs": slugs, "near": near}, separators=(",", ":"))
    with contextlib.suppress(OSError):
        write_atomic(path, data.encode("utf-8"))
