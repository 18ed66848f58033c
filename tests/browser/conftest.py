"""Browser fixtures: Debian's chromium driven by Playwright, and built sites served over
HTTP on 127.0.0.1 the way a static host serves them (404.html for any missing path)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest


class _StaticHost(SimpleHTTPRequestHandler):
    """Serves a folder; a missing file gets the site's 404.html, as GitHub Pages does."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    handler = functools.partial(_StaticHost, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def seed_url(seed_site) -> Iterator[str]:
    with serve(seed_site.output) as url:
        yield url


@pytest.fixture(scope="session")
def compact_url(compact_site) -> Iterator[str]:
    with serve(compact_site.output) as url:
        yield url


def _failed(watch: Watch, request: Any) -> None:
    """A request the browser dropped because the page navigated away (a favicon still
    loading when a link is followed) is no failure of the site."""
    if "ERR_ABORTED" not in str(request.failure):
        watch.failed.append(f"failed: {request.url} {request.failure}")


@dataclass
class Watch:
    """What a page did: console errors, failed or non-local requests."""

    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return self.console_errors + self.failed + self.outside


@pytest.fixture
def open_page(browser) -> Iterator[Callable[..., tuple[Any, Watch]]]:
    """open_page(url, width=1280, scheme="light") -> (page, watch): a fresh page in its own
    context; requests that leave 127.0.0.1 are blocked and recorded."""
    contexts = []

    def opener(url: str, width: int = 1280, scheme: str = "light") -> tuple[Any, Watch]:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            color_scheme=scheme,
            service_workers="block",
        )
        contexts.append(context)
        page = context.new_page()
        watch = Watch()

        def route(r: Any) -> None:
            if urlsplit(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                watch.outside.append(f"request outside 127.0.0.1: {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: (
                watch.console_errors.append(f"console: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: watch.console_errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: _failed(watch, r))
        page.on(
            "response",
            lambda r: watch.failed.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
        )
        page.emulate_media(color_scheme=scheme)
        page.goto(url, wait_until="load")
        return page, watch

    yield opener
    for context in contexts:
        context.close()
