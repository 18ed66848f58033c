"""Untrusted listing text to safe HTML: Markdown, LaTeX text commands, math as MathML, links.

Everything here treats its input as hostile: raw HTML is shown as text, only http(s) and
mailto URLs (plus relative ones in the user's own notes) ever become an ``href``, and the
MathML produced by latex2mathml is rebuilt from an allow-list of elements and attributes.

The Markdown parsers are built once per process (``functools.cache``) and never mutated
afterwards; per-call state (diagnostics, the source location) travels in markdown-it's
``env`` mapping.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from latex2mathml.converter import convert_to_element
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_all_lexers, get_lexer_by_name
from pygments.util import ClassNotFound

from .errors import Diagnostic, warning

__all__ = [
    "external_href",
    "extract_links",
    "highlight_css",
    "plain_text",
    "render_abstract",
    "render_notes",
    "render_title",
]

LINK_REL = "nofollow noopener"
# C0 controls other than tab/newline/carriage return: not allowed in HTML text nor in XML.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"

# --------------------------------------------------------------------------- URLs

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
_HOST_URL_RE = re.compile(rf"(?:www\.)?{_CODE_HOSTS}/{_URL_CHAR}+{_URL_LABEL}", re.IGNORECASE)
# The same on lowercased text, case-sensitive: scanning skips to the possible first letters,
# which an IGNORECASE alternation does not (it was 160 µs an abstract).
_HOST_URL_LOWER_RE = re.compile(rf"(?:www\.)?{_CODE_HOSTS}/{_URL_CHAR}+{_URL_LABEL}")
_TRAILING_PUNCT = ".,;:!?'\"*"
_TEX_URL_ESCAPE_RE = re.compile(r"\\([%#&_~$])")


def _is_safe_url(url: str, *, allow_relative: bool) -> bool:
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


def _is_external(url: str) -> bool:
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


def _has_url_hint(text: str) -> bool:
    if "://" in text:
        return True
    lowered = text.lower()
    return any(host in lowered for host in _HOST_NAMES)


def _url_matches(text: str) -> list[re.Match[str]]:
    """Bare-URL candidates in order: ``http(s)://…`` and scheme-less code-host URLs."""
    found = [m for m in _SCHEME_URL_RE.finditer(text) if not _glued(text, m.start(), "_")]
    lowered = text.lower()
    if any(host in lowered for host in _HOST_NAMES):
        spans = [(m.start(), m.end()) for m in found]
        found.extend(
            m
            for m in _host_urls(text, lowered)
            if not _glued(text, m.start(), "_@./-")
            and not any(start <= m.start() < end for start, end in spans)
        )
        found.sort(key=lambda m: m.start())
    return found


def _host_urls(text: str, lowered: str) -> Iterator[re.Match[str]]:
    """_HOST_URL_RE.finditer(text), found in `lowered` (text.lower()) when that keeps every
    character's place."""
    if len(lowered) != len(text):
        yield from _HOST_URL_RE.finditer(text)
        return
    for found in _HOST_URL_LOWER_RE.finditer(lowered):
        match = _HOST_URL_RE.match(text, found.start())
        if match is not None:
            yield match


def _glued(text: str, pos: int, joiners: str) -> bool:
    """True when ``text[pos]`` continues a word (or a host, path, e-mail address)."""
    if pos == 0:
        return False
    before = text[pos - 1]
    return before.isalnum() or before in joiners


def _bare_links(text: str, matches: list[re.Match[str]] | None = None) -> Iterator[_BareLink]:
    """Bare URLs in plain text, trimmed, with ``https://`` added to code-host ones.

    A ``{label}`` glued to a URL (what is left of ``\\href{url}{label}`` once a scraper
    dropped the command) becomes the link text.
    """
    for match in _url_matches(text) if matches is None else matches:
        label = match.group("label")
        raw = match.group(0)[: -len(label) - 2] if label is not None else match.group(0)
        url = _trim_url(raw)
        if not _HOST_RE.match(url) or url.endswith("://"):
            continue
        if label is not None and url == raw and label.strip():
            yield _BareLink(match.start(), match.end(), _absolute(url), label)
        else:
            yield _BareLink(match.start(), match.start() + len(url), _absolute(url), url)


