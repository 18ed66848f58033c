"""Daily listing: page chrome, a date without a year, then a title line and an abstract line
per paper. The metadata variant (authors, date) shares this reader; see daily_meta.py."""

from __future__ import annotations

import re

from ..errors import warning
from ..models import Entry, Listing
from .dates import match_date
from .text import is_chrome, looks_like_abstract, split_lines, strongly_title

NAME = "daily"

_AUTHORS = re.compile(r"^[•·*\-]?\s*(\d{1,5})\s+authors?$", re.IGNORECASE)
_SEPARATOR = frozenset({"·", "•", "-", "|"})


def detect(text: str) -> float:
    head = text[:20000]
    return 0.5 if any(match_date(line) for line in split_lines(head)[:40]) else 0.3


def parse(text: str, path: str) -> Listing:
    return read(text, path, NAME, metadata=False)


def read(text: str, path: str, name: str, *, metadata: bool) -> Listing:
    listing = Listing(name=path, format=name)
    reader = _Reader(listing, metadata)
    for number, line in enumerate(split_lines(text), 1):
        reader.feed(number, line)
    reader.close()
    return listing


class _Reader:
    """Pairs title and abstract lines, judging each line by its shape and by what came before."""

    def __init__(self, listing: Listing, metadata: bool) -> None:
        self.listing = listing
        self.metadata = metadata
        self.current: Entry | None = None
        self.last_line = 0  # the line the current entry last took
        self.more: list[str] = []  # lines continuing the current abstract, joined on close

    def feed(self, number: int, line: str) -> None:
        if not line or is_chrome(line):
            return
        if self._header_date(number, line) or (self.metadata and self._meta(number, line)):
            return
        entry = self.current
        if entry is not None and not entry.abstract and entry.title is not None:
            if strongly_title(line) and not looks_like_abstract(line):
                self._start(number, title=line)
            else:
                self._take_abstract(number, line)
        elif looks_like_abstract(line):
            if entry is not None and entry.abstract and number == self.last_line + 1:
                self.more.append(line)  # joined once in close(): += here was quadratic
                self.last_line = number
            else:
                self._start(number, title=None, abstract=line)
        else:
            self._start(number, title=line)

    def _header_date(self, number: int, line: str) -> bool:
        if self.listing.date is not None or self.current is not None or self.listing.entries:
            return False
        found = match_date(line)
        if found is None:
            return False
        self.listing.date, self.listing.date_line = found.date, number
        if found.rest:
            self._warn(number, f"unexpected text {found.rest!r} after the listing date; ignored")
        return True

    def _meta(self, number: int, line: str) -> bool:
        authors = _AUTHORS.match(line)
        if line in _SEPARATOR:
            return True
        found = None if authors else match_date(line)
        if authors is None and found is None:
            return False
        entry = self.current
        if entry is None:
            self._warn(number, "paper metadata before any paper; ignored")
            return True
        if authors:
            entry.authors_count = int(authors[1])
            return True
        assert found is not None
        entry.published, entry.published_line = found.date, number
        if found.rest:
            shown = f"{found.date.month:02d}-{found.date.day:02d}"
            self._warn(
                number,
                f"damaged date {line!r}: kept month and day ({shown}), ignored {found.rest!r}",
                "write the date as 'Mon D, YYYY' to give its year",
            )
        return True

    def _take_abstract(self, number: int, line: str) -> None:
        assert self.current is not None
        self.current.abstract = line
        self.last_line = number

    def _start(self, number: int, *, title: str | None, abstract: str = "") -> None:
        self.close()
        self.current = Entry(source=self.listing.name, line=number, title=title, abstract=abstract)
        self.last_line = number
        if title is None:
            self._warn(
                number,
                "an abstract with no title line before it; a title was made from the abstract",
                "add the paper's title on the line above the abstract",
            )

    def close(self) -> None:
        entry = self.current
        if entry is None:
            return
        if self.more:
            entry.abstract = " ".join([entry.abstract, *self.more])
            self.more = []
        if not entry.abstract:
            self._warn(
                entry.line,
                f"no abstract after the title {entry.title!r}; the paper is kept without one",
                "put the abstract on the line after the title",
            )
        self.listing.entries.append(entry)
        self.current = None

    def _warn(self, number: int, message: str, hint: str = "") -> None:
        self.listing.diagnostics.append(warning(self.listing.name, number, message, hint))
