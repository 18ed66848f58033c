"""Page chrome: the lines a copied listing page carries that are not papers (navigation,
headers, per-paper card buttons and counts, footers). Data, kept here in one place; a site
extends it with `listing_chrome:` in digest.yaml (lines as written, or `/regex/`).

Tests: tests/test_realistic_listings.py, tests/test_listings.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Lines compared case-insensitively, as the page shows them.
LINES = frozenset(
    {
        # the top bar of a papers site
        "hugging face",
        "hugging face's logo",
        "models",
        "datasets",
        "spaces",
        "posts",
        "docs",
        "documentation",
        "enterprise",
        "solutions",
        "pricing",
        "community",
        "log in",
        "login",
        "sign in",
        "sign up",
        "search models, datasets, users...",
        # the page header
        "new",
        "daily papers",
        "papers",
        "trending papers",
        "trending",
        "by ak and the research community",
        "byak and the research community",
        "get trending papers in your email inbox!",
        "get trending papers in your email inbox",
        "subscribe",
        "search any paper with ai",
        "search",
        "daily",
        "weekly",
        "monthly",
        "today",
        "yesterday",
        "submit",
        "submit a paper",
        # a paper card
        "submitted by",
        "upvote",
        "upvotes",
        "arxiv page",
        "arxiv",
        "view arxiv page",
        "view pdf",
        "pdf",
        "github",
        "code",
        "project page",
        "demo",
        "add to collection",
        "chat with this paper",
        "comment",
        "comments",
        "models citing this paper",
        "datasets citing this paper",
        "spaces citing this paper",
        "collections including this paper",
        "authors",
        # pagination and the footer
        "previous",
        "prev",
        "next",
        "load more",
        "show more",
        "system theme",
        "light",
        "dark",
        "company",
        "tos",
        "terms of service",
        "privacy",
        "privacy policy",
        "cookies",
        "about",
        "jobs",
        "careers",
        "press",
        "website",
        "blog",
        "forum",
        "learn",
        "resources",
        "social",
        "service status",
        "status",
        "changelog",
        "inference endpoints",
        "twitter",
        "linkedin",
        "discord",
        "brand assets",
        "back to top",
    }
)

# Shapes of chrome lines: counts, link texts with counts, copyright, pagination arrows.
_COUNT = r"[\d][\d,]*(?:\.\d+)?\s*[kKmM]?"
PATTERNS = (
    rf"[#↑▲⬆★☆⭐👍💬·•\s]*{_COUNT}",  # an upvote, star or comment count alone
    rf"[·•]?\s*{_COUNT}\s+(?:comments?|upvotes?|votes?|stars?|likes?|replies|reply|views?)",
    rf"(?:github|stars?|★|⭐)\s*[:·•]?\s*(?:{_COUNT})?",  # "GitHub 1.2k", "★ 312"
    r"submitted by\b.{0,60}",
    r"(?:©|\(c\)|copyright)\s*.{0,80}",
    r"[←→<>«»‹›]*\s*(?:previous|prev|next|newer|older)(?:\s+(?:day|week|month|page|papers?))?"
    r"\s*[←→<>«»‹›]*",
    r"(?:view|open|read)\s+(?:on\s+)?(?:arxiv|pdf|paper|code|github)(?:\s+page)?",
    r"page\s+\d+(?:\s+of\s+\d+)?",
)


@dataclass(frozen=True, slots=True)
class Chrome:
    """What a listing's page chrome looks like: lines (casefolded) and whole-line patterns."""

    lines: frozenset[str] = LINES
    pattern: re.Pattern[str] = re.compile("|".join(f"(?:{p})" for p in PATTERNS), re.I)
    # the first words the patterns can start with, when the line starts with a letter;
    # None (try the patterns on every line) once a site adds patterns of its own
    lead: frozenset[str] | None = frozenset(
        {"github", "star", "stars", "submitted", "copyright", "previous", "prev", "next"}
        | {"newer", "older", "view", "open", "read", "page"}
    )

    def matches(self, line: str) -> bool:
        folded = line.casefold()
        if folded in self.lines:
            return True
        if (  # most lines start with a word no pattern starts with: text, not chrome
            self.lead is not None
            and folded[0].isalpha()
            and folded.split(" ", 1)[0].rstrip(":") not in self.lead
        ):
            return False
        return self.pattern.fullmatch(line) is not None

    def key(self) -> str:
        """What a cached parse depends on: the user's additions, in a stable form."""
        extra = sorted(self.lines - LINES)
        return repr((extra, self.pattern.pattern))


DEFAULT = Chrome()


@lru_cache(maxsize=8)  # a session asks at every build
def with_user(entries: tuple[str, ...]) -> Chrome:
    """The default chrome and a site's own (`listing_chrome:`): `/regex/` is a pattern
    matched against the whole line, anything else a line compared case-insensitively."""
    lines = set(LINES)
    patterns = list(PATTERNS)
    for entry in entries:
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            patterns.append(entry[1:-1])
        else:
            lines.add(entry.strip().casefold())
    combined = re.compile("|".join(f"(?:{p})" for p in patterns), re.I)
    lead = DEFAULT.lead if len(patterns) == len(PATTERNS) else None
    return Chrome(frozenset(lines), combined, lead)
