"""Titles to URL slugs: lowercase ASCII, `-` between words, at most 80 characters."""

from __future__ import annotations

import re
from functools import lru_cache

from slugify import slugify as python_slugify

MAX_LENGTH = 80
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1 << 16)  # every group's slug, in every build of a session
def slugify(text: str, fallback: str = "paper") -> str:
    """A safe slug: never empty, never `/`, `\\`, `..` or a leading dot."""
    if text.isascii():
        slug = _NON_ALNUM.sub("-", text.lower()).strip("-")
    else:  # transliterated (accents folded, "ß" as "ss"); every punctuation run a `-`
        slug = _NON_ALNUM.sub("-", python_slugify(text, lowercase=True)).strip("-")
    if len(slug) > MAX_LENGTH:
        cut = slug[: MAX_LENGTH + 1]
        at_word = cut.rsplit("-", 1)[0]
        # A word boundary, unless that keeps too little ("a-bbbb…" must not become "a").
        slug = at_word if len(at_word) >= MAX_LENGTH // 2 else cut[:MAX_LENGTH]
        slug = slug[:MAX_LENGTH].strip("-")
    return slug or fallback


# Names Windows reserves for devices, whatever the extension: a record `con.md` or a folder
# `aux/` cannot be checked out there (issue 19). A slug that is one gets a suffix.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in range(10)]
)


def unique(slug: str, taken: set[str]) -> str:
    """`slug`, or the first of `slug-2`, `slug-3`, ... not taken (kept within 80 characters);
    never a name Windows reserves."""
    if slug not in taken and slug not in WINDOWS_RESERVED:
        return slug
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = slug[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1
