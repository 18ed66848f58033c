"""Bare URLs in text: which URLs may be an href, finding and trimming bare ones, and the
``https://`` given to scheme-less code-host URLs.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt

LINK_REL = "nofollow noopener"

_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME_HEAD_RE = re.compile(r"^([^/?#]*?):")
_UNSAFE_CHAR_RE = re.compile(r"[\x00-\x20\x7f\\]")
_HOST_RE = re.compile(r"^(?:https?://)?(?:[^/?#@\s]*@)?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_CODE_HOSTS = r"(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|codeberg\.org)"
_HOST_NAMES = ("github.com/", "gitlab.com/", "huggingface.co/", "bitbucket.org/", "codeberg.org/")
_SCHEMELESS_RE = re.compile(rf"^(?:www\.)?{_CODE_HOSTS}/", re.IGNORECASE)
# Characters that can be part of a bare URL: no whitespace, quotes, brackets or braces, no
# CJK/full-width punctuation (abstracts often end a URL with "。" or "，").
_URL_CHAR = r"[^\s<>\"'`{}|\\^\[\]\u3000-\u303f\uff00-\uffef]"
_URL_LABEL = r"(?:\{(?P<label>[^{}\n]+)\})?"
# Two simple patterns rather than one with look-behinds: Python's re only scans fast for
# a pattern that starts with a literal, and this runs on every abstract.
_SCHEME_URL_RE = re.compile(rf"https?://{_URL_CHAR}+{_URL_LABEL}", re.IGNORECASE)
HOST_URL_RE = re.compile(rf"(?:www\.)?{_CODE_HOSTS}/{_URL_CHAR}+{_URL_LABEL}", re.IGNORECASE)
# The same on lowercased text, case-sensitive: scanning skips to the possible first letters,
# which an IGNORECASE alternation does not (it was 160 µs an abstract).
_HOST_URL_LOWER_RE = re.compile(rf"(?:www\.)?{_CODE_HOSTS}/{_URL_CHAR}+{_URL_LABEL}")
_TRAILING_PUNCT = ".,;:!?'\"*"
_TEX_URL_ESCAPE_RE = re.compile(r"\\([%#&_~$])")


def is_safe_url(url: str, *, allow_relative: bool) -> bool:
    """True for http(s)://host… and mailto: URLs; relative ones too when allowed.

    Anything with a scheme-like prefix (a colon before the first ``/``, ``?`` or ``#``)
    must be one of the safe schemes, so ``javascript:``, ``data:``, ``vbscript:`` and
    their obfuscated spellings never pass.
    """
    if not url or _UNSAFE_CHAR_RE.search(url):
        return False
    head = _SCHEME_HEAD_RE.match(url)
    if head is None:
        return allow_relative
    scheme = head.group(1).lower()
    if scheme not in _SAFE_SCHEMES:
        return False
    rest = url[head.end() :]
    return scheme == "mailto" or (rest.startswith("//") and len(rest) > 2)


def is_external(url: str) -> bool:
    return url[:8].lower().startswith(("http://", "https://", "mailto:"))


def _absolute(url: str) -> str:
    """A scheme-less code-host URL (``github.com/x``) as https."""
    return "https://" + url if _SCHEMELESS_RE.match(url) else url


def _trim_url(url: str) -> str:
    """Drop sentence punctuation after a URL; keep a ``)`` only when it is balanced."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCT or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


@dataclass(frozen=True, slots=True)
class _BareLink:
    start: int
    end: int
    href: str
    text: str


def has_url_hint(text: str) -> bool:
    if "://" in text:
        return True
    lowered = text.lower()
    return any(host in lowered for host in _HOST_NAMES)


def url_matches(text: str) -> list[re.Match[str]]:
    """Bare-URL candidates in order: ``http(s)://…`` and scheme-less code-host URLs."""
    found = [m for m in _SCHEME_URL_RE.finditer(text) if not _glued(text, m.start(), "_")]
    lowered = text.lower()
    if any(host in lowered for host in _HOST_NAMES):
        spans = [(m.start(), m.end()) for m in found]
        found.extend(
            m
            for m in host_urls(text, lowered)
            if not _glued(text, m.start(), "_@./-")
            and not any(start <= m.start() < end for start, end in spans)
        )
        found.sort(key=lambda m: m.start())
    return found


def host_urls(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """HOST_URL_RE.finditer(text), found in `lowered` (text.lower()) when that keeps every
    character's place."""
    if len(lowered) != len(text):
        yield from HOST_URL_RE.finditer(text)
        return
    for found in _HOST_URL_LOWER_RE.finditer(lowered):
        match = HOST_URL_RE.match(text, found.start())
        if match is not None:
            yield match


def _glued(text: str, pos: int, joiners: str) -> bool:
    """True when ``text[pos]`` continues a word (or a host, path, e-mail address)."""
    if pos == 0:
        return False
    before = text[pos - 1]
    return before.isalnum() or before in joiners


def bare_links(text: str, matches: list[re.Match[str]] | None = None) -> Iterator[_BareLink]:
    """Bare URLs in plain text, trimmed, with ``https://`` added to code-host ones.

    A ``{label}`` glued to a URL (what is left of ``\\href{url}{label}`` once a scraper
    dropped the command) becomes the link text.
    """
    for match in url_matches(text) if matches is None else matches:
        label = match.group("label")
        raw = match.group(0)[: -len(label) - 2] if label is not None else match.group(0)
        url = _trim_url(raw)
        if not _HOST_RE.match(url) or url.endswith("://"):
            continue
        if label is not None and url == raw and label.strip():
            yield _BareLink(match.start(), match.end(), _absolute(url), label)
        else:
            yield _BareLink(match.start(), match.start() + len(url), _absolute(url), url)


def resolve_href(md: MarkdownIt, raw: str) -> str | None:
    """The normalised href for a URL written in a LaTeX command, or None when unsafe."""
    url = _absolute(_TEX_URL_ESCAPE_RE.sub(r"\1", raw.strip()))
    href = md.normalizeLink(url)
    return href if md.validateLink(href) else None
