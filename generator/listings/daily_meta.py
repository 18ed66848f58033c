"""Daily listing with metadata: as daily, but papers may be followed by `• N authors`, `·`
and a publication date (`Jun 4, 2024`, `Aug 27`, or damaged such as `Feb 17 2`)."""

from __future__ import annotations

import re

from ..models import Listing
from . import daily
from .chrome import DEFAULT, Chrome

NAME = "daily-meta"

# [ \t], not \s: with MULTILINE, \s also matches newlines, and a run of blank lines made
# the search cubic (20,000 blank lines never finished).
_AUTHORS_LINE = re.compile(
    r"^[ \t]*[•·*\-]?[ \t]*\d{1,5}[ \t]+authors?[ \t]*$", re.IGNORECASE | re.MULTILINE
)


def detect(text: str) -> float:
    return 0.8 if _AUTHORS_LINE.search(text[:200000]) else 0.0


def parse(text: str, path: str, chrome: Chrome = DEFAULT) -> Listing:
    return daily.read(text, path, NAME, chrome)
