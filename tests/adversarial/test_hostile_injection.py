"""Markup injected through listings (titles, abstracts, file names) and through the fields a
user edits in records (tags, topic, affiliation, links, sources, notes): nothing executable
reaches any output page, feed or papers.json, whether read by html.parser or by Chromium."""

from __future__ import annotations

import functools
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile import REPO, Tally, bad_url, guarded_build, make_root, scan_output

from generator.result import BuildResult

BASE_URL = "http://127.0.0.1:8000/"

# Each sets window.__xss or opens a dialog if it ever runs.
PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__xss=2">',
    '"><svg onload="window.__xss=3">',
    "'><svg/onload=alert(4)>",
    '<a href="javascript:alert(5)">five</a>',
    "[x](javascript:window.__xss=6)",
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)",
    "\\href{javascript:window.__xss=8}{eight}",
    "\\url{javascript:alert(9)}",
    "<javascript:alert(10)>",
    "[y](JaVaScRiPt&#58;alert(11))",
    "[z](&#106;avascript:alert(12))",
    "[v](vbscript:msgbox(13))",
    "</script><script>window.__xss=14</script>",
    '<iframe src="javascript:alert(15)"></iframe>',
    "$\\href{javascript:alert(16)}{x}$",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(17)">m</maction></math>',
    '![img](x" onerror="alert(18))',
    "[w](  javascript:alert(19)  )",
    "data:text/html,<script>alert(20)</script>",
    '<base href="javascript:alert(21)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(22)">',
    "\\textbf{<img src=x onerror=alert(23)>}",
    "$<img src=x onerror=alert(24)>$",
    "$$\\text{<script>alert(25)</script>}$$",
    '[ok](http://example.org/" onmouseover="alert(26))',
    "http://example.org/<script>alert(27)</script>",
    'github.com/x/y"><img src=x onerror=alert(28)>',
]
NOTES = "\n\n".join(
    [
        "# Notes <script>alert(40)</script>",
        *PAYLOADS,
        "[ref][evil] and ![pic][evil]\n\n[evil]: javascript:alert(41)",
        "<div onclick=alert(42)>raw block</div>",
        "```html\n<script>alert(43)</script>\n```",
        '```"><script>alert(44)</script>\ncode\n```',
        "| a | b |\n| - | - |\n| <img src=x onerror=alert(45)> | [t](javascript:alert(46)) |",
        "<!-- <script>alert(47)</script> -->",
        "<details open ontoggle=alert(48)>",
    ]
)
# A real http URL with markup in it: kept, and escaped wherever it is shown.
KEPT_LINK = 'http://example.org/ok"><script>alert(72)</script>'
# Escapes YAML turns into characters XML and HTML forbid; feeds must stay well-formed.
CONTROL_RECORD = """---
title: "Control \\x01 title \\x0b with \\uFFFF noncharacters \\x1b[31m"
abstract: "An abstract \\x02 with \\x1b[31m ANSI and \\uFFFE noncharacters."
topic: "Evil\\x01Topic"
tags: ["bad\\x0btag", "\\x7f"]
affiliation: "Aff\\x00iliation"
published: 2030-01-01
---
notes \x01 with a control character
"""
# Markup written as entities, once and twice: Pagefind 1.5 decodes a filter value more than
# once, so a value escaped once still ran on the search page (issue 19).
ENCODED = [
    "&lt;img src=x onerror=window.__xss=81&gt;",
    "&amp;lt;img src=x onerror=window.__xss=82&amp;gt;",
]
# A topic and a tag rule of digest.yaml named with markup; the hostile papers match them.
HOSTILE_TOPIC = '<img src=x onerror="window.__xss=83">'
HOSTILE_TAG = "<svg onload=window.__xss=84>"
LISTING_NAME = 'evil"\'><img src=x onerror="window.__xss=50">.txt'


def listing() -> str:
    """A daily listing: one paper per payload, carried in its title and its abstract."""
    parts = ["Apr 30", ""]
    for i, payload in enumerate(PAYLOADS):
        parts += [
            f"Hostile Paper {i} {payload}",
            "",
            f"We study payload {i}: {payload} inside an abstract, and {payload} again. It must "
            "show as text and never run, whatever the page or the feed it lands in.",
            "",
        ]
    return "\n".join(parts)


def evil_record() -> str:
    meta = {
        "title": 'Record <script>alert(60)</script> "><svg onload=alert(61)> $x$',
        "abstract": " ".join(PAYLOADS),
        "tags": [
            "<script>alert(62)</script>",
            '"><img src=x onerror=alert(63)>',
            "javascript:x",
            *ENCODED,
        ],
        "topic": '"><img src=x onerror="window.__xss=64">',
        "affiliation": "<script>window.__xss=65</script>",
        "links": [
            "javascript:alert(66)",
            "JAVASCRIPT:alert(67)",
            " javascript:alert(68)",
            "java\tscript:alert(69)",
            "data:text/html,<script>alert(70)</script>",
            "vbscript:msgbox(71)",
            "//evil.example/x",
            KEPT_LINK,
            "https://example.org/fine",
        ],
        "sources": ['"><svg onload="window.__xss=73">.txt'],
        "published": "2024-05-01",
    }
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + NOTES + "\n"


