"""Shared fixtures: the seed listings built once per session, and a small HTML tree."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from chromium import CHROMIUM as _CHROMIUM
from chromium import CHROMIUM_ARGS as _CHROMIUM_ARGS

from generator.build import BuildResult, build_site

REPO = Path(__file__).resolve().parents[1]
SITES = Path(__file__).resolve().parent / "sites"
ROOT_URL = "http://127.0.0.1:8000/"
REPO_URL = "http://127.0.0.1:8000/repo/"


# -- sites -----------------------------------------------------------------------------


def make_site(
    dest: Path, listings: Path | None = REPO / "content" / "listings", **config: Any
) -> Path:
    """A site folder: the repository's digest.yaml with `config` changes, and a copy of
    `listings` (copy2 keeps modification times, which decide the years of listing dates)."""
    data = yaml.safe_load((REPO / "digest.yaml").read_text(encoding="utf-8"))
    if listings is None:  # the repository's listing_years name its seed listings
        data.pop("listing_years", None)
    data.update(config)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "digest.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    target = dest / "content" / "listings"
    if listings is not None:
        shutil.copytree(listings, target, copy_function=shutil.copy2)
    else:
        target.mkdir(parents=True)
    return dest


def copy_fixture_site(name: str, dest: Path) -> Path:
    """A tiny site kept under tests/sites/<name>/, copied so a build can write into it."""
    shutil.copytree(SITES / name, dest, copy_function=shutil.copy2)
    return dest


@dataclass(frozen=True)
class BuiltSite:
    root: Path
    output: Path
    base_url: str
    result: BuildResult
    seconds: float = 0.0
    trees: dict[str, Node] = field(default_factory=dict, repr=False, compare=False)

    def html_pages(self) -> list[str]:
        """Every HTML file of the output, relative, sorted."""
        return sorted(
            p.relative_to(self.output).as_posix()
            for p in self.output.rglob("*.html")
            if not p.relative_to(self.output).as_posix().startswith("pagefind/")
        )

    def text(self, relative: str) -> str:
        return (self.output / relative).read_text(encoding="utf-8")

    def resolve(self, page: str, href: str) -> str:
        """Where a link of an output page leads, relative to the site root ("" for home)."""
        base = urlsplit(self.base_url).path
        served = base + page.removesuffix("index.html")
        path = urlsplit(urljoin("http://host" + served, href)).path
        assert path.startswith(base), (page, href)
        return path[len(base) :]

    def page(self, relative: str) -> Node:
        """The parsed tree of an output page (cached: do not change it)."""
        if relative not in self.trees:
            self.trees[relative] = parse(self.text(relative))
        return self.trees[relative]


def build(root: Path, output: Path | None = None, base_url: str = ROOT_URL) -> BuiltSite:
    import time

    start = time.perf_counter()
    result = build_site(root, output=output or root / "site", base_url=base_url, search=False)
    seconds = time.perf_counter() - start
    assert not [d for d in result.diagnostics if d.level == "error"], result.diagnostics
    return BuiltSite(root, result.output, base_url, result, seconds)


@pytest.fixture(scope="session")
def seed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("seeds"))


@pytest.fixture(scope="session")
def seed_site(seed_root: Path) -> BuiltSite:
    """The seed listings built at the root of a domain (the records are written first)."""
    return build(seed_root)


@pytest.fixture(scope="session")
def seed_site_repo(seed_site: BuiltSite) -> BuiltSite:
    """The same site built for a GitHub Pages project path, /repo/."""
    return build(seed_site.root, seed_site.root / "site-repo", REPO_URL)


HOSTILE = """Apr 30

Hostile <script>alert(1)</script> Title <img src=x onerror=alert(1)>

We study what happens when a listing carries markup such as <script>alert(1)</script> and \
<img src=x onerror=alert(1)> inside its abstract, and propose escaping it everywhere.

A Friendly Paper About Transformers

We propose a friendly method for language models that works well on many benchmarks and is \
efficient at inference time.
"""


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """A listing whose title and abstract carry HTML: it must show as text."""
    years = {"001_hostile.txt": 2024}
    root = make_site(tmp_path_factory.mktemp("hostile"), listings=None, listing_years=years)
    (root / "content" / "listings" / "001_hostile.txt").write_text(HOSTILE, encoding="utf-8")
    return build(root)


@pytest.fixture(scope="session")
def compact_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return build(make_site(tmp_path_factory.mktemp("compact"), theme="compact"))


# -- HTML through a parser ------------------------------------------------------------------

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Any] = field(default_factory=list)  # Node or str
    line: int = 0
    parent: Node | None = None

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, line=self.getpos()[0])
        node.parent = self.stack[-1]
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


@pytest.fixture(scope="session")
def parse_html() -> Callable[[str], Node]:
    """The HTML tree of a page (html.parser; void elements and stray end tags handled)."""
    return parse


@pytest.fixture(scope="session")
def new_site() -> Callable[..., Path]:
    """make_site: a site folder with the repository's digest.yaml (changed by keywords)."""
    return make_site


