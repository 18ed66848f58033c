"""Daily listing with metadata: as daily, but papers may be followed by `• N authors`, `·`
and a publication date (`Jun 4, 2024`, `Aug 27`, or damaged such as `Feb 17 2`).

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

import re

from ..models import Listing
from . import daily
from .chrome import DEFAULT, Chrome

NAME = "daily-meta"

# [ \t], not \s: \s also matches newlines, and a run of blank lines made the search cubic
# (20,000 blank lines never finished). A line is found from its "\n", not with MULTILINE's
# `^`, which the regex engine tries at every character (ten times slower).
_AUTHORS_LINE = re.compile(r"\n[ \t]*[•·*\-]?[ \t]*\d{1,5}[ \t]+[Aa](?:uthors?|UTHORS?)[ \t]*\n")


def detect(text: str) -> float:
    return 0.8 if _AUTHORS_LINE.search(f"\n{text[:200000]}\n") else 0.0


def parse(text: str, path: str, chrome: Chrome = DEFAULT) -> Listing:
    return daily.read(text, path, NAME, chrome)
