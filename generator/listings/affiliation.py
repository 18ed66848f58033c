"""Affiliation listing: an institution's name, then one `Abstract:<text>` line per paper (an
abstract may be wrapped over more lines without the prefix); another institution's name
starts its own abstracts. No titles: ingest makes one from each abstract.

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

import re

from ..errors import warning
from ..models import Entry, Listing
from .chrome import DEFAULT, Chrome
from .lines import Kind, Line, classify
from .text import capitalised_ratio, looks_like_abstract, split_lines

NAME = "affiliation"

_PREFIX = re.compile(r"^abstract\s*[:：]\s*", re.IGNORECASE)
# found from the "\n" before it: MULTILINE's `^` is tried at every character, ten times slower
_PREFIXED = re.compile(r"\n[ \t\ufeff]*[Aa](?:bstract|BSTRACT)[ \t]*[:：]")


def detect(text: str) -> float:
    head = text[:200000]
    hits = len(_PREFIXED.findall("\n" + head))
    if not hits:
        return 0.0
    lines = [line for line in split_lines(head) if line]
    # wrapped abstracts take several lines each
    return 0.9 if hits and (hits >= 2 or len(lines) <= 30) and hits * 15 >= len(lines) else 0.0


def parse(text: str, path: str, chrome: Chrome = DEFAULT) -> Listing:
    listing = Listing(name=path, format=NAME)
    lines = [
        line
        for line in classify(split_lines(text), chrome)
        if line.kind is not Kind.CHROME or _PREFIX.match(line.text)
    ]
    reader = _Reader(listing)
    for index, line in enumerate(lines):
        reader.feed(line, _next_is_abstract(lines, index))
    reader.close()
    return listing


def _next_is_abstract(lines: list[Line], index: int) -> bool:
    return index + 1 < len(lines) and _PREFIX.match(lines[index + 1].text) is not None


class _Reader:
    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.institution: str | None = None
        self.current: Entry | None = None
        self.parts: list[str] = []
        self.adjacent = False  # the line before was part of the current abstract

    def feed(self, line: Line, before_abstract: bool) -> None:
        if line.gap:
            self.adjacent = False
        prefix = _PREFIX.match(line.text)
        if prefix:
            self._start(line.number, line.text[prefix.end() :].strip())
        elif self.adjacent and self._continues(line.text):
            self.parts.append(line.text)  # the abstract above, wrapped
        elif before_abstract or (self.current is None and not self.listing.entries):
            self.close()
            self.institution = line.text
            if self.listing.affiliation is None:
                self.listing.affiliation = line.text
        elif looks_like_abstract(line.text):
            self._start(line.number, line.text)
            self._warn(
                line.number,
                "a paragraph without 'Abstract:' read as an abstract",
                "start each abstract with 'Abstract:'",
            )
        else:
            self.close()
            self._warn(
                line.number,
                f"the line {line.text[:80]!r} is followed by no 'Abstract:' line; ignored",
                "an institution's name goes on the line before its abstracts",
            )

    def _continues(self, text: str) -> bool:
        """Whether a line right under an abstract wraps it: not when the abstract ended a
        sentence and the line is a short name in capitals (the next institution)."""
        last = self.parts[-1] if self.parts else ""
        return (
            not last.endswith((".", "!", "?"))
            or text[0].islower()
            or len(text) > 120
            or text.endswith(".")
            or capitalised_ratio(text) < 0.5
        )

    def _start(self, number: int, text: str) -> None:
        self.close()
        self.current = Entry(self.listing.name, number, None, "")
        self.current.affiliation = self.institution
        self.parts = [text] if text else []
        self.adjacent = True

    def close(self) -> None:
        entry, self.current = self.current, None
        self.adjacent = False
        if entry is None:
            return
        entry.abstract = " ".join(self.parts)
        self.parts = []
        if not entry.abstract:
            self._warn(entry.line, "an empty 'Abstract:' line; the paper is skipped")
            return
        self.listing.entries.append(entry)

    def _warn(self, number: int, message: str, hint: str = "") -> None:
        self.listing.diagnostics.append(warning(self.listing.name, number, message, hint))
