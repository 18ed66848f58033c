"""Code blocks in notes: fences highlighted by Pygments (built-in lexers only), and the CSS of
the light and dark highlighting styles.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from markdown_it.common.utils import unescapeAll
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"


@functools.cache
def _code_formatter() -> HtmlFormatter[str]:
    return HtmlFormatter(cssclass="highlight", wrapcode=True)


@functools.cache
def _builtin_lexer_names() -> frozenset[str]:
    return frozenset(
        alias for _, aliases, _, _ in get_all_lexers(plugins=False) for alias in aliases
    )


@functools.lru_cache(maxsize=128)
def _lexer(name: str) -> Lexer:
    """Pygments' lexer for a fence's language, or plain text.

    Only built-in lexers: an unknown name would make Pygments load every installed
    plugin (IPython among them, slow and with side effects) to look for it.
    """
    if name not in _builtin_lexer_names():
        return TextLexer()
    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return TextLexer()


def render_fence(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    name = info.split(maxsplit=1)[0].lower() if info else ""
    return highlight(token.content, _lexer(name), _code_formatter())


@functools.cache
def highlight_css() -> str:
    """Pygments CSS for ``.highlight``: a light style, and a dark one for dark schemes."""
    light = _scoped_css(LIGHT_STYLE)
    dark = _scoped_css(DARK_STYLE)
    dark_selectors = {_css_selector(rule) for rule in dark}
    resets = [
        f"{selector} {{ color: inherit; background-color: transparent; "
        "font-weight: inherit; font-style: inherit; border: none }"
        for selector in (_css_selector(rule) for rule in light)
        if selector not in dark_selectors
    ]
    body = "\n".join(f"  {rule}" for rule in [*resets, *dark])
    return "\n".join(light) + "\n@media (prefers-color-scheme: dark) {\n" + body + "\n}\n"


def _scoped_css(style: str) -> list[str]:
    css = HtmlFormatter(style=style, cssclass="highlight").get_style_defs(".highlight")
    return [rule for rule in css.splitlines() if rule.startswith(".highlight")]


def _css_selector(rule: str) -> str:
    return rule.split("{", 1)[0].strip()
