"""Listing text and notes as HTML: titles, abstracts and notes, with a shortcut for plain text
that gives the bytes the Markdown renderers give.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import re
from typing import Any

from markdown_it.common.utils import escapeHtml

from ..errors import Diagnostic
from .parsers import abstract_md, notes_md, title_md
from .plain import clean
from .urls import LINK_REL, bare_links, has_url_hint, url_matches

# Text made only of these characters has no markup, math, entity or escape for the Markdown
# renderers to read: its HTML is the text with `"` escaped, as markdown-it writes it. Most
# titles and half the abstracts are such plain text, and rendering them was a fifth of a
# paper page (tests/test_markup.py checks the shortcut against the renderers).
_PLAIN_TEXT_RE = re.compile(r"[^\\`*_\[\]<>&$~{}|#^=+!\x00-\x1f\x7f-\x9f]*")


def _plain(text: str) -> bool:
    return _PLAIN_TEXT_RE.fullmatch(text) is not None and not has_url_hint(text)


# What markdown-it leaves alone inside a bare URL of a plain paragraph: no emphasis,
# escape, entity, code, link or math can start there.
_INERT_URL_RE = re.compile(r"[A-Za-z0-9/:.\-?=%,;@+#()!']*")


def _plain_with_links(one: str) -> str | None:
    """One plain paragraph with bare URLs, drawn as the Markdown path draws it (each link
    normalised, validated, marked rel), or None when anything else is in it."""
    matches = url_matches(one)
    rest, last = [], 0
    for match in matches:
        if not _INERT_URL_RE.fullmatch(match.group(0)):
            return None
        rest.append(one[last : match.start()])
        last = match.end()
    rest.append(one[last:])
    if not all(_PLAIN_TEXT_RE.fullmatch(part) for part in rest):
        return None
    md = abstract_md()
    out, last = ["<p>"], 0
    for link in bare_links(one, matches):
        href = md.normalizeLink(link.href)
        if not md.validateLink(href):
            continue
        out.append(escapeHtml(one[last : link.start]))
        out.append(f'<a href="{escapeHtml(href)}" rel="{LINK_REL}">{escapeHtml(link.text)}</a>')
        last = link.end
    out.append(escapeHtml(one[last:]) + "</p>\n")
    return "".join(out)


def render_title(title: str) -> str:
    """Inline HTML for a title: escaped text, math as MathML, bold/italic; never a link."""
    text = " ".join(clean(title).split())
    if _plain(text):
        return text.replace('"', "&quot;")
    return str(title_md().renderInline(text, {"inline_only": True}))


def render_abstract(
    text: str, path: str = "", line: int | None = None
) -> tuple[str, list[Diagnostic]]:
    """Block HTML for an abstract, and a warning for each formula that could not render."""
    one = clean(text).strip()
    if one[:1].isalpha() and "\n" not in one and "  " not in one:
        if _plain(one):
            return "<p>" + one.replace('"', "&quot;") + "</p>\n", []  # one plain paragraph
        linked = _plain_with_links(one)
        if linked is not None:
            return linked, []
    diagnostics: list[Diagnostic] = []
    env: dict[str, Any] = {"path": path, "line": line, "diagnostics": diagnostics}
    return str(abstract_md().render(clean(text), env)), diagnostics


def render_notes(markdown: str) -> str:
    """HTML for the user's Markdown notes: tables, strikethrough, math, highlighted code."""
    return str(notes_md().render(clean(markdown), {}))