def _resolve_href(md: MarkdownIt, raw: str) -> str | None:
    """The normalised href for a URL written in a LaTeX command, or None when unsafe."""
    url = _absolute(_TEX_URL_ESCAPE_RE.sub(r"\1", raw.strip()))
    href = md.normalizeLink(url)
    return href if md.validateLink(href) else None


# --------------------------------------------------------------------------- LaTeX text

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
_MACROS = {
    "ie": "i.e.",
    "eg": "e.g.",
    "etal": "et al.",
    "etc": "etc.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
}
_ARITY = {**dict.fromkeys(_WRAP_TAGS, 1), **_UNWRAP_ARITY, **_LINK_ARITY}


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
    href = _resolve_href(state.md, raw_url) if links and state.linkLevel == 0 else None
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


def _latex_rule(*, links: bool) -> Callable[[StateInline, bool], bool]:
    """Inline rule for ``\\textbf{}``, ``\\emph{}``, ``\\href{}{}``, ``\\url{}``, ``\\ie``…"""

    def latex_command(state: StateInline, silent: bool) -> bool:
        if state.src[state.pos] != "\\":
            return False
        match = _COMMAND_RE.match(state.src, state.pos, state.posMax)
        if match is None:
            return False
        name = match.group(1)
        if name in _MACROS:
            if not silent:
                state.pending += _MACROS[name]
            state.pos = match.end()
            return True
        arity = _ARITY.get(name)
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


# --------------------------------------------------------------------------- math

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


def _add_math(md: MarkdownIt) -> None:
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


# --------------------------------------------------------------------------- link pass


def _text_token(content: str, level: int) -> Token:
    token = Token("text", "", 0, content=content)
    token.level = level
    return token


def _link_tokens(href: str, text: str, level: int) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={"href": href, "rel": LINK_REL})
    opening.markup, opening.info, opening.level = "linkify", "auto", level
    closing = Token("link_close", "a", -1, markup="linkify", info="auto")
    closing.level = level
    return [opening, _text_token(text, level + 1), closing]


def _split_links(token: Token, md: MarkdownIt) -> list[Token]:
    """A text token cut into text and links around the bare URLs it contains."""
    text, nodes, last = token.content, [], 0
    for link in _bare_links(text):
        href = md.normalizeLink(link.href)
        if not md.validateLink(href):
            continue
        if link.start > last:
            nodes.append(_text_token(text[last : link.start], token.level))
        nodes.extend(_link_tokens(href, link.text, token.level))
        last = link.end
    if not nodes:
        return [token]
    if last < len(text):
        nodes.append(_text_token(text[last:], token.level))
    return nodes


def _link_children(children: list[Token], md: MarkdownIt) -> list[Token]:
    """Linkify text outside links, mark external links, unwrap links with an empty href.

    markdown-it keeps ``[x]()`` (and a link whose target failed validation but whose
    brackets still parse) as a link with ``href=""``; such a link only shows its text.
    """
    result: list[Token] = []
    kept: list[bool] = []
    for token in children:
        if token.type == "link_open":
            href = token.attrGet("href")
            keep = isinstance(href, str) and md.validateLink(href)
            kept.append(keep)
            if not keep:
                continue
            if _is_external(str(href)):
                token.attrSet("rel", LINK_REL)
        elif token.type == "link_close":
            if kept and not kept.pop():
                continue
        elif token.type == "text" and not kept and _has_url_hint(token.content):
            result.extend(_split_links(token, md))
            continue
        result.append(token)
    return result


def _links_rule(state: StateCore) -> None:
    """Core rule: linkify bare URLs outside links, and mark external links nofollow."""
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = _link_children(block.children, state.md)


# --------------------------------------------------------------------------- code


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


