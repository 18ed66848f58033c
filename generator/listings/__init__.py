"""Listing formats: each module has `NAME`, `detect(text) -> score` and
`parse(text, path, chrome)`.

To add a format, write a module with those three and add it to FORMATS.
"""

from __future__ import annotations

from types import ModuleType

from ..errors import Diagnostic, DigestError, error, warning
from ..models import Listing
from . import affiliation, daily, daily_meta
from .chrome import DEFAULT, Chrome
from .text import decode, looks_binary, not_a_listing

FORMATS: tuple[ModuleType, ...] = (affiliation, daily_meta, daily)


def detect(text: str) -> ModuleType:
    """The format whose detector scores highest; the first listed wins a tie."""
    return max(FORMATS, key=lambda fmt: fmt.detect(text))


FORMATS_HINT = (
    "a listing is text: a daily listing (a date, then each paper's title and abstract), "
    "the same with `· N authors` and dates, or an affiliation listing (an institution, then "
    "`Abstract:` lines); move other files out of content/listings/"
)


def parse_bytes(data: bytes, name: str, chrome: Chrome = DEFAULT) -> Listing:
    """Decode, detect and parse one listing file; problems come back as its diagnostics.
    A file that is not a listing (binary, HTML, CSV, no paper in it) gives no entries and
    one warning."""
    text, notes = decode(data, name)
    if looks_binary(text):
        return _refused(name, "not a listing (not a text file)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # detectors read lines too
    what = not_a_listing(text)
    if what:
        return _refused(name, f"not a listing ({what})")
    fmt = detect(text)
    try:
        listing = fmt.parse(text, name, chrome)
    except RecursionError as exc:  # pathological input must not cost the other files
        raise DigestError(error(name, None, f"could not be read: {exc}")) from exc
    if not listing.entries:
        return _refused(
            name,
            "no papers found in this file"
            if text.strip()
            else "no papers found: the file is empty",
        )
    listing.diagnostics[:0] = [*notes, *_overlong_lines(text, name)]
    return listing


def _refused(name: str, what: str) -> Listing:
    message = f"{what}; nothing was read from it"
    return Listing(name, "none", diagnostics=[warning(name, 1, message, FORMATS_HINT)])


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
