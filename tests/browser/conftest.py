"""Browser fixtures: Debian's chromium driven by Playwright, and built sites served over
HTTP on 127.0.0.1 the way a static host serves them (404.html for any missing path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from static_host import serve


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
