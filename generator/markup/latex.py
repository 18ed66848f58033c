"""LaTeX text commands in Markdown: an inline rule for ``\\textbf{}``, ``\\emph{}``,
``\\href{}{}``, ``\\url{}`` and macros such as ``\\ie``.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from markdown_it.rules_inline import StateInline

from .urls import resolve_href

_COMMAND_RE = re.compile(r"\\([A-Za-z]+)")
_BRACE_RE = re.compile(r"\\.|[{}]", re.DOTALL)
_WRAP_TAGS = {
    "textbf": "strong",
    "emph": "em",
    "textit": "em",
    "textsl": "em",
    "texttt": "code",
    "underline": "u",
}
_UNWRAP_ARITY = {
    "text": 1,
    "textrm": 1,
    "textsf": 1,
    "textup": 1,
    "textnormal": 1,
    "textsc": 1,
    "mbox": 1,
    "textcolor": 2,
}
_LINK_ARITY = {"href": 2, "url": 1}
MACROS = {
    "ie": "i.e.",
    "eg": "e.g.",
    "etal": "et al.",
    "etc": "etc.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
}
ARITY = {**dict.fromkeys(_WRAP_TAGS, 1), **_UNWRAP_ARITY, **_LINK_ARITY}


@functools.lru_cache(maxsize=64)
def _brace_pairs(src: str) -> dict[int, int]:
    """Position of each ``{`` in ``src`` mapped to its ``}`` (escaped braces skipped).

    One pass per inline block, so unbalanced input such as ``\\textbf{`` repeated
    thousands of times stays linear.
    """
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for match in _BRACE_RE.finditer(src):
        char = match.group(0)
        if char == "{":
            opened.append(match.start())
        elif char == "}" and opened:
            pairs[opened.pop()] = match.start()
    return pairs


def _group_end(src: str, pos: int, limit: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``src[pos]`` before ``limit``, or -1."""
    end = _brace_pairs(src).get(pos, -1)
    return end if end < limit else -1


def _read_args(src: str, pos: int, limit: int, count: int) -> tuple[list[slice], int] | None:
    """The spans of ``count`` brace groups starting at ``pos`` and the position after them."""
    spans: list[slice] = []
    for _ in range(count):
        while pos < limit and src[pos] in " \t":
            pos += 1
        if pos >= limit or src[pos] != "{":
            return None
        end = _group_end(src, pos, limit)
        if end < 0:
            return None
        spans.append(slice(pos + 1, end))
        pos = end + 1
    return spans, pos


def _tokenize_span(state: StateInline, span: slice) -> None:
    """Parse ``src[span]`` as inline content in place (as markdown-it's link rule does)."""
    old_pos, old_max = state.pos, state.posMax
    state.pos, state.posMax = span.start, span.stop
    state.md.inline.tokenize(state)
    state.pos, state.posMax = old_pos, old_max


def _emit_link(state: StateInline, spans: list[slice], links: bool) -> None:
    raw_url = state.src[spans[0]]
    href = resolve_href(state.md, raw_url) if links and state.linkLevel == 0 else None
    if href is not None:
        state.push("link_open", "a", 1).attrs = {"href": href}
        state.linkLevel += 1
    if len(spans) > 1:
        _tokenize_span(state, spans[1])
    else:
        state.pending += raw_url.strip()
    if href is not None:
        state.linkLevel -= 1
        state.push("link_close", "a", -1)


def _emit_command(state: StateInline, name: str, spans: list[slice], links: bool) -> None:
    tag = _WRAP_TAGS.get(name)
    if tag is not None:
        state.push("latex_open", tag, 1)
        _tokenize_span(state, spans[0])
        state.push("latex_close", tag, -1)
    elif name in _LINK_ARITY:
        _emit_link(state, spans, links)
    else:
        _tokenize_span(state, spans[-1])


def latex_rule(*, links: bool) -> Callable[[StateInline, bool], bool]:
    """Inline rule for ``\\textbf{}``, ``\\emph{}``, ``\\href{}{}``, ``\\url{}``, ``\\ie``…"""

    def latex_command(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "\\":
            return False
        match = _COMMAND_RE.match(state.src, state.pos, state.posMax)
        if match is None:
            return False
        name = match.group(1)
        if name in MACROS:
            if not silent:
                state.pending += MACROS[name]
            state.pos = match.end()
            return True
        arity = ARITY.get(name)
        if arity is None:
            return False
        parsed = _read_args(state.src, match.end(), state.posMax, arity)
        if parsed is None:
            return False
        spans, end = parsed
        if not silent:
            _emit_command(state, name, spans, links)
        state.pos = end
        return True

    return latex_command
