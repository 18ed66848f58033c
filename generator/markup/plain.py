"""Plain text from listing text, for <title>, descriptions and feeds: control characters
dropped, LaTeX unwrapped, math kept as its TeX.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .latex import ARITY, MACROS

# C0 controls other than tab/newline/carriage return: not allowed in HTML text nor in XML.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_PLAIN_LINK_RE = re.compile(r"\\(?:href|textcolor)\s*\{[^{}]*\}\s*\{([^{}]*)\}")
_PLAIN_GROUP_RE = re.compile(r"\\[A-Za-z]+\s*\{([^{}]*)\}")
_PLAIN_WORD_RE = re.compile(r"\\([A-Za-z]+)")
_PLAIN_ESCAPE_RE = re.compile(r"\\([%&_#${}~^])")
_PLAIN_BRACE_RE = re.compile(r"(?<!\\)[{}]")
# A brace glued to a URL ("url{label}", "magenta{url}") separates words: it becomes a space.
_PLAIN_URL_BRACE_RE = re.compile(r"\{(?=https?://)|(?P<url>https?://[^\s{}]+)\{")
_PLAIN_PASSES = 32  # nesting depth of LaTeX groups unwrapped by plain_text


def _is_escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos > backslashes and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _find_unescaped(text: str, needle: str, start: int) -> int:
    pos = text.find(needle, start)
    while pos >= 0 and _is_escaped(text, pos):
        pos = text.find(needle, pos + 1)
    return pos


def _math_span(text: str, start: int) -> tuple[int, int, int] | None:
    """``(content start, content end, after)`` for math opening at ``text[start]``.

    Mirrors the rules of the Markdown math parser (see ``mathml.add_math``).
    """
    if _is_escaped(text, start) or (start and text[start - 1].isdigit()):
        return None
    if text.startswith("$$", start):
        close = _find_unescaped(text, "$$", start + 2)
        return (start + 2, close, close + 2) if close > start + 2 else None
    after = text[start + 1 : start + 2]
    if not after or after.isspace():
        return None
    close = _find_unescaped(text, "$", start + 1)
    if close < 0 or text[close - 1].isspace() or text[close + 1 : close + 2].isdigit():
        return None
    return start + 1, close, close + 1


def math_segments(text: str) -> Iterator[tuple[str, bool]]:
    """``text`` cut into ``(segment, is_math)`` pieces; math without its dollars."""
    done = search = 0
    while (start := text.find("$", search)) >= 0:
        span = _math_span(text, start)
        if span is None:
            search = start + 1
            continue
        yield text[done:start], False
        yield text[span[0] : span[1]], True
        done = search = span[2]
    yield text[done:], False


def _plain_word(match: re.Match[str]) -> str:
    """A command left after unwrapping: a macro's text, nothing for a formatting command
    without its argument, else the bare word (``\\LaTeX`` → ``LaTeX``)."""
    name = match.group(1)
    return MACROS.get(name, "" if name in ARITY else name)


def _unwrap_latex(text: str) -> str:
    if "\\" not in text and "{" not in text:
        return text
    for _ in range(_PLAIN_PASSES):
        unwrapped = _PLAIN_GROUP_RE.sub(r"\1", _PLAIN_LINK_RE.sub(r"\1", text))
        if unwrapped == text:
            break
        text = unwrapped
    text = _PLAIN_WORD_RE.sub(_plain_word, text)
    text = _PLAIN_URL_BRACE_RE.sub(lambda m: f"{m.group('url') or ''} ", text)
    text = _PLAIN_BRACE_RE.sub("", text)
    return _PLAIN_ESCAPE_RE.sub(r"\1", text)


def clean(text: str) -> str:
    return _CONTROL_RE.sub("", text)


def plain_text(text: str) -> str:
    """Text for <title>, descriptions and feeds: LaTeX unwrapped, math as its TeX, no HTML."""
    text = clean(text)
    if "\\" in text or "$" in text or "{" in text:
        text = "".join(
            segment if is_math else _unwrap_latex(segment)
            for segment, is_math in math_segments(text)
        )
    return " ".join(text.split())
