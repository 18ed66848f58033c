"""The links an abstract makes, for a paper's record, and the `links:` a user typed that may be
an href as written.

Tests: tests/test_markup.py, tests/test_ingest.py
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from markdown_it.token import Token

from .markup.parsers import abstract_md
from .markup.urls import has_url_hint, is_safe_url

__all__ = ["external_href", "extract_links"]


def _walk(tokens: Iterable[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def extract_links(text: str) -> list[str]:
    """The http(s) URLs an abstract links to, in order, without duplicates.

    Exactly the links ``render_abstract`` creates: bare URLs (trailing punctuation
    dropped, ``github.com/…`` as https), ``\\href``/``\\url`` targets and Markdown links.
    """
    if not has_url_hint(text):
        return []
    hrefs = (
        token.attrGet("href")
        for token in _walk(abstract_md().parse(text, {}))
        if token.type == "link_open"
    )
    return list(
        dict.fromkeys(
            href
            for href in hrefs
            if isinstance(href, str) and href[:8].lower().startswith(("http://", "https://"))
        )
    )


def external_href(url: str) -> str | None:
    """``url`` (surrounding spaces dropped) when it may be an ``href`` as written: an absolute
    http(s) or mailto URL. A ``links:`` entry a user typed goes into the page as it is, so
    ``javascript:``, ``data:`` and anything relative or with spaces or controls is refused."""
    url = url.strip()
    return url if is_safe_url(url, allow_relative=False) else None
