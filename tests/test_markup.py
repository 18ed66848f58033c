"""generator.markup: untrusted listing text to safe HTML, checked through an HTML parser."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import generator.markup as markup
from generator.links import extract_links
from generator.markup import (
    highlight_css,
    plain_text,
    render_abstract,
    render_notes,
    render_title,
)
from generator.markup.html import _plain_with_links
from generator.markup.parsers import abstract_md, title_md
from generator.markup.plain import clean
from generator.markup.urls import HOST_URL_RE, host_urls

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "content" / "listings").glob("*.txt"))

VOID_NAMES = "area base br col embed hr img input link meta source track wbr"
VOID = frozenset(VOID_NAMES.split())
FORBIDDEN_NAMES = (
    "script img svg iframe object embed style link meta form input base frame frameset"
)
FORBIDDEN_TAGS = frozenset(FORBIDDEN_NAMES.split())
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcset", "data"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

SPPD = (
    "To address these, we propose \\textbf{S}elf-training framework integrating "
    "\\textbf{P}rocess \\textbf{P}reference learning using \\textbf{D}ynamic value margin "
    "(SPPD). We open-source our code at "
    "\\href{https://anonymous.4open.science/r/SSDPO-D-DCDD}"
    "{https://anonymous.4open.science/r/SPPD-DCDD}."
)
R2_TITLE = "$R^2$-Tuning: Efficient Image-to-Video Transfer Learning for Video Temporal Grounding"

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)></iframe>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](https://example.com/x.png)",
    "[x](file:///etc/passwd)",
    "\\href{javascript:alert(1)}{x}",
    "\\href{ javascript:alert(1) }{x}",
    "\\href{data:text/html,<script>alert(1)</script>}{x}",
    "\\url{javascript:alert(1)}",
    "\\url{vbscript:msgbox(1)}",
    "\\textbf{<script>alert(1)</script>}",
    "$\\text{<script>alert(1)</script>}$",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\style{background:url(javascript:alert(1))}{x}$",
    "$$\\text{<img src=x onerror=alert(1)>}$$",
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/<script>alert(1)</script>",
    "javascript:alert(1) data:text/html,hi",
    "`<script>alert(1)</script>`",
    "**<b onclick=alert(1)>x</b>**",
    "<a href=javascript:alert(1)>x</a>",
]


# --------------------------------------------------------------------------- helpers


@dataclass
class Parsed:
    """What an HTML parser saw: every element with its attributes, the text, and nesting."""

    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""
    mismatched: list[str] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)

    def tags(self, name: str) -> list[dict[str, str]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def names(self) -> set[str]:
        return {tag for tag, _ in self.elements}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Parsed()
        self.stack: list[str] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.result.mismatched.append(tag)

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def parse(html: str) -> Parsed:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    collector.result.text = "".join(collector.chunks)
    collector.result.unclosed = collector.stack
    return collector.result


def well_formed(html: str) -> Parsed:
    parsed = parse(html)
    assert not parsed.mismatched, (parsed.mismatched, html)
    assert not parsed.unclosed, (parsed.unclosed, html)
    return parsed


def scheme(url: str) -> str:
    # Browsers drop control characters and spaces before reading the scheme.
    return urlsplit(re.sub(r"[\x00-\x20]", "", url)).scheme.lower()


def assert_safe(html: str, *, allow_relative: bool = False) -> Parsed:
    """No active content; ``allow_relative`` is for the user's own notes (relative links and
    their images are fine there, never in listing text)."""
    parsed = well_formed(html)
    forbidden = FORBIDDEN_TAGS - {"img"} if allow_relative else FORBIDDEN_TAGS
    assert not parsed.names() & forbidden, html
    for tag, attrs in parsed.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name != "style", (tag, html)
            if name in URL_ATTRS:
                allowed = scheme(value) in SAFE_SCHEMES or (allow_relative and not scheme(value))
                assert allowed, (tag, name, value, html)
    return parsed


def abstract(text: str) -> Parsed:
    html, diagnostics = render_abstract(text, "listings/x.txt", 3)
    assert diagnostics == []
    return assert_safe(html)


def seed_lines() -> list[str]:
    lines = []
    for path in SEEDS:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip().removeprefix("\ufeff").removeprefix("Abstract:").strip()
            if line:
                lines.append(line)
    return lines


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("payload", XSS)
def test_abstracts_never_execute_listing_text(payload: str) -> None:
    html, _ = render_abstract(payload)
    assert_safe(html)


@pytest.mark.parametrize("payload", XSS)
def test_notes_never_execute_either(payload: str) -> None:
    assert_safe(render_notes(payload), allow_relative=True)


@pytest.mark.parametrize("payload", XSS)
def test_titles_never_execute_nor_link(payload: str) -> None:
    parsed = assert_safe(render_title(payload))
    assert not parsed.tags("a")
    assert not parsed.tags("p")


def test_control_characters_are_dropped() -> None:
    html, _ = render_abstract("a\x00b\x07c\x1fd")
    assert parse(html).text.strip() == "abcd"
    assert parse(render_title("a\x08b")).text == "ab"


def test_html_in_a_listing_is_shown_as_text() -> None:
    parsed = abstract("Use <script>alert(1)</script> & <img src=x onerror=alert(1)> here.")
    assert "<script>alert(1)</script>" in parsed.text
    assert "<img src=x onerror=alert(1)>" in parsed.text


def test_a_markdown_javascript_link_stays_text() -> None:
    parsed = abstract("[click](javascript:alert(1))")
    assert not parsed.tags("a")
    assert "javascript:alert(1)" in parsed.text


def test_a_latex_javascript_link_keeps_its_text_only() -> None:
    parsed = abstract("see \\href{javascript:alert(1)}{this} and \\url{data:text/html,x}")
    assert not parsed.tags("a")
    assert "see this and data:text/html,x" in parsed.text


def test_notes_may_show_images_from_safe_urls_only() -> None:
    parsed = assert_safe(
        render_notes("![a](https://x.org/a.png) ![b](fig.png) ![c](data:image/png;base64,AA==)"),
        allow_relative=True,
    )
    assert [img["src"] for img in parsed.tags("img")] == ["https://x.org/a.png", "fig.png"]


def test_notes_drop_unsafe_schemes_but_keep_relative_and_mailto_links() -> None:
    parsed = assert_safe(
        render_notes("[a](../other/) [b](#top) [c](mailto:me@example.org) [d](javascript:x)"),
        allow_relative=True,
    )
    assert [a["href"] for a in parsed.tags("a")] == ["../other/", "#top", "mailto:me@example.org"]
    assert "[d](javascript:x)" in parsed.text


def test_abstract_links_must_be_absolute() -> None:
    parsed = abstract("[a](../x) [b](https://example.org/b)")
    assert [a["href"] for a in parsed.tags("a")] == ["https://example.org/b"]


def test_math_is_sanitised() -> None:
    html, _ = render_abstract("$\\href{https://a.org}{x} \\style{color:red}{y} \\color{red}z$")
    parsed = assert_safe(html)
    assert parsed.tags("math")
    assert all("href" not in attrs for _, attrs in parsed.elements)


text_pieces = st.sampled_from(
    [
        "$", "$$", "\\", "{", "}", "\\textbf{", "\\href{", "\\url{", "<", ">", "\"", "'", "`",
        "[x](", ")", "javascript:", "https://", "github.com/a/b", "\n", "\n\n", " ", "*", "_",
        "<script>", "onerror=", "x^", "&#106;", "5", "a", ".", "|", "~~", "```", "    ",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(text_pieces, max_size=30).map("".join))
def test_any_mix_of_syntax_renders_safe_and_well_formed(text: str) -> None:
    html, _ = render_abstract(text)
    assert_safe(html)
    assert_safe(render_notes(text), allow_relative=True)
    parsed = assert_safe(render_title(text))
    assert not parsed.tags("a")
    assert all(scheme(url) in {"http", "https"} for url in extract_links(text))
    assert "\n" not in plain_text(text)


# --------------------------------------------------------------------------- math


def test_title_math_renders_as_mathml_with_its_tex_source() -> None:
    parsed = assert_safe(render_title(R2_TITLE))
    (math,) = parsed.tags("math")
    assert math["display"] == "inline"
    assert parsed.tags("semantics") and parsed.tags("msup")
    assert parsed.tags("annotation") == [{"encoding": "application/x-tex"}]
    assert "R^2" in parsed.text
    assert "-Tuning: Efficient Image-to-Video" in parsed.text
    assert not parsed.tags("p")


def test_display_math_in_an_abstract() -> None:
    parsed = abstract("We show $$\\frac{a}{b}$$ and\n\n$$\nx^2\n$$")
    assert [m["display"] for m in parsed.tags("math")] == ["block", "block"]
    assert parsed.tags("mfrac")


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 to $10 per run.",
        "between $3 and $4 million",
        "from $5-$10",
        "US$5 and US$10",
        "a budget of $ 5 $",
        "costs 5$ and 6$",
    ],
)
def test_prices_stay_text(text: str) -> None:
    parsed = abstract(text)
    assert not parsed.tags("math")
    assert parsed.text.strip() == text


def test_math_next_to_a_price() -> None:
    parsed = abstract("It costs $5 while $x_i$ is free")
    assert len(parsed.tags("math")) == 1
    assert "It costs $5 while" in parsed.text


def test_escaped_dollars_are_text() -> None:
    parsed = abstract("a \\$x\\$ b")
    assert not parsed.tags("math")
    assert "a $x$ b" in parsed.text


def test_broken_math_falls_back_to_source_with_a_located_warning() -> None:
    html, diagnostics = render_abstract("Let $x_$ be fine and $y^2$ too.", "listings/a.txt", 7)
    parsed = assert_safe(html)
    assert "$x_$" in parsed.text
    assert len(parsed.tags("math")) == 1
    (problem,) = diagnostics
    assert problem.level == "warning"
    assert problem.location() == "listings/a.txt:7"
    assert "$x_$" in problem.message


def test_broken_math_in_a_title_or_notes_does_not_raise() -> None:
    assert "$x_$" in parse(render_title("A $x_$ title")).text
    assert "$x_$" in parse(render_notes("A $x_$ note")).text


# --------------------------------------------------------------------------- LaTeX text


def test_seed_sppd_abstract_bold_and_href() -> None:
    parsed = abstract(SPPD)
    bold = [s for s in parsed.text.split() if s]
    assert parsed.tags("strong") and len(parsed.tags("strong")) == 4
    assert "Self-training" in parsed.text
    assert "\\textbf" not in parsed.text and "\\href" not in parsed.text
    (link,) = parsed.tags("a")
    assert link["href"] == "https://anonymous.4open.science/r/SSDPO-D-DCDD"
    assert set(link["rel"].split()) >= {"nofollow", "noopener"}
    assert "https://anonymous.4open.science/r/SPPD-DCDD." in " ".join(bold)


def test_emphasis_commands() -> None:
    parsed = abstract("\\emph{a} \\textit{b} \\textbf{\\emph{c}} \\texttt{d} \\text{e}")
    assert len(parsed.tags("em")) == 3
    assert parsed.tags("strong") and parsed.tags("code")
    assert parsed.text.strip() == "a b c d e"


def test_title_commands_render_but_links_do_not() -> None:
    parsed = assert_safe(render_title("\\textbf{S}elf \\href{https://x.org}{y} https://z.org"))
    assert parsed.tags("strong")
    assert not parsed.tags("a")
    assert parsed.text == "Self y https://z.org"


def test_unknown_commands_and_unbalanced_braces_stay_text() -> None:
    parsed = abstract("\\foo{x} \\textbf{open and \\ie, done")
    assert not parsed.tags("strong")
    assert "\\foo{x} \\textbf{open and i.e., done" in parsed.text


# --------------------------------------------------------------------------- links


GH = "https://github.com"
BARE_URLS = [
    ("at github.com/eceo-epfl/ScaleProtoSeg.", f"{GH}/eceo-epfl/ScaleProtoSeg", "."),
    ("(https://gomes.andrew.cmu.edu/iron), next", "https://gomes.andrew.cmu.edu/iron", "), next"),
    ("at https://github.com/ramprs/grad-cam/,", f"{GH}/ramprs/grad-cam/", ","),
    ("see https://en.wikipedia.org/wiki/A_(b).", "https://en.wikipedia.org/wiki/A_(b)", "."),
    ("model huggingface.co/org/model;", "https://huggingface.co/org/model", ";"),
    ("page:https://studyingfufu.github.io/L2COcc/.", "https://studyingfufu.github.io/L2COcc/", "."),
    ("at {https://github.com/naver-ai/relabel_imagenet}.", f"{GH}/naver-ai/relabel_imagenet", "}."),
    ("code：https://github.com/a/b。", f"{GH}/a/b", "。"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "href", "after"), BARE_URLS)
def test_bare_urls_become_links_without_trailing_punctuation(
    text: str, href: str, after: str
) -> None:
    parsed = abstract(text)
    (link,) = parsed.tags("a")
    assert link["href"] == href
    assert link["rel"] == "nofollow noopener"
    assert parsed.text.rstrip().endswith(after)
    assert extract_links(text) == [href]


def test_a_label_glued_to_a_url_becomes_the_link_text() -> None:
    parsed = abstract("Code is at https://github.com/kleinzcy/Cr-KD-NCD{here}.")
    (link,) = parsed.tags("a")
    assert link["href"] == "https://github.com/kleinzcy/Cr-KD-NCD"
    assert parsed.text.strip() == "Code is at here."


def test_urls_inside_words_or_addresses_are_not_linked() -> None:
    parsed = abstract("mail me@github.com/x or notgithub.com/a/b")
    assert not parsed.tags("a")


def test_markdown_links_and_autolinks_get_rel() -> None:
    parsed = abstract("[code](https://example.org/c) <https://example.org/d>")
    assert [a["href"] for a in parsed.tags("a")] == [
        "https://example.org/c",
        "https://example.org/d",
    ]
    assert all(a["rel"] == "nofollow noopener" for a in parsed.tags("a"))


def test_url_inside_a_link_is_not_linked_twice() -> None:
    parsed = abstract("\\href{https://a.org}{see https://b.org} [https://c.org](https://d.org)")
    assert [a["href"] for a in parsed.tags("a")] == ["https://a.org", "https://d.org"]


def test_extract_links_in_order_deduplicated_http_only() -> None:
    text = (
        "See https://b.org/x, \\url{https://a.org} and github.com/c/d. "
        "Again https://b.org/x. \\href{mailto:me@x.org}{mail} \\href{javascript:1}{no} "
        "[m](https://e.org/m) ftp://f.org/g"
    )
    assert extract_links(text) == [
        "https://b.org/x",
        "https://a.org",
        "https://github.com/c/d",
        "https://e.org/m",
    ]


def test_extract_links_of_the_sppd_seed() -> None:
    assert extract_links(SPPD) == ["https://anonymous.4open.science/r/SSDPO-D-DCDD"]


def test_extract_links_without_any_url() -> None:
    assert extract_links("No code. $x$ \\textbf{y}") == []


# --------------------------------------------------------------------------- notes


def test_notes_highlight_fenced_code_with_classes() -> None:
    html = render_notes("Intro\n\n```python\ndef f(x):\n    return x  # <b>\n```\n")
    parsed = assert_safe(html, allow_relative=True)
    assert {"class": "highlight"} in parsed.tags("div")
    classes = {attrs.get("class") for attrs in parsed.tags("span")}
    assert {"k", "nf"} <= classes
    assert "def f(x):" in parsed.text and "# <b>" in parsed.text


def test_notes_unknown_language_is_still_escaped() -> None:
    parsed = assert_safe(render_notes("```nosuchlang\n<script>x</script>\n```"))
    assert parsed.tags("pre")
    assert "<script>x</script>" in parsed.text


def test_notes_tables_strikethrough_math_and_links() -> None:
    text = "| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\nSee $R^2$ and https://x.org/y."
    parsed = assert_safe(render_notes(text), allow_relative=True)
    assert parsed.tags("table") and parsed.tags("td")
    assert parsed.tags("s")
    assert parsed.tags("math")
    assert parsed.tags("a") == [{"href": "https://x.org/y", "rel": "nofollow noopener"}]


def test_notes_keep_raw_html_as_text() -> None:
    parsed = assert_safe(render_notes("<div onclick=x>hi</div>\n\ntext <b>bold</b>"))
    assert not parsed.tags("b")
    assert "<b>bold</b>" in parsed.text


def test_highlight_css_has_light_and_dark_styles() -> None:
    css = highlight_css()
    light, _, dark = css.partition("@media (prefers-color-scheme: dark) {")
    assert ".highlight" in light and ".highlight .k" in light
    assert ".highlight .k" in dark
    assert css.count("{") == css.count("}")
    assert "style=" not in render_notes("```python\nx = 1\n```")


# --------------------------------------------------------------------------- plain text


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("\\textbf{S}elf-training", "Self-training"),
        (R2_TITLE, R2_TITLE.replace("$", "")),
        ("a \\href{https://x.org}{link}  and\n \\url{https://y.org}", "a link and https://y.org"),
        ("\\textbf{\\emph{nested}} \\ie, 50\\% of {BERT}", "nested i.e., 50% of BERT"),
        ("costs $5 to $10", "costs $5 to $10"),
        ("bell\x07 and\x00 nul\x0c", "bell and nul"),
        ("\\textbf{unclosed \\LaTeX", "unclosed LaTeX"),
        ("<script>x</script> & co", "<script>x</script> & co"),
        ("https://a.io/b{here} and magenta{https://c.io/}", "https://a.io/b here and magenta https://c.io/"),
    ],
)  # fmt: skip
def test_plain_text(text: str, plain: str) -> None:
    assert plain_text(text) == plain


# --------------------------------------------------------------------------- seeds


@pytest.mark.skipif(not SEEDS, reason="no seed listings in content/listings")
def test_every_seed_line_renders_well_formed() -> None:
    lines = seed_lines()
    assert len(lines) > 300
    math_titles = 0
    for line in lines:
        html, diagnostics = render_abstract(line, "seed", 1)
        assert diagnostics == [], line
        assert_safe(html)
        title = assert_safe(render_title(line))
        assert not title.tags("a")
        math_titles += bool(title.tags("math"))
        assert all(url.startswith(("http://", "https://")) for url in extract_links(line))
        plain = plain_text(line)
        assert plain and "\\textbf" not in plain and "\\href" not in plain
    assert math_titles >= 1


@pytest.mark.skipif(not SEEDS, reason="no seed listings in content/listings")
def test_seed_code_links_are_found() -> None:
    links = {url for line in seed_lines() for url in extract_links(line)}
    assert "https://github.com/eceo-epfl/ScaleProtoSeg" in links
    assert "https://github.com/ghjuliasialelli/AGBD" in links
    assert "https://anonymous.4open.science/r/SSDPO-D-DCDD" in links
    assert not any(url.endswith((".", ",", ")")) for url in links)


def _full_title(text: str) -> str:
    inline = " ".join(clean(text).split())
    return str(title_md().renderInline(inline, {"inline_only": True}))


def _full_abstract(text: str) -> str:
    env = {"path": "", "line": None, "diagnostics": []}
    return str(abstract_md().render(clean(text), env))


PLAIN_OR_NOT = [
    "Attention Is All You Need",
    'A "quoted" title: with (parentheses), commas; and a question?',
    "Über-große Modelle für Übersetzung — eine Studie",
    "Code at github.com/user/repo for everyone",
    "See https://example.org/paper for more",
    "Scaling laws, e.g. for 7B models vs. 70B models",
    "- starts like a list item",
    "1. starts like an ordered list",
    "12) also a list",
    "Spaces  inside  and\ta tab",
    "Two lines\nof text",
    "Paragraph one.\n\nParagraph two.",
    "Math $x^2$ inline",
    "Emphasis *here* and _there_",
    "An &amp; entity and a <b>tag</b>",
    "Escapes \\alpha and \\_ underscores",
    "Hash # and tilde ~ and pipes |",
    "Trailing spaces   ",
    "   Leading spaces",
    "Control \x07 characters \x7f removed",
    "Zero\u200bwidth and non\u00a0breaking spaces",
    "'single quotes' and apostrophes' ok",
]


@pytest.mark.parametrize("text", PLAIN_OR_NOT)
def test_plain_text_shortcut_renders_as_the_markdown_renderers(text: str) -> None:
    """render_title and render_abstract skip markdown-it for plain text: same HTML."""
    assert markup.render_title(text) == _full_title(text)
    assert markup.render_abstract(text)[0] == _full_abstract(text)


def test_plain_text_shortcut_on_every_seed_entry() -> None:
    from generator.listings import parse_bytes

    seeds = Path(__file__).resolve().parents[1] / "content" / "listings"
    checked = 0
    for path in sorted(seeds.iterdir()):
        for entry in parse_bytes(path.read_bytes(), path.name).entries:
            for text in (entry.title or "", entry.abstract):
                assert markup.render_title(text) == _full_title(text)
                assert markup.render_abstract(text)[0] == _full_abstract(text)
                checked += 1
    assert checked > 300


URL_PIECES = [
    "We propose", "a model", "code", "at", "(see", ")", ".", ",", "!", "?", ":", "'", '"', "é",
    "https://github.com/a/b", "github.com/x/y-z", "https://x.org/a?b=1", "http://a.b/c#d",
    "https://x.org/p(1)", "www.github.com/a/b", "https://x.org/%41", "https://", "http://x",
    "https://x.org/a:b", "javascript://x", "https://x.org/a'b'", "huggingface.co/m/n",
    "https://x.org/a_b", "https://x.org/*a*", "https://x.org/a&b", "a_b", "x*y",
]  # fmt: skip


@given(st.lists(st.sampled_from(URL_PIECES), min_size=1, max_size=12), st.booleans())
def test_plain_paragraph_with_links_is_drawn_as_markdown_draws_it(pieces, glue) -> None:
    """The fast path for one plain paragraph with bare URLs gives the Markdown path's HTML
    whenever it applies (it declines anything it cannot be sure of)."""
    text = ("" if glue else " ").join(["Text", *pieces])
    fast = _plain_with_links(text)
    if fast is not None:
        slow = str(abstract_md().render(text, {"path": "", "line": None, "diagnostics": []}))
        assert fast == slow


@pytest.mark.parametrize(
    "text",
    [
        "Code at GitHub.com/A/B and WWW.github.com/x/y, www.gitlab.com/z.",
        "İstanbul github.com/q/r{label} xgithub.com/a/b huggingface.co/m/n codeberg.org/o/p",
        "no hosts here at all",
    ],
)
def test_host_urls_found_on_lowercased_text_are_the_same_matches(text: str) -> None:
    def spans(matches: Iterable[re.Match[str]]) -> list[tuple[int, int, str, str | None]]:
        return [(m.start(), m.end(), m.group(0), m.group("label")) for m in matches]

    expected = spans(HOST_URL_RE.finditer(text))
    assert spans(host_urls(text, text.lower())) == expected