def hostile_taxonomy() -> dict[str, Any]:
    taxonomy = yaml.safe_load((REPO / "digest.yaml").read_text(encoding="utf-8"))["taxonomy"]
    taxonomy["topics"].insert(0, {"name": HOSTILE_TOPIC, "keywords": ["payload"]})
    taxonomy["tags"].append({"name": HOSTILE_TAG, "keywords": ["hostile"]})  # in titles
    return taxonomy


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tally: Tally) -> tuple[Path, BuildResult]:
    root = make_root(
        tmp_path_factory.mktemp("injection"),
        {LISTING_NAME: listing().encode()},
        {"evil-record.md": evil_record(), "control-chars.md": CONTROL_RECORD},
        listing_years={LISTING_NAME: 2024},
        feed_size=500,
        taxonomy=hostile_taxonomy(),
    )
    tally.tried(len(PAYLOADS) * 3 + NOTES.count("\n\n") + 1 + 9 + 6 + 7 + len(ENCODED) + 2)
    return root, guarded_build(root, tally, base_url=BASE_URL, search=True)


def test_the_hostile_site_builds(built) -> None:
    root, result = built
    assert not [d.format() for d in result.diagnostics if d.level == "error"]
    assert (root / "site" / "papers" / "evil-record" / "index.html").is_file()
    refused = [d for d in result.diagnostics if "`links` entry" in d.message]
    assert len(refused) == 7 and all(d.path == "content/papers/evil-record.md" for d in refused)


def test_no_page_holds_anything_executable(built, tally: Tally) -> None:
    root, _ = built
    assert scan_output(root / "site", tally) == []


def test_the_payloads_are_shown_as_text(built, parse_html) -> None:
    root, _ = built
    page = parse_html((root / "site/papers/evil-record/index.html").read_text("utf-8"))
    heading = page.find("h1")
    assert heading is not None and "<script>alert(60)</script>" in heading.text()
    assert "<script>window.__xss=65</script>" in page.text()
    listed = page.find("ul", cls="links")
    assert listed is not None
    assert [a.attrs["href"] for a in listed.find_all("a")] == [
        KEPT_LINK,
        "https://example.org/fine",
    ]
    topic = '"><img src=x onerror="window.__xss=64">'
    topics = parse_html((root / "site/topics/index.html").read_text("utf-8"))
    assert topic in topics.text()


def test_feeds_sitemap_and_papers_json_escape_everything(built, tally: Tally) -> None:
    root, _ = built
    out = root / "site"
    atom = {"feed", "id", "title", "subtitle", "updated", "link", "author", "name"}
    atom |= {"generator", "entry", "published", "summary", "category"}
    feeds = [out / "feed.xml", *sorted((out / "topics").glob("*/feed.xml"))]
    for feed in feeds:
        tree = ET.parse(feed)
        for element in tree.iter():
            local = element.tag.rsplit("}", 1)[-1]
            if local not in atom:
                tally.note("executable_injections", f"{feed.name}: element <{local}>")
            for key, value in element.attrib.items():
                if key in ("href", "src", "scheme", "uri") and bad_url(value):
                    tally.note("executable_injections", f"{feed.name}: {value!r}")
            assert local in atom, (feed, local)
    tree = ET.parse(out / "feed.xml")
    titles = [e.text or "" for e in tree.iter() if e.tag.endswith("}title")]
    assert any("<script>alert(60)</script>" in t for t in titles)
    sitemap = ET.parse(out / "sitemap.xml")
    locs = [e.text or "" for e in sitemap.iter() if e.tag.endswith("}loc")]
    assert locs and all(loc.startswith(BASE_URL) for loc in locs)
    papers = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    evil = next(p for p in papers if p["slug"] == "evil-record")
    assert evil["title"].startswith("Record <script>alert(60)</script>")
    assert evil["links"] == [KEPT_LINK, "https://example.org/fine"]
    for paper in papers:
        for link in paper.get("links", []):
            assert link.startswith(("http://", "https://")), link
    raw = (out / "papers.json").read_text(encoding="utf-8")
    assert json.loads(raw) == papers  # one well-formed document, nothing appended


def test_no_control_character_reaches_a_page_or_feed(built) -> None:
    root, _ = built
    out = root / "site"
    for path in [*out.rglob("*.html"), *out.rglob("*.xml")]:
        data = path.read_bytes()
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data), path
        assert "\uffff".encode() not in data or path.suffix == ".html", path
    topics = {p.parent.name for p in out.glob("topics/*/feed.xml")}
    assert "eviltopic" in topics or "evil-topic" in topics, topics


