"""Untrusted listing text to safe HTML: Markdown, LaTeX text commands, math as MathML, links.

Everything here treats its input as hostile: raw HTML is shown as text, only http(s) and
mailto URLs (plus relative ones in the user's own notes) ever become an ``href``, and the
MathML produced by latex2mathml is rebuilt from an allow-list of elements and attributes.

The Markdown parsers are built once per process (``functools.cache``) and never mutated
afterwards; per-call state (diagnostics, the source location) travels in markdown-it's
``env`` mapping.

The modules, one job each: ``urls`` (which URLs may be an href, finding bare ones),
``linkify`` (the link pass), ``latex`` (LaTeX text commands), ``mathml`` (math),
``highlight`` (code blocks and their CSS), ``parsers`` (the three Markdown parsers),
``html`` (titles, abstracts and notes as HTML) and ``plain`` (plain text).

The bare-URL linkifier stays hand-written rather than linkify-it-py: linkify-it has no
``url{label}`` link text (what a scraper leaves of ``\\href``, see
test_a_label_glued_to_a_url_becomes_the_link_text), links every scheme-less domain or none
where this links only code hosts (``github.com/…``), so it cannot give the same bytes.

Tests: tests/test_markup.py
"""

from __future__ import annotations

from .highlight import highlight_css
from .html import render_abstract, render_notes, render_title
from .plain import math_segments, plain_text

__all__ = [
    "highlight_css",
    "math_segments",
    "plain_text",
    "render_abstract",
    "render_notes",
    "render_title",
]
