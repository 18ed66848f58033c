"""Math in Markdown: ``$…$`` and ``$$…$$`` rendered as MathML rebuilt from an allow-list of
elements and attributes, with a warning and the TeX source when a formula cannot render.

Tests: tests/test_markup.py
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from latex2mathml.converter import convert_to_element
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..errors import warning

_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_MAX_TEX = 2000
_MATHML_TAGS_TEXT = (
    "math semantics annotation mrow mi mn mo ms mtext mspace msub msup msubsup munder "
    "mover munderover mfrac msqrt mroot mstyle mtable mtr mtd mpadded mphantom merror "
    "mmultiscripts mprescripts none menclose"
)
_MATHML_TAGS = frozenset(_MATHML_TAGS_TEXT.split())
_MATHML_ATTRS_TEXT = (
    "display displaystyle scriptlevel mathvariant mathcolor mathbackground stretchy fence "
    "separator lspace rspace minsize maxsize largeop movablelimits symmetric accent "
    "accentunder linethickness width height depth voffset columnalign rowalign columnlines "
    "rowlines columnspacing rowspacing frame framespacing notation columnspan rowspan "
    "linebreak form align"
)
_MATHML_ATTRS = frozenset(_MATHML_ATTRS_TEXT.split())
_SAFE_ATTR_VALUE_RE = re.compile(r"^[\w#.%+\- ]{0,40}$")
_CHAR_REF_RE = re.compile(r"&#x([0-9A-Fa-f]{1,6});")


def _decode_char_refs(text: str | None) -> str | None:
    """latex2mathml leaves ``&#x…;`` strings in its text nodes; make them characters."""
    if not text or "&#x" not in text:
        return text
    return _CHAR_REF_RE.sub(lambda m: _char(int(m.group(1), 16)), text)


def _char(code: int) -> str:
    """The character for a code point; U+FFFD for controls, surrogates and out of range."""
    if code in (0x9, 0xA, 0xD) or 0x20 <= code < 0xD800 or 0xE000 <= code <= 0x10FFFF:
        return chr(code)
    return "\ufffd"


def _sanitize_mathml(root: ElementTree.Element) -> None:
    """Keep only MathML elements and presentation attributes (no href, style, on*…)."""
    for node in root.iter():
        if node.tag not in _MATHML_TAGS:
            node.tag = "mrow"
        for key, value in list(node.attrib.items()):
            if key not in _MATHML_ATTRS or not _SAFE_ATTR_VALUE_RE.match(value):
                del node.attrib[key]
        node.text = _decode_char_refs(node.text)
        node.tail = _decode_char_refs(node.tail)


def _with_semantics(root: ElementTree.Element, tex: str, display: bool) -> str:
    """``<math><semantics>…<annotation encoding="application/x-tex">``, serialised."""
    _sanitize_mathml(root)
    body = list(root)
    for child in body:
        root.remove(child)
    root.attrib.clear()
    root.attrib.update({"xmlns": _MATHML_NS, "display": "block" if display else "inline"})
    semantics = ElementTree.SubElement(root, "semantics")
    if len(body) == 1:
        semantics.append(body[0])
    else:
        ElementTree.SubElement(semantics, "mrow").extend(body)
    annotation = ElementTree.SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = tex
    return ElementTree.tostring(root, encoding="unicode")


@functools.lru_cache(maxsize=4096)
def _tex_to_mathml(tex: str, display: bool) -> tuple[str, str]:
    """``(mathml, "")`` or, when latex2mathml cannot convert the formula, ``("", reason)``."""
    if len(tex) > _MAX_TEX:
        return "", f"formula longer than {_MAX_TEX} characters"
    try:
        root = convert_to_element(tex, display="block" if display else "inline")
        return _with_semantics(root, tex, display), ""
    except Exception as exc:  # latex2mathml raises many types, RecursionError included
        detail = str(exc)
        return "", f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _math_html(token: Token, display: bool, env: EnvType) -> str:
    tex = token.content.strip()
    mathml, problem = _tex_to_mathml(tex, display)
    if mathml:
        return mathml
    source = f"{token.markup}{tex}{token.markup}"
    diagnostics = env.get("diagnostics")
    if diagnostics is not None:
        quoted = source if len(source) <= 80 else source[:79] + "…"
        diagnostics.append(
            warning(
                env.get("path", ""),
                env.get("line"),
                f"cannot render math {quoted} ({problem})",
                "it is shown as TeX source",
            )
        )
    return f'<span class="math-error">{escapeHtml(source)}</span>'


def _render_math_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_html(tokens[idx], False, env)


def _render_math_double(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_html(tokens[idx], not env.get("inline_only", False), env)


def _render_math_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _math_html(tokens[idx], True, env) + "\n"


def add_math(md: MarkdownIt) -> None:
    """``$…$`` and ``$$…$$``, with the currency heuristic: ``$5 to $10`` stays text.

    An opening ``$`` may not be followed by whitespace nor preceded by a digit; a closing
    ``$`` may not be preceded by whitespace nor followed by a digit.
    """
    dollarmath_plugin(
        md,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_double)
    md.add_render_rule("math_block", _render_math_block)