@pytest.fixture(scope="session")
def fixture_site() -> Callable[[str, Path], Path]:
    """copy_fixture_site: a copy of tests/sites/<name>/ at a destination."""
    return copy_fixture_site


@pytest.fixture(scope="session")
def build_at() -> Callable[..., BuiltSite]:
    """build(root, output=None, base_url=ROOT_URL): build without search, no errors allowed."""
    return build


# -- `digest serve` as a subprocess (tests/test_serve.py, tests/browser/) ------------------


@dataclass
class ServedSite:
    """A running `digest serve` on a free port, its output collected line by line."""

    root: Path
    proc: Any  # subprocess.Popen[str]
    port: int
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, target: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
        """GET `target` as written: http.client leaves the path alone."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", target)
            response = conn.getresponse()
            headers = {k.lower(): v for k, v in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            conn.close()

    def status(self) -> dict[str, Any]:
        import json

        return json.loads(self.get("/__digest/status")[2])

    def settle(self, quiet: float = 0.4, timeout: float = 30) -> dict[str, Any]:
        """Wait until no build runs or waits and the build count holds for `quiet` seconds."""
        import time

        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            state = self.status()
            key = (state["builds"], state["building"], state["pending"])
            idle = not state["building"] and not state["pending"]
            if key != last:
                last, since = key, time.monotonic()
            elif idle and time.monotonic() - since > quiet:
                return state
            time.sleep(0.05)
        raise AssertionError(f"digest serve did not settle: {last}")

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.status()
            if check(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out; last status: {state}")

    def stop(self, timeout: float = 20) -> int:
        """Ctrl-C, as a user would; the exit code."""
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=timeout)
        return self.proc.returncode


def start_serve(root: Path, port: int = 0, *args: str, timeout: float = 90) -> ServedSite:
    """`digest serve` in `root`; returns once it prints the URL it serves."""
    import re
    import subprocess
    import sys
    import threading

    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", "serve", "--port", str(port), *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = ServedSite(root, proc, 0)
    ready = threading.Event()

    def pump(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)
            if match := re.search(r"Serving http://127\.0\.0\.1:(\d+)/", line):
                served.port = int(match.group(1))
                ready.set()
        ready.set()

    for stream, lines in ((proc.stdout, served.stdout), (proc.stderr, served.stderr)):
        threading.Thread(target=pump, args=(stream, lines), daemon=True).start()
    if not ready.wait(timeout) or not served.port:
        proc.kill()
        raise AssertionError(f"digest serve did not start: {served.stdout} {served.stderr}")
    return served


@pytest.fixture(scope="session")
def serve_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seed site whose records were ingested once; tests serve copies of it."""
    import subprocess
    import sys

    root = make_site(tmp_path_factory.mktemp("serve-template"))
    subprocess.run(
        [sys.executable, "-m", "generator.cli", "ingest"], cwd=root, check=True, capture_output=True
    )
    return root


@pytest.fixture
def serve_copy(serve_template: Path, tmp_path: Path) -> Iterator[Callable[..., ServedSite]]:
    """Start `digest serve` in a fresh copy of the template site; stopped after the test."""
    started: list[ServedSite] = []

    def start(name: str = "site", port: int = 0, *args: str) -> ServedSite:
        root = tmp_path / name
        if not root.exists():
            shutil.copytree(serve_template, root, copy_function=shutil.copy2)
        started.append(start_serve(root, port, *args))
        return started[-1]

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.stop()


# -- ingest (tests/test_ingest.py, test_records.py, test_cli_ingest.py, test_properties.py) --


def set_mtime(path: Path, day: Any) -> None:
    """Give a listing a modification time at noon, local time, on `day` (a datetime.date):
    the year of a listing date written without one comes from it."""
    import os
    import time

    stamp = time.mktime((day.year, day.month, day.day, 12, 0, 0, 0, 0, -1))
    os.utime(path, (stamp, stamp))


def run_ingest(root: Path, files: list[Path] | None = None, *, dry_run: bool = False) -> Any:
    """generator.ingest.ingest on the site at `root`, with its digest.yaml."""
    from generator.config import load_config
    from generator.ingest import ingest

    config, _ = load_config(root / "digest.yaml")
    return ingest(root, config, files, dry_run=dry_run)


@pytest.fixture(scope="session")
def ingest_site() -> Callable[..., Any]:
    """run_ingest(root, files=None, *, dry_run=False) -> IngestResult."""
    return run_ingest


@pytest.fixture(scope="session")
def listing_mtime() -> Callable[[Path, Any], None]:
    """set_mtime(path, date): a listing's modification time, noon local time that day."""
    return set_mtime


@pytest.fixture(scope="session")
def serve_in() -> Callable[..., ServedSite]:
    """start_serve(root, port=0, *args): `digest serve` in `root`, once it prints its URL."""
    return start_serve


# One browser for the whole run: Playwright's sync API cannot start a second instance while
# one is open in the same thread, so every browser test shares this one.
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not _CHROMIUM.is_file():
        pytest.skip(f"{_CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(_CHROMIUM), headless=True, args=_CHROMIUM_ARGS
        )
        yield browser
        browser.close()
