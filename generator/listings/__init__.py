"""Listing formats: each module has `NAME`, `detect(text) -> score` and `parse(text, path)`.

To add a format, write a module with those three and add it to FORMATS.
"""

from __future__ import annotations

from types import ModuleType

from ..errors import Diagnostic, DigestError, error, warning
from ..models import Listing
from . import affiliation, daily, daily_meta
from .text import decode, looks_binary

FORMATS: tuple[ModuleType, ...] = (affiliation, daily_meta, daily)


def detect(text: str) -> ModuleType:
    """The format whose detector scores highest; the first listed wins a tie."""
    return max(FORMATS, key=lambda fmt: fmt.detect(text))


def parse_bytes(data: bytes, name: str) -> Listing:
    """Decode, detect and parse one listing file; problems come back as its diagnostics."""
    text, notes = decode(data, name)
    if looks_binary(text):
        hint = "listings are text files; move it out of content/listings/"
        return Listing(
            name, "none", diagnostics=[warning(name, 1, "not a text file; skipped", hint)]
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # detectors read lines too
    fmt = detect(text)
    try:
        listing = fmt.parse(text, name)
    except RecursionError as exc:  # pathological input must not cost the other files
        raise DigestError(error(name, None, f"could not be read: {exc}")) from exc
    listing.diagnostics[:0] = [*notes, *_overlong_lines(text, name)]
    if not listing.entries:
        listing.diagnostics.append(
            warning(name, 1, "no papers found in this listing", "check it is a listing file")
        )
    return listing


LONG_LINE = 100_000  # characters; real abstracts are a few thousand


def _overlong_lines(text: str, name: str) -> list[Diagnostic]:
    """A line far longer than any abstract is kept, but the user hears of it."""
    if len(text) < LONG_LINE:
        return []
    return [
        warning(
            name,
            number,
            f"this line is {len(line):,} characters long; it was read as written",
            "check the file: a listing line is normally a title or one abstract",
        )
        for number, line in enumerate(text.split("\n"), 1)
        if len(line) > LONG_LINE
    ]