# -- in a real browser ---------------------------------------------------------------------


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(built) -> Iterator[str]:
    root, _ = built
    handler = functools.partial(_Quiet, directory=str(root / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium(browser: Any) -> Any:
    return browser  # the session's one browser (tests/conftest.py)


LIVE_LINKS = """() => [...document.querySelectorAll('[href], [src], [action], [srcset]')]
  .map(e => e.href || e.src || e.action || e.getAttribute('srcset') || '')
  .filter(u => /^\\s*(javascript|data|vbscript):/i.test(String(u.baseVal ?? u)))"""


def affected_pages(root: Path) -> list[str]:
    """Where hostile text lands, one or a few pages of each kind: html.parser reads them all,
    the browser a sample (about 150 ms a page)."""
    out = root / "site"
    hostile = ["papers/evil-record/", "", "topics/", "tags/", "listings/", "no/such/page/"]
    hostile += [f"papers/{d.name}/" for d in sorted(out.glob("papers/hostile-paper-*"))[:3]]
    for kind in ("topics", "tags", "listings", "archive/2024"):
        for index in sorted(out.glob(f"{kind}/*/index.html")):
            text = index.read_text(encoding="utf-8")
            if "alert(" in text or "__xss" in text:
                hostile.append(index.parent.relative_to(out).as_posix() + "/")
    hostile += [
        p.relative_to(out).as_posix()
        for p in out.glob("listings/*/*.html")
        if p.name != "index.html" and "__xss" in p.read_text(encoding="utf-8")
    ]
    return list(dict.fromkeys(hostile))


def test_no_dialog_and_no_flag_in_chromium(built, served: str, chromium, tally: Tally) -> None:
    root, _ = built
    context = chromium.new_context(service_workers="block")
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(served) else r.abort(),
        )
        found = []
        for url in affected_pages(root):
            page.goto(served + url, wait_until="load")
            flag = page.evaluate("() => window.__xss")
            live = page.evaluate(LIVE_LINKS)
            if flag is not None:
                found.append(f"{url}: window.__xss = {flag}")
            found += [f"{url}: live link {u}" for u in live]
        found += dialogs
    finally:
        context.close()
    for problem in found:
        tally.note("executable_injections", f"chromium: {problem}")
    assert found == []


SEARCH_QUERY = "payload"
OPEN_FILTERS = """() => document.querySelectorAll('.facet-more').forEach(b => b.click())"""
FILTER_LABELS = """() => [...document.querySelectorAll('.facet-name')].map(l => l.textContent)"""
CARD_TEXT = """() => [...document.querySelectorAll('.search-result')].map(c => c.textContent)"""
# every facet value checked and unchecked in turn, each time waiting for the cards
CHECK_EACH = """async () => {
  const boxes = () => [...document.querySelectorAll('.facet input[type=checkbox]')];
  const settle = () => new Promise(r => setTimeout(r, 150));
  for (let i = 0; i < boxes().length; i++) {
    const box = boxes()[i];
    if (!box) break;
    box.click(); await settle();
    const again = boxes().find(b => b.name === box.name && b.value === box.value);
    if (again && again.checked) { again.click(); await settle(); }
  }
}"""


def test_the_search_page_runs_no_filter_value_in_chromium(
    built, served: str, chromium, tally: Tally
) -> None:
    """/search/ with its index: every filter opened and a query typed. Tag and topic names
    (from records and from digest.yaml) are shown as text in the filters."""
    context = chromium.new_context(service_workers="block")
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(served) else r.abort(),
        )
        page.goto(served + "search/", wait_until="load")
        # with no query every facet value is offered, each with its count
        page.wait_for_selector(".facet-name", state="attached", timeout=20_000)
        page.evaluate(OPEN_FILTERS)
        labels = page.evaluate(FILTER_LABELS)
        page.evaluate(CHECK_EACH)
        page.fill("#site-search", SEARCH_QUERY)
        page.wait_for_selector(".search-result", timeout=20_000)
        page.evaluate(OPEN_FILTERS)
        cards = " ".join(page.evaluate(CARD_TEXT))
        page.fill("#site-search", "record")  # the hostile record's cards
        page.wait_for_timeout(1000)
        cards += " ".join(page.evaluate(CARD_TEXT))
        page.evaluate(CHECK_EACH)
        page.wait_for_timeout(300)
        flag = page.evaluate("() => window.__xss")
        elements = page.evaluate(
            "() => document.querySelectorAll('#search img, #search svg, #search script').length"
        )
    finally:
        context.close()
    found = [f"search: dialog {d}" for d in dialogs]
    if flag is not None:
        found.append(f"search: window.__xss = {flag}")
    if elements:
        found.append(f"search: {elements} elements made from filter values")
    for problem in found:
        tally.note("executable_injections", f"chromium: {problem}")
    assert found == []
    shown = " ".join(labels)
    for name in [HOSTILE_TOPIC, HOSTILE_TAG, "<script>alert(62)</script>", *ENCODED]:
        assert name in shown, (name, labels)
    assert HOSTILE_TOPIC in cards and "<script>alert(62)</script>" in cards, cards[:3000]
