"""The link pass of the Markdown parsers: bare URLs outside links become links, external links
are marked ``rel="nofollow noopener"``, and links with an empty href only show their text.

Tests: tests/test_markup.py
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .urls import LINK_REL, bare_links, has_url_hint, is_external


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
    for link in bare_links(text):
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
            if is_external(str(href)):
                token.attrSet("rel", LINK_REL)
        elif token.type == "link_close":
            if kept and not kept.pop():
                continue
        elif token.type == "text" and not kept and has_url_hint(token.content):
            result.extend(_split_links(token, md))
            continue
        result.append(token)
    return result


def links_rule(state: StateCore) -> None:
    """Core rule: linkify bare URLs outside links, and mark external links nofollow."""
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = _link_children(block.children, state.md)
