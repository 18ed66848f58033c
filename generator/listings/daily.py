"""Daily listing: page chrome, a date without a year, then per paper a title and an abstract,
either possibly hard-wrapped over several lines, and optionally metadata (`· N authors`, a
`·`, a date). The metadata variant shares this reader; see daily_meta.py.

Lines are not read by position. Each text line is given one of four roles (a title's first
line, a title's continuation, an abstract's first line, an abstract's continuation) by the
most likely sequence of roles (Viterbi): how much a line reads like a title or like prose,
how likely two adjacent lines are one wrapped paragraph, and what usually follows what (a
title before its abstract, rarely two titles or two abstracts in a row); the roles are
worked out in daily_roles.py.

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import info, warning
from ..models import Entry, Listing
from .chrome import DEFAULT, Chrome
from .daily_roles import A1, T0, T1, line_roles, line_texts
from .dates import match_date
from .lines import Kind, Line, classify
from .text import sentence_count, split_lines

NAME = "daily"


def detect(text: str) -> float:
    head = text[:20000].split("\n", 80)[:80]
    return 0.5 if any(match_date(line) for line in split_lines("\n".join(head))) else 0.3


def parse(text: str, path: str, chrome: Chrome = DEFAULT) -> Listing:
    return read(text, path, NAME, chrome)


def read(text: str, path: str, name: str, chrome: Chrome = DEFAULT) -> Listing:
    listing = Listing(name=path, format=name)
    lines = classify(split_lines(text), chrome)
    start = _header(lines, listing)
    body = lines[start:]
    texts, adjacent, after_meta = line_texts(body)
    _Assembler(listing).run(body, line_roles(texts, adjacent, after_meta))
    _note_skipped(listing, lines, start)
    return listing


# -- the header: chrome and the listing date before the first paper ------------------------


def _header(lines: list[Line], listing: Listing) -> int:
    """The index after the listing date, when a date comes before any paper; else 0."""
    for index, line in enumerate(lines):
        if line.kind is Kind.DATE:
            assert line.date is not None
            listing.date, listing.date_line = line.date.date, line.number
            if line.date.rest:
                rest = line.date.rest
                listing.diagnostics.append(
                    warning(
                        listing.name,
                        line.number,
                        f"unexpected text {rest!r} after the listing date; ignored",
                    )
                )
            return index + 1
        if line.kind in (Kind.AUTHORS, Kind.SEPARATOR):
            return 0
        if line.kind is Kind.TEXT and not _header_like(line.text):
            return 0
    return 0


def _header_like(text: str) -> bool:
    """Navigation or a heading: short, no sentence in it."""
    return len(text) <= 100 and not text.endswith(".") and sentence_count(text) == 1


def _note_skipped(listing: Listing, lines: list[Line], start: int) -> None:
    """One note for the page chrome skipped, unless it is only a usual page header."""
    header = [line for line in lines[:start] if line.kind is Kind.TEXT]
    body = [line for line in lines[start:] if line.kind is Kind.CHROME]
    if not header and not body:
        return
    skipped = sorted(
        header + body + [line for line in lines[:start] if line.kind is Kind.CHROME],
        key=lambda line: line.number,
    )
    shown = ", ".join(repr(line.text[:40]) for line in skipped[:3])
    listing.diagnostics.append(
        info(
            listing.name,
            skipped[0].number,
            f"page chrome: {len(skipped)} lines skipped ({shown}"
            f"{', ...' if len(skipped) > 3 else ''})",
            "a line that is chrome but read as a paper can be added to "
            "`listing_chrome:` in digest.yaml",
        )
    )


# -- entries from roles and metadata ---------------------------------------------------------


@dataclass(slots=True)
class _Assembler:
    listing: Listing
    current: Entry | None = None
    title: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)  # the lines joined to the one above

    def run(self, body: list[Line], roles: list[int]) -> None:
        role = iter(roles)
        for line in body:
            if line.kind is Kind.TEXT:
                self._text(line, next(role))
            elif line.kind in (Kind.AUTHORS, Kind.DATE, Kind.SEPARATOR):
                self._meta(line)
        self._close()
        self._lone_titles()
        self.listing.diagnostics.sort(key=lambda d: d.line or 0)
        if self.joined:
            self._note(
                self.joined[0],
                f"hard-wrapped text: {len(self.joined)} lines continue the line above them "
                "and were joined to it",
                level="info",
            )

    def _text(self, line: Line, role: int) -> None:
        if role == T0:
            self._close()
            self.current = Entry(self.listing.name, line.number, "", "")
            self.title = [line.text]
        elif role == T1 and self.title:
            self.title.append(line.text)
            self.joined.append(line.number)
        elif role == A1 and self.abstract:
            self.abstract.append(line.text)
            self.joined.append(line.number)
        elif self.current is not None and not self.abstract and self.title:
            self.abstract = [line.text]
        else:
            self._close()
            self.current = Entry(self.listing.name, line.number, None, "")
            self.abstract = [line.text]

    def _meta(self, line: Line) -> None:
        if line.kind is Kind.SEPARATOR:
            return
        entry = self.current
        if entry is None:
            self._note(line.number, "paper metadata before any paper; ignored")
            return
        if line.kind is Kind.AUTHORS:
            entry.authors_count = line.authors
            return
        found = line.date
        assert found is not None
        entry.published, entry.published_line = found.date, line.number
        if found.rest:
            shown = f"{found.date.month:02d}-{found.date.day:02d}"
            self._note(
                line.number,
                f"damaged date {line.text!r}: kept month and day ({shown}), ignored {found.rest!r}",
                "write the date as 'Mon D, YYYY' to give its year",
            )

    def _close(self) -> None:
        entry, self.current = self.current, None
        title, abstract = " ".join(self.title), " ".join(self.abstract)
        self.title, self.abstract = [], []
        if entry is None:
            return
        entry.abstract = abstract
        if entry.title is None:
            self._note(
                entry.line,
                "an abstract with no title line before it; a title was made from the abstract",
                "add the paper's title on the line above the abstract",
            )
        else:
            entry.title = title
        self.listing.entries.append(entry)

    def _lone_titles(self) -> None:
        """Titles with no abstract are kept (with a warning), but for a lone word, or a
        short line after the last paper (a footer): page chrome."""
        entries = self.listing.entries
        last = max((i for i, entry in enumerate(entries) if _whole(entry)), default=-1)
        kept = []
        for i, entry in enumerate(entries):
            title = entry.title or ""
            if _whole(entry):
                kept.append(entry)
            elif len(title.split()) < 2 or (i > last and not _could_be_title(title)):
                self._note(
                    entry.line,
                    f"page chrome: the short line {title!r} has no abstract after it; skipped",
                    "if it is a paper, put its abstract on the next line",
                    level="info",
                )
            else:
                kept.append(entry)
                self._note(
                    entry.line,
                    f"no abstract after the title {title!r}; the paper is kept without one",
                    "put the abstract on the line after the title",
                )
        entries[:] = kept

    def _note(
        self, number: int | None, message: str, hint: str = "", level: str = "warning"
    ) -> None:
        make = info if level == "info" else warning
        self.listing.diagnostics.append(make(self.listing.name, number, message, hint))


def _whole(entry: Entry) -> bool:
    """A paper for sure: it has an abstract, or a card's metadata."""
    return bool(entry.abstract) or entry.authors_count is not None or entry.published is not None


def _could_be_title(text: str) -> bool:
    """A title standing alone (no abstract) has a few words; a lone word is chrome."""
    words = text.split()
    return len(words) >= 3 or (len(words) == 2 and ":" in text)