def _render_fence(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    name = info.split(maxsplit=1)[0].lower() if info else ""
    return highlight(token.content, _lexer(name), _code_formatter())


# --------------------------------------------------------------------------- parsers


class _SafeMarkdown(MarkdownIt):
    """MarkdownIt whose links may only be http(s)/mailto (and relative, for notes)."""

    def __init__(self, preset: str, *, allow_relative: bool) -> None:
        super().__init__(preset, {"html": False, "xhtmlOut": False})
        self._allow_relative = allow_relative

    def validateLink(self, url: str) -> bool:
        return _is_safe_url(url, allow_relative=self._allow_relative)


def _add_text_rules(md: MarkdownIt, *, links: bool) -> None:
    md.inline.ruler.before("escape", "latex_command", _latex_rule(links=links))
    _add_math(md)
    if links:
        md.core.ruler.push("digest_links", _links_rule)


@functools.cache
def _abstract_md() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", allow_relative=False)
    md.disable(["html_block", "html_inline", "image", "code", "heading", "lheading"])
    _add_text_rules(md, links=True)
    return md


@functools.cache
def _notes_md() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", allow_relative=True)
    md.enable(["table", "strikethrough"])
    md.disable(["html_block", "html_inline"])
    _add_text_rules(md, links=True)
    md.add_render_rule("fence", _render_fence)
    return md


@functools.cache
def _title_md() -> MarkdownIt:
    md = _SafeMarkdown("zero", allow_relative=False)
    md.enable(["escape"])
    _add_text_rules(md, links=False)
    return md


# --------------------------------------------------------------------------- plain text

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

    Mirrors the rules of the Markdown math parser (see ``_add_math``).
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
    return _MACROS.get(name, "" if name in _ARITY else name)


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


# --------------------------------------------------------------------------- public API


def _clean(text: str) -> str:
    return _CONTROL_RE.sub("", text)


# Text made only of these characters has no markup, math, entity or escape for the Markdown
# renderers to read: its HTML is the text with `"` escaped, as markdown-it writes it. Most
# titles and half the abstracts are such plain text, and rendering them was a fifth of a
# paper page (tests/test_markup.py checks the shortcut against the renderers).
_PLAIN_TEXT_RE = re.compile(r"[^\\`*_\[\]<>&$~{}|#^=+!\x00-\x1f\x7f-\x9f]*")


def _plain(text: str) -> bool:
    return _PLAIN_TEXT_RE.fullmatch(text) is not None and not _has_url_hint(text)


# What markdown-it leaves alone inside a bare URL of a plain paragraph: no emphasis,
# escape, entity, code, link or math can start there.
_INERT_URL_RE = re.compile(r"[A-Za-z0-9/:.\-?=%,;@+#()!']*")


def _plain_with_links(one: str) -> str | None:
    """One plain paragraph with bare URLs, drawn as the Markdown path draws it (each link
    normalised, validated, marked rel), or None when anything else is in it."""
    matches = _url_matches(one)
    rest, last = [], 0
    for match in matches:
        if not _INERT_URL_RE.fullmatch(match.group(0)):
            return None
        rest.append(one[last : match.start()])
        last = match.end()
    rest.append(one[last:])
    if not all(_PLAIN_TEXT_RE.fullmatch(part) for part in rest):
        return None
    md = _abstract_md()
    out, last = ["<p>"], 0
    for link in _bare_links(one, matches):
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
    text = " ".join(_clean(title).split())
    if _plain(text):
        return text.replace('"', "&quot;")
    return str(_title_md().renderInline(text, {"inline_only": True}))


def render_abstract(
    text: str, path: str = "", line: int | None = None
) -> tuple[str, list[Diagnostic]]:
    """Block HTML for an abstract, and a warning for each formula that could not render."""
    one = _clean(text).strip()
    if one[:1].isalpha() and "\n" not in one and "  " not in one:
        if _plain(one):
            return "<p>" + one.replace('"', "&quot;") + "</p>\n", []  # one plain paragraph
        linked = _plain_with_links(one)
        if linked is not None:
            return linked, []
    diagnostics: list[Diagnostic] = []
    env: dict[str, Any] = {"path": path, "line": line, "diagnostics": diagnostics}
    return str(_abstract_md().render(_clean(text), env)), diagnostics


def render_notes(markdown: str) -> str:
    """HTML for the user's Markdown notes: tables, strikethrough, math, highlighted code."""
    return str(_notes_md().render(_clean(markdown), {}))


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
    if not _has_url_hint(text):
        return []
    hrefs = (
        token.attrGet("href")
        for token in _walk(_abstract_md().parse(text, {}))
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
    return url if _is_safe_url(url, allow_relative=False) else None


def plain_text(text: str) -> str:
    """Text for <title>, descriptions and feeds: LaTeX unwrapped, math as its TeX, no HTML."""
    text = _clean(text)
    if "\\" in text or "$" in text or "{" in text:
        text = "".join(
            segment if is_math else _unwrap_latex(segment)
            for segment, is_math in math_segments(text)
        )
    return " ".join(text.split())
