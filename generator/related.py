"""Related papers: the nearest neighbours of each paper by TF-IDF cosine over its title and
abstract (pure, deterministic), and a cache of the result in .digest-cache.

Up to EXACT_LIMIT papers the similarity of every pair is computed exactly, a block of rows
at a time, so memory stays linear in the number of papers. Frequent terms go through a dense
matrix product (BLAS is fast where the sparse pairs would be many); the long tail of rarer
terms is added pair by pair from an inverted index. Where the split lies is chosen by a small
cost model.

Beyond that, all pairs cost too much (quadratic: 620 s of CPU at 100,000 papers), so the
scores are summed over the rarer terms only: terms are taken from the rarest up while the
pairs they make stay within PAIRS_PER_PAPER per paper. The most frequent terms weigh least
(their IDF is lowest) and only they are left out; the norms still count them.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .models import Paper

TITLE_WEIGHT = 2  # a title word counts as much as two abstract words
# Scores are compared after rounding to this step, so equal documents tie exactly whatever
# the float error, and ties go to the smaller slug.
QUANTUM = 1e-5
# Cost model, measured on a 2-core machine: seconds per multiply-add of the dense product
# and per pair of the sparse one. Only their ratio matters.
DENSE_COST = 3e-11
PAIR_COST = 9e-9
DENSE_BUDGET = 1 << 24  # at most this many floats (64 MB) in the dense matrix of common terms
BLOCK_CELLS = 1 << 22  # rows per block × papers: bounds the score block at 16 MB
TAIL_CELLS = 1 << 18  # the same for the sparse sums: 2 MB, to stay in cache
EXACT_LIMIT = 20_000  # papers; beyond, the pruned (approximate) scores below
PAIRS_PER_PAPER = 600  # the pruned scores' budget: pairs of papers sharing a kept term
PAIR_CHUNK = 1 << 23  # pairs summed at once by the pruned scores: bounds memory at ~300 MB

_STOPWORDS = """a about above across after again against all also although among an and any are
as at be because been before being below between both but by can could did do does doing done
down during each either et etc few for from further had has have having here how however i if
in into is it its itself just may might more most much must no nor not now of off on once only
or other our ours out over own paper per propose proposed same several should show shown since
so some such than that the their them then there these they this those through thus to too
under until up upon us use used using very via was we were what when where whether which while
who whom why will with within without would yet"""
STOPWORDS = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"\w+")


def related_papers(papers: Sequence[Paper], count: int) -> dict[str, tuple[str, ...]]:
    """slug → the slugs of up to `count` most similar other papers, most similar first.
    Papers sharing no weighted term are never related; equal scores go to the smaller slug."""
    ordered = sorted(papers, key=lambda p: p.slug)
    if count <= 0 or len(ordered) < 2:
        return {}
    matrix = tfidf([(p.title, p.abstract) for p in ordered])
    slugs = [p.slug for p in ordered]
    out: dict[str, tuple[str, ...]] = {}
    for row, near in nearest(matrix, count):
        if near:
            out[slugs[row]] = tuple(slugs[j] for j in near)
    return out


# -- text → a sparse TF-IDF matrix ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sparse:
    """Rows of unit length in compressed sparse row form: row i holds the terms
    `terms[indptr[i]:indptr[i + 1]]` with their `weights`."""

    indptr: np.ndarray
    terms: np.ndarray
    weights: np.ndarray
    df: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(self.rows, dtype=np.int32), np.diff(self.indptr))


def bag_of_words(title: str, abstract: str, words: Words) -> Counter[int]:
    """Term counts of a paper, by term id: lowercase words of two letters or more, stop words
    and numbers out, a plural `s` folded; a title word counts TITLE_WEIGHT times."""
    bag = Counter(words.ids(abstract))
    for term in words.ids(title):
        bag[term] += TITLE_WEIGHT
    bag.pop(-1, None)
    return bag


@dataclass(slots=True)
class Words:
    """Each word seen → its term id (-1 for a word that is no term), and each term → its id."""

    known: dict[str, int] = field(default_factory=dict)
    vocab: dict[str, int] = field(default_factory=dict)

    def ids(self, text: str) -> Iterator[int]:
        found = _words(text)
        for word in set(found).difference(self.known):
            stem = _stem(word)
            self.known[word] = self.vocab.setdefault(stem, len(self.vocab)) if stem else -1
        return map(self.known.__getitem__, found)


# A session of a site under BACKGROUND_FROM papers computes related papers again after each
# title edit, in its own process: most texts and words are those of the last time (the
# words were 30 ms of a 75 ms title edit at 171 papers).
@lru_cache(maxsize=8192)
def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) < 2 or word.isdigit() or word in STOPWORDS:
        return ""
    return word


def tfidf(texts: Sequence[tuple[str, str]]) -> Sparse:
    """(title, abstract) pairs → unit rows of (1 + log tf) · log((1 + n) / (1 + df)): a term
    in every paper weighs nothing."""
    words = Words()
    terms, counts, lengths = array("i"), array("i"), array("q")
    for title, abstract in texts:
        bag = bag_of_words(title, abstract, words)
        terms.extend(bag.keys())
        counts.extend(bag.values())
        lengths.append(len(bag))
    n = len(texts)
    term_ids = np.frombuffer(terms, dtype=np.int32) if terms else np.zeros(0, np.int32)
    df = np.bincount(term_ids, minlength=len(words.vocab))
    idf = np.log((1.0 + n) / (1.0 + df))
    tf = np.frombuffer(counts, dtype=np.int32) if counts else np.zeros(0, np.int32)
    weights = (1.0 + np.log(tf)) * idf[term_ids]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    rows = np.repeat(np.arange(n, dtype=np.int32), np.frombuffer(lengths, dtype=np.int64))
    norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
    weights = weights / np.where(norms > 0, norms, 1.0)[rows]
    return Sparse(indptr, term_ids, weights.astype(np.float32), df)


# -- all pairs, a block at a time -------------------------------------------------------------


def nearest(matrix: Sparse, count: int) -> list[tuple[int, tuple[int, ...]]]:
    """(row, its nearest other rows) for every row: by exact cosine up to EXACT_LIMIT rows,
    else by the cosine summed over the rarer terms (`pruned_nearest`)."""
    n = matrix.rows
    if n > EXACT_LIMIT:
        return pruned_nearest(matrix, count, PAIRS_PER_PAPER * n)
    useful = (matrix.df[matrix.terms] >= 2) & (matrix.weights > 0)  # a term of one paper
    head_terms = common_terms(matrix.df, n)  # only adds to its norm, counted already
    is_head = np.zeros(len(matrix.df), dtype=bool)
    is_head[head_terms] = True
    head = dense_rows(matrix, useful & is_head[matrix.terms], head_terms)
    tail = Postings.of(matrix, useful & ~is_head[matrix.terms])
    block = max(1, min(n, BLOCK_CELLS // n))
    out = []
    for start in range(0, n, block):
        end = min(n, start + block)
        scores = head[start:end] @ head.T
        tail.add_scores(scores, start)
        out.extend(zip(range(start, end), top(scores, start, count), strict=True))
    return out


def common_terms(df: np.ndarray, n: int) -> np.ndarray:
    """The terms worth a dense column: the most frequent ones, as many as make
    n² · columns · DENSE_COST + (pairs left to the sparse part) · PAIR_COST least."""
    order = np.argsort(-df, kind="stable")
    order = order[df[order] >= 2]
    pairs = df[order].astype(np.float64) ** 2
    left = pairs.sum() - np.concatenate([[0.0], np.cumsum(pairs)])
    limit = min(len(order), DENSE_BUDGET // max(n, 1))
    cost = float(n) * n * np.arange(limit + 1) * DENSE_COST + left[: limit + 1] * PAIR_COST
    return order[: int(np.argmin(cost))]


def dense_rows(matrix: Sparse, keep: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Rows × `columns` as a dense float32 array, from the entries `keep` selects."""
    column_of = np.full(len(matrix.df), -1, dtype=np.int64)
    column_of[columns] = np.arange(len(columns))
    out = np.zeros((matrix.rows, len(columns)), dtype=np.float32)
    out[matrix.row_ids()[keep], column_of[matrix.terms[keep]]] = matrix.weights[keep]
    return out


