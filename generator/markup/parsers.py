"""The three Markdown parsers (abstracts, notes, titles), each built once per process and never
mutated afterwards; per-call state travels in markdown-it's ``env`` mapping.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import functools

from markdown_it import MarkdownIt

from .highlight import render_fence
from .latex import latex_rule
from .linkify import links_rule
from .mathml import add_math
from .urls import is_safe_url


class _SafeMarkdown(MarkdownIt):
    """MarkdownIt whose links may only be http(s)/mailto (and relative, for notes)."""

    def __init__(self, preset: str, *, allow_relative: bool) -> None:
        super().__init__(preset, {"html": False, "xhtmlOut": False})
        self._allow_relative = allow_relative

    def validateLink(self, url: str) -> bool:
        return is_safe_url(url, allow_relative=self._allow_relative)


def _add_text_rules(md: MarkdownIt, *, links: bool) -> None:
    md.inline.ruler.before("escape", "latex_command", latex_rule(links=links))
    add_math(md)
    if links:
        md.core.ruler.push("digest_links", links_rule)


@functools.cache
def abstract_md() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", allow_relative=False)
    md.disable(["html_block", "html_inline", "image", "code", "heading", "lheading"])
    _add_text_rules(md, links=True)
    return md


@functools.cache
def notes_md() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", allow_relative=True)
    md.enable(["table", "strikethrough"])
    md.disable(["html_block", "html_inline"])
    _add_text_rules(md, links=True)
    md.add_render_rule("fence", render_fence)
    return md


@functools.cache
def title_md() -> MarkdownIt:
    md = _SafeMarkdown("zero", allow_relative=False)
    md.enable(["escape"])
    _add_text_rules(md, links=False)
    return md
