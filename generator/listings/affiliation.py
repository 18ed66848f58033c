"""Affiliation listing: an institution's name, then one `Abstract:<text>` line per paper."""

from __future__ import annotations

import re

from ..errors import warning
from ..models import Entry, Listing
from .text import is_chrome, looks_like_abstract, split_lines

NAME = "affiliation"

_PREFIX = re.compile(r"^abstract\s*[:：]\s*", re.IGNORECASE)


def detect(text: str) -> float:
    lines = [line for line in split_lines(text[:200000]) if line]
    hits = sum(1 for line in lines if _PREFIX.match(line))
    return 0.9 if hits and hits * 3 >= len(lines) else 0.0


def parse(text: str, path: str) -> Listing:
    listing = Listing(name=path, format=NAME)
    pending_title: str | None = None
    pending_line = 0
    for number, line in enumerate(split_lines(text), 1):
        if not line or is_chrome(line):
            continue
        prefix = _PREFIX.match(line)
        if prefix:
            abstract = line[prefix.end() :].strip()
            listing.entries.append(Entry(path, number, pending_title, abstract))
            pending_title = None
            if not abstract:
                listing.diagnostics.append(
                    warning(path, number, "an empty 'Abstract:' line; the paper is skipped")
                )
                listing.entries.pop()
        elif listing.affiliation is None and not listing.entries and not looks_like_abstract(line):
            listing.affiliation = line
        elif looks_like_abstract(line):
            listing.entries.append(Entry(path, number, pending_title, line))
            pending_title = None
            listing.diagnostics.append(
                warning(path, number, "a paragraph without 'Abstract:' read as an abstract")
            )
        else:
            if pending_title is not None:
                _orphan(listing, pending_line, pending_title)
            pending_title, pending_line = line, number
    if pending_title is not None:
        _orphan(listing, pending_line, pending_title)
    return listing


def _orphan(listing: Listing, number: int, title: str) -> None:
    listing.diagnostics.append(
        warning(
            listing.name,
            number,
            f"the line {title[:80]!r} is followed by no 'Abstract:' line; it was skipped",
            "put the paper's abstract after it on a line starting with 'Abstract:'",
        )
    )
