"""Daily listing with metadata: as daily, but papers may be followed by `• N authors`, `·`
and a publication date (`Jun 4, 2024`, `Aug 27`, or damaged such as `Feb 17 2`)."""

from __future__ import annotations

import re

from ..models import Listing
from . import daily

NAME = "daily-meta"

_AUTHORS_LINE = re.compile(r"^\s*[•·*\-]?\s*\d{1,5}\s+authors?\s*$", re.IGNORECASE | re.MULTILINE)


def detect(text: str) -> float:
    return 0.8 if _AUTHORS_LINE.search(text[:200000]) else 0.0


def parse(text: str, path: str) -> Listing:
    return daily.read(text, path, NAME, metadata=True)
