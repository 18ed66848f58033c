"""What each line of a listing is, from its own shape and its neighbours: blank, page
chrome, a date, paper metadata (`· N authors`, a `·` separator) or text (a title, an
abstract, or the continuation of either, which the formats' readers decide).

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from .chrome import Chrome
from .dates import DateMatch, match_date

AUTHORS = re.compile(r"^[•·*\-]?\s*(\d{1,5})\s+authors?$", re.IGNORECASE)
SEPARATORS = frozenset({"·", "•", "-", "|", "—", "–"})
_SUBMITTER = 40  # characters: a submitter's name or handle, on the line after "Submitted by"


class Kind(Enum):
    CHROME = "chrome"
    DATE = "date"
    AUTHORS = "authors"
    SEPARATOR = "separator"
    TEXT = "text"


@dataclass(slots=True)
class Line:
    number: int  # 1-based, as an editor shows it
    text: str
    kind: Kind
    gap: bool = False  # a blank line (or the start of the file) comes before it
    date: DateMatch | None = None
    authors: int | None = None


def classify(texts: list[str], chrome: Chrome) -> list[Line]:
    """Each line but the blank ones, with its kind. A name alone after a bare "Submitted by"
    is chrome too; a chrome word under an unfinished text line is text."""
    out: list[Line] = []
    after_submitted = False
    gap = True
    for number, text in enumerate(texts, 1):
        if not text:
            gap = True
            continue
        line = _kind(number, text, chrome)
        line.gap, gap = gap, False
        if after_submitted and line.kind is Kind.TEXT and _looks_like_name(text):
            line.kind = Kind.CHROME
        elif line.kind is Kind.CHROME and not line.gap and out and _wraps(out[-1], text, chrome):
            line.kind = Kind.TEXT  # "Models" ending a title wrapped after "... Language"
        after_submitted = text.casefold() == "submitted by"
        out.append(line)
    return out


def _kind(number: int, text: str, chrome: Chrome) -> Line:
    if text in SEPARATORS:
        return Line(number, text, Kind.SEPARATOR)
    if len(text) < 40:
        authors = AUTHORS.match(text)
        if authors:
            return Line(number, text, Kind.AUTHORS, authors=int(authors[1]))
        found = match_date(text)
        if found is not None:
            return Line(number, text, Kind.DATE, date=found)
    if len(text) < 120 and chrome.matches(text):
        return Line(number, text, Kind.CHROME)
    return Line(number, text, Kind.TEXT)


def _wraps(before: Line, text: str, chrome: Chrome) -> bool:
    """A chrome word right under a text line that does not end a sentence continues it,
    unless the text line is a submitter's or chrome itself."""
    return (
        before.kind is Kind.TEXT
        and text.casefold() in chrome.lines
        and not before.text.endswith((".", "!", "?", ":"))
        and len(before.text) > _SUBMITTER
    )


def _looks_like_name(text: str) -> bool:
    return len(text) <= _SUBMITTER and len(text.split()) <= 4 and not text.endswith(".")
