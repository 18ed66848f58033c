"""`digest check`: validate digest.yaml and every record, then follow every internal link of
the built site as a static server would serve it (under base_url's path, directory URLs
answered by their index.html), and report each one that leads nowhere with `page:line`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .cache import CACHE_DIR
from .config import Config, load_config
from .errors import Diagnostic, DigestError, error, info, warning
from .ingest import load_records
from .lock import build_lock
from .markup import render_abstract
from .site import build_model
from .write import interrupted

# Attributes that make the browser fetch or navigate to a URL.
URL_ATTRS = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "script": ("src",),
    "iframe": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "track": ("src",),
    "embed": ("src",),
    "form": ("action",),
}
# 404.html answers any missing URL, so its relative links are resolved from a deep one.
MISSING_PAGE = "no/such/page/deep/below/"
_ORIGIN = "http://digest-check.invalid"


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    line: int


@dataclass(slots=True)
class PageScan:
    """The links and the fragment targets (ids, named anchors) of one HTML page."""

    links: list[Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.scan.anchors.add(values[key] or "")
        line = self.getpos()[0]
        for name in URL_ATTRS.get(tag, ()):
            value = values.get(name)
            if value is None:
                continue
            urls = _srcset(value) if name == "srcset" else [value]
            self.scan.links.extend(Link(url.strip(), line) for url in urls)

    handle_startendtag = handle_starttag


def _srcset(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.strip()]


def scan_html(text: str) -> PageScan:
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner.scan


def check_site(
    root: Path, config_path: Path, output: Path | None, *, base_url: str | None = None
) -> tuple[list[Diagnostic], str]:
    """Every problem found in the config, the records and the built site, and a summary."""
    config, diagnostics = _config(config_path)
    records = check_records(root, config, diagnostics)
    out = (output or root / "site").resolve()
    if not (out / "index.html").is_file():
        diagnostics.append(
            error(_shown(root, out), None, "no built site here", "run `digest build` first")
        )
        return diagnostics, f"checked {records} records; no built site to check"
    if interrupted(root / CACHE_DIR, out) and not _building(root / CACHE_DIR):
        diagnostics.append(
            error(
                _shown(root, out),
                None,
                "the last build of this folder was cut short: it may mix pages of two builds "
                "and link to pages not yet written",
                "run `digest build`: the next build repairs it",
            )
        )
    served = base_url or served_base_url(out) or config.base_url
    if served != config.base_url:
        diagnostics.append(
            info(_shown(root, out), None, f"checking the site as built for {served}")
        )
    links = LinkChecker(out, served, _shown(root, out))
    diagnostics.extend(links.run())
    broken = sum(1 for d in diagnostics if d.level == "error" and d.path.startswith(links.shown))
    summary = (
        f"checked {records} records, {links.pages} pages and {links.checked} internal links "
        f"under {urlsplit(served).path or '/'}: {broken} broken"
    )
    return diagnostics, summary


def _building(cache: Path) -> bool:
    """Whether a build of the site runs now (it holds the build lock)."""
    try:
        with build_lock(cache, wait=0):
            return False
    except DigestError:
        return True


def _config(config_path: Path) -> tuple[Config, list[Diagnostic]]:
    try:
        config, notes = load_config(config_path)
        return config, list(notes)
    except DigestError as exc:  # still check the records and links, with default settings
        return Config(), list(exc.diagnostics)


def check_records(root: Path, config: Config, diagnostics: list[Diagnostic]) -> int:
    """Read every record as the build would, rendering its text; return how many were read."""
    records, _ = load_records(root / "content" / "papers", diagnostics)
    site, problems = build_model(config, records.values(), {})
    diagnostics.extend(problems)
    for paper in site.papers:
        diagnostics.extend(render_abstract(paper.abstract, paper.source_path, 3)[1])
    return len(records)


def served_base_url(out: Path) -> str | None:
    """The base URL the site was built for, from the `Sitemap:` line of its robots.txt."""
    try:
        text = (out / "robots.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.lower().startswith("sitemap:") and line.rstrip().endswith("/sitemap.xml"):
            return line.split(":", 1)[1].strip().removesuffix("sitemap.xml")
    return None


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


class LinkChecker:
    """Follows the links of every page of `out`, served at `base_url`."""

    def __init__(self, out: Path, base_url: str, shown: str) -> None:
        self.out, self.shown = out, shown
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.base_path = urlsplit(self.base_url).path or "/"
        self.scans: dict[str, PageScan] = {}
        self.pages = self.checked = 0

    def run(self) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        for page in sorted(self.out.rglob("*.html")):
            relative = page.relative_to(self.out).as_posix()
            if not relative.startswith("pagefind/"):
                self.pages += 1
                problems.extend(self._check_page(relative))
        problems.extend(self._check_xml())
        return problems

    def _check_page(self, relative: str) -> Iterator[Diagnostic]:
        scan = self._scan(relative)
        if scan is None:
            yield error(f"{self.shown}/{relative}", None, "cannot read this page as UTF-8")
            return
        page_url = self.base_path + served_path(relative)
        for link in scan.links:
            problem = self.problem(page_url, link.url, relative)
            if problem:
                yield error(f"{self.shown}/{relative}", link.line, problem)

    def _scan(self, relative: str) -> PageScan | None:
        if relative not in self.scans:
            try:
                text = (self.out / relative).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            self.scans[relative] = scan_html(text)
        return self.scans[relative]

    def problem(self, page_url: str, url: str, page_file: str = "") -> str | None:
        """Why `url`, linked from `page_file` served at `page_url`, leads nowhere (or None)."""
        if url.startswith("#") and page_file:
            self.checked += 1
            return self._fragment(url, page_file, unquote(url[1:]))
        shown = url
        if url.startswith(self.base_url):
            url = self.base_path + url[len(self.base_url) :]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url:
            return None  # external, mailto:, data: ...; an empty href is the page itself
        self.checked += 1
        url, target = shown, urlsplit(urljoin(_ORIGIN + page_url, url))
        path = unquote(target.path)
        if not (path + "/").startswith(self.base_path):
            return f"`{url}` leads outside the site's path {self.base_path}"
        relative = path[len(self.base_path) :]
        file = self._file(relative)
        if file is None:
            return f"`{url}` leads to no file ({path})"
        if file == "":
            return f"`{url}` names a folder without a trailing slash ({path})"
        if target.fragment and file.endswith(".html"):
            return self._fragment(url, file, unquote(target.fragment))
        return None

    def _file(self, relative: str) -> str | None:
        """The output file serving `relative`; "" for a folder named without its slash."""
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        target = self.out / relative
        if ".." in relative.split("/"):
            return None
        if target.is_file():
            return relative
        return "" if (target / "index.html").is_file() else None

    def _fragment(self, url: str, file: str, fragment: str) -> str | None:
        if fragment in ("", "top"):
            return None
        scan = self._scan(file)
        if scan is not None and fragment not in scan.anchors:
            return f"`{url}`: no element with id `{fragment}` on that page"
        return None

    def _check_xml(self) -> Iterator[Diagnostic]:
        """Feeds and the sitemap: well-formed, and every link to the site resolves."""
        files = [self.out / "sitemap.xml", self.out / "feed.xml"]
        files += sorted((self.out / "topics").glob("*/feed.xml"))
        for file in files:
            if not file.is_file():
                continue
            shown = f"{self.shown}/{file.relative_to(self.out).as_posix()}"
            try:
                tree = ET.parse(file)
            except ET.ParseError as exc:
                yield error(shown, exc.position[0], f"not well-formed XML: {exc}")
                continue
            for url in _xml_urls(tree.getroot()):
                if not url.startswith(self.base_url):
                    yield warning(shown, None, f"`{url}` is not under {self.base_url}")
                    continue
                problem = self.problem(self.base_path, url)
                if problem:
                    yield error(shown, None, problem)


def _xml_urls(root: ET.Element) -> Iterator[str]:
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local == "link" and element.get("href"):
            yield element.get("href") or ""
        elif local == "loc" and element.text:
            yield element.text.strip()


def served_path(relative: str) -> str:
    """The URL path (below the base) a page is served at: folders for index.html files."""
    if relative == "404.html":
        return MISSING_PAGE
    if relative == "index.html":
        return ""
    return relative.removesuffix("index.html")
