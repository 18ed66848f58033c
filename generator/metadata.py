"""Machine-readable descriptions of a paper: JSON-LD ScholarlyArticle and a BibTeX entry."""

from __future__ import annotations

import re
from typing import Any

from .config import Config
from .markup import plain_text
from .models import Paper

_BIB_SPECIAL = re.compile(r"([&%$#_{}])")


def json_ld(paper: Paper, config: Config, abstract: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": plain_text(paper.title)[:110],
        "name": plain_text(paper.title),
        "abstract": abstract,
        "url": config.base_url.rstrip("/") + "/" + paper.url,
        "about": paper.topic,
        "keywords": list(paper.tags),
    }
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    if paper.affiliation:
        data["sourceOrganization"] = {"@type": "Organization", "name": paper.affiliation}
    if paper.links:
        data["sameAs"] = list(paper.links)
    return data


def bibtex(paper: Paper, config: Config) -> str:
    """A BibTeX @misc entry; the key is the slug, text is escaped for LaTeX."""
    fields = [("title", "{" + _bib(plain_text(paper.title)) + "}")]
    date = paper.published or (None if paper.added else paper.listed)
    if date:
        fields += [("year", str(date.year)), ("month", date.strftime("%b").lower())]
    if paper.affiliation:
        fields.append(("institution", _bib(paper.affiliation)))
    url = paper.links[0] if paper.links else config.base_url.rstrip("/") + "/" + paper.url
    fields.append(("url", url))
    note = f"Listed in {config.title}"
    if paper.added and paper.listed:
        note += f", added {paper.listed.isoformat()}; publication date unknown"
    fields.append(("note", _bib(note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{paper.slug.replace('-', '_')[:60]},\n{body}\n}}\n"


def _bib(text: str) -> str:
    return _BIB_SPECIAL.sub(r"\\\1", text)
