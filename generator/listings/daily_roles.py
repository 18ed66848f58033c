"""Roles of a daily listing's text lines: which line is a title, an abstract, or continues the
line above, by the most likely sequence of roles (Viterbi) over how much each line reads
like a title or like prose and how likely two adjacent lines are one wrapped paragraph.

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lines import Kind, Line
from .text import capitalised_ratio, sentence_count

T0, T1, A0, A1 = range(4)  # a title's first line, its continuation; the same for abstracts
_NEVER = float("-inf")
_ABBREVIATIONS = (" e.g.", " i.e.", " et al.", " etc.", " vs.", " cf.", " Fig.", " Eq.", " approx.")
_PROSE_START = re.compile(
    r"^(?:we|our|in this (?:paper|work|study)|this (?:paper|work|study)|recent|however|"
    r"although|while|despite|to (?:address|this end)|existing|current)\b",
    re.IGNORECASE,
)
# a line ending in one of these words goes on in the next
_CONNECTORS = frozenset(
    """a an and as at by for from in into of on or the to via with without that which whose
    is are was were be we our its their this these than both between""".split()  # noqa: SIM905
)
# a full stop inside a line, not an abbreviation's ("e.g. ", "et al. ", "J. Smith")
_FULL_STOP = re.compile(
    r"(?<!\b[A-Z])(?<!\be\.g)(?<!\bi\.e)(?<!\bal)(?<!\bvs)\.[\"')\]]?\s+[A-Z(\"]"
)
_NO_ABSTRACT = 2.0  # the cost of a title followed by another title
_LONG = 250  # characters: a line this long is prose, whatever its capitals say


def line_texts(body: list[Line]) -> tuple[list[Line], list[bool], list[bool]]:
    """The text lines; for each, whether the line right before it is text too (no blank
    between), and whether paper metadata comes between it and the text before (the paper
    before is complete: a card's title, then its `· N authors`)."""
    texts: list[Line] = []
    adjacent: list[bool] = []
    after_meta: list[bool] = []
    previous: Line | None = None
    meta = False
    for line in body:
        kind = line.kind
        if kind is Kind.TEXT:
            texts.append(line)
            adjacent.append(not line.gap and previous is not None and previous.kind is Kind.TEXT)
            after_meta.append(meta)
            meta = False
        elif kind is Kind.AUTHORS or kind is Kind.DATE:
            meta = True
        previous = line
    return texts, adjacent, after_meta


def line_roles(texts: list[Line], adjacent: list[bool], after_meta: list[bool]) -> list[int]:
    """The most likely role of each text line (Viterbi over four roles)."""
    if not texts:
        return []
    widths = _widths(texts, adjacent)
    near = [*adjacent, False]
    # a line standing whole: no text right before it, and none right after it unless the
    # line stops far short of the width its text is wrapped at (then it ends there)
    shapes = [
        _Shape.of(line.text, not near[i] and (not near[i + 1] or _short(line.text, widths[i])))
        for i, line in enumerate(texts)
    ]
    first = shapes[0].title / 2
    score = [first, _NEVER, -3.0 - first, _NEVER]
    back: list[tuple[int, ...]] = []
    for i in range(1, len(texts)):
        join = _join(shapes[i - 1], shapes[i], widths[i]) if adjacent[i] else None
        half = shapes[i].title / 2
        t0, t1, a0, a1 = score
        lone = 0.5 if after_meta[i] else _NO_ABSTRACT
        title_best = max(t0, t1)
        title_from = T0 if t0 >= t1 else T1
        abstract_best = max(a0, a1)
        abstract_from = A0 if a0 >= a1 else A1
        # a new title: after an abstract (usual) or a title (that had no abstract: rare)
        new_t = (
            (abstract_best, abstract_from)
            if abstract_best >= title_best - lone
            else (title_best - lone, title_from)
        )
        # a new abstract: after a title (usual) or an abstract (no title before it: rarer)
        new_a = (
            (title_best, title_from)
            if title_best >= abstract_best - 4.0
            else (abstract_best - 4.0, abstract_from)
        )
        if join is None:
            more_t = more_a = (_NEVER, T0)
        else:
            # a title of three lines or more is rare
            more_t = (t0 + join, T0) if t0 >= t1 - 3.0 else (t1 - 3.0 + join, T1)
            more_a = (abstract_best + join, abstract_from)
        # a wrapped line's own shape says less than a whole line's
        more = half * 0.6 - (1.5 if shapes[i].prose else 0.0)
        stop = shapes[i].stops  # a full stop inside: prose, however it is wrapped
        score = [
            new_t[0] + half - stop,
            more_t[0] + more - stop,
            new_a[0] - half,
            more_a[0] - more,
        ]
        back.append((new_t[1], more_t[1], new_a[1], more_a[1]))
    score = [s - (1.0 if role in (T0, T1) else 0.0) for role, s in enumerate(score)]
    role = max(range(4), key=lambda r: score[r])
    roles = [role]
    for links in reversed(back):
        role = links[role]
        roles.append(role)
    return roles[::-1]


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the roles are judged on, worked out once per line."""

    text: str
    capitals: float  # the share of content words in capitals (titles: most)
    title: float  # how much it reads like a title: positive for a title
    first: str  # its first word
    sentence_end: bool  # it ends a sentence
    stops: float  # a penalty for the full stops inside it, as a title
    prose: bool = False  # it opens like a sentence of an abstract ("We ...", "In this paper")

    @staticmethod
    def of(text: str, alone: bool = True) -> _Shape:
        ends = text[-1]
        sentence_end = ends in "!?" or (ends == "." and not _abbreviated(text))
        first = text[: text.find(" ")] if " " in text[:64] else text.split(" ", 1)[0]
        if len(text) > _LONG:  # prose: most lines of a listing, so no more is worked out
            return _Shape(text, 0.0, -6.0, first, sentence_end, 0.0)
        capitals = capitalised_ratio(text)
        stops = len(_FULL_STOP.findall(text)) if ". " in text else 0
        title = _title_score(text, capitals, sentence_end, alone, stops)
        prose = _PROSE_START.match(text) is not None
        return _Shape(text, capitals, title, first, sentence_end, 1.5 if stops else 0.0, prose)


def _title_score(text: str, capitals: float, sentence_end: bool, alone: bool, stops: int) -> float:
    """How much a line reads like (part of) a title rather than prose: positive for a title."""
    score = (capitals - 0.5) * 6
    last = text[-1]
    if last == "." and sentence_end:
        score -= 1.5
    elif last == "!":
        score -= 0.5
    elif last not in ".?":
        score += 1.0
    if len(text) > 160:
        score -= 1.0
    elif alone and capitals >= 0.6 and last not in ".!?":
        score += 2.0  # short, in capitals, no full stop: an abstract hardly ever looks so
    # "Opaque. We": titles have no full stop inside ("Why? A ..." is a question)
    score -= 3.0 * min(stops, 2)
    if ("? " in text or "! " in text) and sentence_count(text) > stops + 1:
        score -= 0.5
    if _PROSE_START.match(text):
        score -= 1.5
    return score


def _short(text: str, width: int | None) -> bool:
    return width is not None and len(text) * 2 <= width


def _abbreviated(text: str) -> bool:
    """Whether a line's closing full stop is an abbreviation's ("e.g.", "et al.", "J.")."""
    if text.endswith(_ABBREVIATIONS):
        return True
    return len(text) >= 2 and text[-2].isupper() and (len(text) == 2 or not text[-3].isalnum())


def _join(before: _Shape, line: _Shape, width: int | None) -> float:
    """How likely `line` continues `before` (one hard-wrapped paragraph): positive for yes."""
    first = line.first
    score = 0.0
    if first[:1].islower() and first.islower():
        score += 3.0
    text = before.text
    if text[-1] in ",;:-–—(/&" or text.rsplit(" ", 1)[-1].lower() in _CONNECTORS:
        score += 2.5
    elif before.sentence_end:
        score -= 1.5
    else:
        score += 0.5
    if width is not None:
        slack = width - (len(text) + 1 + len(first))
        # a line that stops far short of the width the text is wrapped at ends there
        if slack >= width // 2:
            score -= 3.5
        else:
            score += -2.5 if slack >= width // 4 else -0.5 if slack >= 0 else 1.0
    if len(text) <= _LONG and len(line.text) <= _LONG:
        score += _style_change(before.capitals, line.capitals, before.sentence_end)
    return score


def _style_change(a: float, b: float, sentence_end: bool) -> float:
    """Title-case text then prose (or prose then title-case text) is a new paragraph."""
    if a >= 0.6 and b <= 0.4 and not sentence_end:
        return -2.0  # a title, then its abstract
    if a <= 0.4 and b >= 0.6 and sentence_end:
        return -2.0  # an abstract's end, then the next title
    if a <= 0.4 and b <= 0.4:
        return 1.0
    return 0.5 if a >= 0.6 and b >= 0.6 else 0.0


def _widths(texts: list[Line], adjacent: list[bool]) -> list[int | None]:
    """Per text line, the width its paragraph seems wrapped at (None when unknown): from
    each run of three or more adjacent lines, the upper quartile of its lines but the last;
    for shorter runs, the median of the file's runs."""
    runs: list[list[Line]] = []
    for line, near in zip(texts, adjacent, strict=True):
        if runs and near:
            runs[-1].append(line)
        else:
            runs.append([line])
    known = [_run_width(run) for run in runs if len(run) >= 3]
    fallback = sorted(known)[len(known) // 2] if known else None
    out: list[int | None] = []
    for run in runs:
        width = _run_width(run) if len(run) >= 3 else fallback
        out.extend([width] * len(run))
    return out


def _run_width(run: list[Line]) -> int:
    sizes = sorted(len(line.text) for line in run[:-1])
    return sizes[min(len(sizes) - 1, (len(sizes) * 3) // 4)] if len(sizes) >= 4 else sizes[-1]