@dataclass(frozen=True, slots=True)
class Postings:
    """The chosen entries twice over: by row (what a block of rows holds) and by term (which
    rows hold a term), to add up the pairs that share a term."""

    n: int
    row_ptr: np.ndarray
    row_terms: np.ndarray
    row_weights: np.ndarray
    term_ptr: np.ndarray
    term_rows: np.ndarray
    term_weights: np.ndarray

    @classmethod
    def of(cls, matrix: Sparse, keep: np.ndarray) -> Postings:
        rows, terms, weights = matrix.row_ids()[keep], matrix.terms[keep], matrix.weights[keep]
        row_ptr = np.zeros(matrix.rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=matrix.rows), out=row_ptr[1:])
        by_term = np.argsort(terms, kind="stable")
        term_ptr = np.zeros(len(matrix.df) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(matrix.df)), out=term_ptr[1:])
        return cls(matrix.rows, row_ptr, terms, weights, term_ptr, rows[by_term], weights[by_term])

    def add_scores(self, out: np.ndarray, start: int) -> None:
        """Add to `out` the dot products of rows start.. with every row, a few rows at a time
        so the sums being added to stay in the processor's cache (3x faster)."""
        step = max(1, TAIL_CELLS // self.n)
        for first in range(0, len(out), step):
            last = min(len(out), first + step)
            out[first:last] += self._scores(start + first, start + last)

    def pair_counts(self) -> np.ndarray:
        """Per row r, the pairs rows 0..r-1 make with the rows they share a term with."""
        lengths = self.term_ptr[self.row_terms + 1] - self.term_ptr[self.row_terms]
        by_entry = np.concatenate([[0], np.cumsum(lengths)])
        return by_entry[self.row_ptr]

    def pairs(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row - start, other row, summed product) of rows start..end with every row they
        share a term with, itself left out."""
        cells, values = self._products(start, end)
        cells, inverse = np.unique(cells, return_inverse=True)
        sums = np.bincount(inverse, weights=values)
        row, col = np.divmod(cells, self.n)
        other = col != row + start
        return row[other], col[other], sums[other]

    def _scores(self, start: int, end: int) -> np.ndarray:
        cells, values = self._products(start, end)
        sums = np.bincount(cells, weights=values, minlength=(end - start) * self.n)
        return sums.reshape(end - start, self.n)

    def _products(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """Each product of an entry of rows start..end with an entry of the same term: its
        cell (row - start) · n + other row, and its value."""
        lo, hi = self.row_ptr[start], self.row_ptr[end]
        terms, weights = self.row_terms[lo:hi], self.row_weights[lo:hi]
        local = np.repeat(np.arange(end - start), np.diff(self.row_ptr[start : end + 1]))
        first, lengths = self.term_ptr[terms], self.term_ptr[terms + 1] - self.term_ptr[terms]
        total = int(lengths.sum())
        shift = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        where = shift + np.arange(total)  # each entry's postings, one after another
        cells = np.repeat(local * self.n, lengths) + self.term_rows[where]
        values = np.repeat(weights, lengths) * self.term_weights[where]
        return cells, values


def pruned_nearest(matrix: Sparse, count: int, budget: int) -> list[tuple[int, tuple[int, ...]]]:
    """Nearest rows by dot products over the rarest terms whose pairs fit in `budget`."""
    n = matrix.rows
    df = matrix.df.astype(np.float64)
    order = np.argsort(df, kind="stable")
    order = order[df[order] >= 2]
    kept_terms = order[: int(np.searchsorted(np.cumsum(df[order] ** 2), budget, "right"))]
    is_kept = np.zeros(len(matrix.df), dtype=bool)
    is_kept[kept_terms] = True
    postings = Postings.of(matrix, is_kept[matrix.terms] & (matrix.weights > 0))
    near: list[tuple[int, ...]] = [() for _ in range(n)]
    counts = postings.pair_counts()
    start = 0
    while start < n:
        end = int(np.searchsorted(counts, counts[start] + PAIR_CHUNK, "right")) - 1
        end = min(n, max(start + 1, end))
        row, col, score = postings.pairs(start, end)
        near[start:end] = best_of(row, col, score, end - start, count)
        start = end
    return list(enumerate(near))


def best_of(
    row: np.ndarray, col: np.ndarray, score: np.ndarray, rows: int, count: int
) -> list[tuple[int, ...]]:
    """Per row, the `count` best candidates (sparse, in column order within a row): highest
    rounded score, then smallest column; a score that rounds to zero is no neighbour."""
    rounded = np.rint(score / QUANTUM).astype(np.int64)  # at most 1 / QUANTUM
    keep = rounded > 0
    row, col, rounded = row[keep], col[keep], rounded[keep]
    # one integer key, row then highest score; a stable sort keeps the columns' order
    order = np.argsort((row.astype(np.int64) << 32) - rounded, kind="stable")
    return _first_of_each_row(row[order], col[order], rows, count)


def top(scores: np.ndarray, start: int, count: int) -> list[tuple[int, ...]]:
    """Per row of a block, the `count` best other columns: highest rounded score first, then
    smallest index; a score that rounds to zero is no neighbour."""
    rows, n = scores.shape
    scores[np.arange(rows), np.arange(start, start + rows)] = -1.0  # not its own neighbour
    k = min(count, n - 1)
    kth = np.partition(scores, n - k, axis=1)[:, n - k]
    # every column that might tie the k-th after rounding, and none that rounds to zero
    floor = np.maximum(kth - QUANTUM, QUANTUM / 2)
    row, col = np.nonzero(scores >= floor[:, None])
    rounded = np.rint(scores[row, col] / QUANTUM)
    order = np.lexsort((col, -rounded, row))
    return _first_of_each_row(row[order], col[order], rows, k)


def _first_of_each_row(
    row: np.ndarray, col: np.ndarray, rows: int, count: int
) -> list[tuple[int, ...]]:
    """Per row 0..rows-1, the columns of its first `count` entries (`row` sorted)."""
    first = np.searchsorted(row, np.arange(rows))
    keep = np.arange(len(row)) - first[row] < count
    out: list[list[int]] = [[] for _ in range(rows)]
    for r, c in zip(row[keep].tolist(), col[keep].tolist(), strict=True):
        out[r].append(c)
    return [tuple(near) for near in out]
