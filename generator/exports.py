"""Files for machines: Atom feeds, papers.json, sitemap.xml, robots.txt, cite.bib."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from .config import Config
from .digests import Remembered, digest
from .markup import plain_text
from .metadata import bibtex
from .models import Paper
from .site import Site

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 forbids even escaped (C0 controls, U+FFFE/U+FFFF, lone surrogates): one
# `\x01` in a user's `topic:` made every feed it lands in unreadable to feed readers.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(slots=True)
class ExportMemo:
    """The exports' keys, remembered while their inputs stay equal; in a session also the
    parts of papers.json and the lines of the sitemap, made again only for what changed."""

    named: Remembered = field(default_factory=Remembered)
    session: bool = False
    json_parts: dict[str, bytes] | None = None  # papers.json's part per paper, by item key
    base: str = ""  # of the sitemap's lines (the base URL is in the config, so in `base`)
    url_lines: dict[str, str] = field(default_factory=dict)  # by page path

    def saved(self) -> ExportMemo:
        """What is worth keeping on disk for the next `digest build`: the keys."""
        return ExportMemo(self.named)

    def sitemap_lines(self, base: str) -> dict[str, str] | None:
        if not self.session:
            return None
        if base != self.base:
            self.base, self.url_lines = base, {}
        return self.url_lines


@dataclass(frozen=True, slots=True)
class Export:
    """A non-HTML output file: where it goes, the key of what it shows, how to make it."""

    path: str
    key: str
    make: Callable[[], bytes]


def exports(
    site: Site, base: str, digests: Mapping[str, str], memo: ExportMemo
) -> Iterator[Export]:
    """Every non-HTML output file but the sitemap (`sitemap_export`) and each paper's
    cite.bib (`cite_files`), made only if its key changed since the last build. Nothing here
    depends on related papers or templates: a cold build makes these while related papers
    are computed."""
    config = site.config

    def shown(papers: tuple[Paper, ...]) -> list[str]:
        return [digests[p.slug] for p in papers]

    newest = site.papers[: config.feed_size]
    yield Export(
        "feed.xml",
        digest(base, "feed", shown(newest)),
        partial(atom_feed, config, site.papers, config.title, "feed.xml"),
    )
    for group in site.topics:
        path = f"topics/{group.slug}/feed.xml"
        title = f"{group.name} · {config.title}"
        yield Export(
            path,
            digest(base, path, title, shown(group.papers[: config.feed_size])),
            partial(atom_feed, config, group.papers, title, path),
        )
    yield Export(
        "papers.json",
        memo.named.digest("papers.json", base, shown(site.papers)),
        partial(papers_json, site.papers, digests, memo.json_parts),
    )
    robots = f"User-agent: *\nAllow: /\nSitemap: {absolute(config, 'sitemap.xml')}\n"
    yield Export("robots.txt", digest(base, robots), robots.encode)


def cite_files(
    site: Site, base: str, digests: Mapping[str, str], memo: ExportMemo
) -> list[tuple[str, str | None]]:
    """Each paper's cite.bib as (path, key); `cite_export` makes the file. Apart from the
    other exports because there are as many as papers: an Export each was a tenth of a
    session's build at 10,000 papers."""
    out: list[tuple[str, str | None]] = []
    for paper in site.papers:
        path = f"papers/{paper.slug}/cite.bib"
        out.append((path, memo.named.digest(path, base, digests[paper.slug])))
    return out


def cite_export(paper: Paper, site: Site, key: str | None) -> Export:
    make = partial(_bib, paper, site.config, site.cite_keys)
    return Export(f"papers/{paper.slug}/cite.bib", key or "", make)


def sitemap_export(config: Config, page_paths: list[str], base: str, memo: ExportMemo) -> Export:
    lines = memo.sitemap_lines(base)
    return Export(
        "sitemap.xml",
        memo.named.digest("sitemap.xml", base, page_paths),
        partial(sitemap, config, page_paths, lines),
    )


def _bib(paper: Paper, config: Config, keys: Mapping[str, str]) -> bytes:
    return bibtex(paper, config, keys).encode("utf-8")


def absolute(config: Config, path: str) -> str:
    return config.base_url.rstrip("/") + "/" + path


def _stamp(date: dt.date) -> str:
    return f"{date.isoformat()}T00:00:00Z"


