"""Links to find a paper: direct ones for the identifiers its abstract or links name (an
arXiv id, a DOI, an OpenReview id), then searches by its title (`paper_links:` in
digest.yaml; arXiv, Hugging Face, Google Scholar and Semantic Scholar by default).

Tests: tests/test_find_and_cite.py
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote_plus

_ARXIV = re.compile(
    r"(?:arxiv[:\s]\s*|arxiv\.org/(?:abs|pdf)/)(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"
    r"(?:v\d+)?",
    re.IGNORECASE,
)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_OPENREVIEW = re.compile(r"openreview\.net/(?:forum|pdf)\?id=([A-Za-z0-9_-]+)")
_TRAILING = ".,;:)]}'\""


@dataclass(frozen=True, slots=True)
class FindLink:
    name: str
    url: str
    direct: bool  # the paper itself, not a search for it


def direct_links(texts: Iterable[str]) -> list[FindLink]:
    """The paper's own pages, from the identifiers named in its abstract and links."""
    found: dict[str, FindLink] = {}
    for text in texts:
        if "rXiv" in text or "rxiv" in text or "RXIV" in text:
            for match in _ARXIV.finditer(text):
                ident = match[1]
                found.setdefault(
                    f"arxiv:{ident}",
                    FindLink(f"arXiv {ident}", f"https://arxiv.org/abs/{ident}", True),
                )
        if "10." in text and "/" in text:  # "10.5%" is common, a DOI rare
            for match in _DOI.finditer(text):
                ident = match[1].rstrip(_TRAILING)
                found.setdefault(
                    f"doi:{ident.lower()}",
                    FindLink(f"DOI {ident}", f"https://doi.org/{ident}", True),
                )
        if "openreview" in text:
            for match in _OPENREVIEW.finditer(text):
                ident = match[1]
                url = f"https://openreview.net/forum?id={ident}"
                found.setdefault(f"openreview:{ident}", FindLink("OpenReview", url, True))
    return list(found.values())


def search_links(title: str, templates: Iterable[tuple[str, str]]) -> list[FindLink]:
    """Searches for the paper by its title (plain text), one per `paper_links:` entry."""
    query = quote_plus(title)
    return [FindLink(name, url.replace("{title}", query), False) for name, url in templates]