def atom_feed(config: Config, papers: tuple[Paper, ...], title: str, path: str) -> bytes:
    """An Atom 1.0 feed of the newest papers; dates come from the records, not the clock."""
    ET.register_namespace("", ATOM)
    newest = papers[: config.feed_size]
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", absolute(config, path))
    _sub(feed, "title", title)
    _sub(feed, "subtitle", config.description)
    updated = max((_entry_date(p) for p in newest), default=dt.date(1970, 1, 1))
    _sub(feed, "updated", _stamp(updated))
    _sub(feed, "link", href=absolute(config, path), rel="self")
    _sub(feed, "link", href=absolute(config, ""), rel="alternate")
    author = _sub(feed, "author")
    _sub(author, "name", config.author or config.title)
    _sub(feed, "generator", "Paper Digest")
    for paper in newest:
        entry = _sub(feed, "entry")
        url = absolute(config, paper.url)
        _sub(entry, "id", url)
        _sub(entry, "title", plain_text(paper.title))
        _sub(entry, "link", href=url, rel="alternate")
        _sub(entry, "updated", _stamp(_entry_date(paper)))
        if paper.published:
            _sub(entry, "published", _stamp(paper.published))
        _sub(entry, "summary", plain_text(paper.abstract))
        _sub(entry, "category", term=paper.topic)
        for tag in paper.tags:
            _sub(entry, "category", term=tag)
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8") + b"\n"


def _entry_date(paper: Paper) -> dt.date:
    return max(d for d in (paper.published, paper.listed, paper.date) if d is not None)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    clean = {key: _NOT_XML.sub("", value) for key, value in attrs.items()}
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", clean)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def paper_record(paper: Paper) -> dict[str, Any]:
    """A paper as papers.json shows it: record fields plus slug, url, effective topic and tags."""
    data: dict[str, Any] = {"slug": paper.slug, "url": paper.url, "title": paper.title}
    if paper.title_inferred:
        data["title_inferred"] = True
    if paper.abstract:
        data["abstract"] = paper.abstract
    if paper.authors_count is not None:
        data["authors_count"] = paper.authors_count
    if paper.published:
        data["published"] = paper.published.isoformat()
    if paper.published_inferred:
        data["published_inferred"] = True
    if paper.listed:
        data["listed"] = paper.listed.isoformat()
    if paper.affiliation:
        data["affiliation"] = paper.affiliation
    data["sources"] = list(paper.sources)
    if paper.links:
        data["links"] = list(paper.links)
    data["topic"] = paper.topic
    data["tags"] = list(paper.tags)
    if paper.draft:  # only in a build with --drafts
        data["draft"] = True
    return data


def papers_json(
    papers: tuple[Paper, ...],
    keys: Mapping[str, str] | None = None,
    memo: dict[str, bytes] | None = None,
) -> bytes:
    """All papers as one JSON array, indented one space a level. With `keys` (each paper's
    item digest, which covers every field shown here) each paper's part is kept in `memo`,
    so an edit encodes one paper, not all."""
    if keys is None or memo is None:
        keys, memo = {}, {}  # nothing to remember
    elif len(memo) > 2 * len(papers) + 100:  # edited papers' old parts
        memo.clear()
    parts = []
    for paper in papers:
        key = keys.get(paper.slug)
        part = memo.get(key) if key is not None else None
        if part is None:
            part = json_part(paper_record(paper)).encode("utf-8")
            if key is not None:
                memo[key] = part
        parts.append(part)
    if not parts:
        return b"[]\n"
    # one join: adding the brackets to the joined bytes copied 22 MB twice more at 10,000
    parts[0] = b"[\n" + parts[0]
    parts[-1] += b"\n]\n"
    return b",\n".join(parts)


def json_part(data: dict[str, Any]) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=1)` indented one space more, as an item of
    papers.json. A paper record is a flat object of strings, numbers, booleans and lists of
    them, written here with json's own string encoder: the pure-Python encoder that
    `indent` takes was 1 s of a 10,000-paper papers.json (10 s at 100,000 papers)."""
    fields = []
    for key, value in data.items():
        if isinstance(value, list):
            items = [_scalar(item) for item in value]
            if None in items:
                break
            text = "[\n" + ",\n".join("   " + item for item in items) + "\n  ]" if items else "[]"
        else:
            text = _scalar(value)
            if text is None:
                break
        fields.append(f"  {encode_basestring(key)}: {text}")
    else:
        return " {\n" + ",\n".join(fields) + "\n }" if fields else " {}"
    text = json.dumps(data, ensure_ascii=False, indent=1)  # something else: json's way
    return " " + text.replace("\n", "\n ")


def _scalar(value: object) -> str | None:
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if value is None:
        return "null"
    return None


def sitemap(
    config: Config, page_paths: Iterable[str], known: dict[str, str] | None = None
) -> bytes:
    """The sitemap of every page but 404.html: one <url><loc> each, absolute. `known`: the
    lines of earlier builds of a session with this config, by path."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<urlset xmlns="{SITEMAP}">']
    base = config.base_url.rstrip("/") + "/"
    known = known if known is not None else {}
    for path in page_paths:
        if path != "404.html":
            line = known.get(path)
            if line is None:
                loc = html.escape(base + path.removesuffix("index.html"), quote=False)
                line = known[path] = f"  <url>\n    <loc>{loc}</loc>\n  </url>"
            lines.append(line)
    lines.append("</urlset>\n")
    return "\n".join(lines).encode("utf-8")
