"""The browser side of `digest serve`: the live-reload script and error overlay injected into
served HTML (never into files on disk), and the Server-Sent Events channel that tells open
pages about each build.

Tests: tests/test_serve.py, tests/browser/test_live_reload.py
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import Diagnostic

EVENTS_PATH = "/__digest/events"
STATUS_PATH = "/__digest/status"
MARKER = "data-digest-live-reload"  # on the injected script; the built site never has it
OVERLAY_ID = "digest-error-overlay"
HEADLINE = "The build failed; showing the last good version"

_OVERLAY_STYLE = (
    "position:fixed;z-index:2147483647;left:1rem;right:1rem;bottom:1rem;max-height:60vh;"
    "overflow:auto;margin:0;padding:1rem 1.25rem;background:#2a0d10;color:#ffe4e4;"
    "border:2px solid #ff6b6b;border-radius:8px;box-shadow:0 8px 30px rgba(0,0,0,.45);"
    "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left"
)
_LIST_STYLE = "margin:.5rem 0 0;padding-left:1.25rem;white-space:pre-wrap"

# The build number tells the page whether what it shows is current. A stylesheet-only change
# swaps the <link>s in place. A build that lists the pages it wrote (`pages`) leaves other
# pages alone and refreshes this one in place: the new body and the new <head> but what it
# loads (a title edit changes the <title>) replace the old ones, scroll kept, when the page
# loads the same stylesheets and scripts and no script built it (the search page);
# otherwise, and after a missed build, the page reloads, keeping its scroll position. (A
# reload was 180 ms of a title edit's 300 ms from saving to paint; swapping is 15 ms.)
# EventSource reconnects by itself; a new server id means a restarted server.
_SCRIPT = """(() => {
  "use strict";
  const me = document.currentScript;
  const server = me.dataset.server;
  let build = Number(me.dataset.build);
  const key = "digest-scroll:" + location.pathname + location.search;
  const saved = sessionStorage.getItem(key);
  if (saved) {
    sessionStorage.removeItem(key);
    const [x, y] = JSON.parse(saved);
    const restore = () => window.scrollTo(x, y);
    restore();
    addEventListener("load", restore, { once: true });
  }
  let source = null;
  const reload = () => {
    sessionStorage.setItem(key, JSON.stringify([window.scrollX, window.scrollY]));
    if (source) source.close();
    location.reload();
  };
  const here = () => {
    const path = decodeURI(location.pathname);
    return path.endsWith("/") ? path + "index.html" : path;
  };
  // What a page loads (stylesheets, scripts, styles, <base>): the same, the page can take
  // the new <head> in place; the rest of the head (title, meta, links) is just replaced.
  const LOADS = 'link[rel~="stylesheet"], link[rel~="preload"], link[rel~="modulepreload"], ' +
    'style, base, script:not([type="application/ld+json"])';
  const headOf = (doc) => Array.from(doc.head.querySelectorAll(LOADS), (e) =>
    e.matches('link[rel~="stylesheet"]')
      ? "css " + e.getAttribute("href").split("?")[0]
      : e.outerHTML
  ).join("\\n");
  const swapHead = (next) => {
    for (const e of Array.from(document.head.children)) if (!e.matches(LOADS)) e.remove();
    for (const e of Array.from(next.head.children)) {
      if (!e.matches(LOADS)) document.head.append(document.adoptNode(e));
    }
  };
  // Scripts loaded by URL run once and keep working on the new body (digest.js listens on
  // the document); inline ones and pages a script has built ([data-digest-dynamic]) reload.
  const scriptsOf = (doc) => Array.from(doc.body.querySelectorAll("script"))
    .filter((s) => !s.hasAttribute(MARKER) && s.type !== "application/ld+json")
    .map((s) => s.src ? "src " + s.getAttribute("src") : "inline " + s.textContent).join("\\n");
  const swappable = (next) => headOf(next) === pristine &&
    scriptsOf(next) === scriptsOf(document) && !scriptsOf(next).includes("inline ") &&
    !document.querySelector("[data-digest-dynamic]");
  let pristine = headOf(document);
  let refreshing = Promise.resolve();
  const refresh = () => {
    refreshing = refreshing.then(async () => {
      const response = await fetch(location.href, { cache: "no-store" });
      const next = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!response.ok || !swappable(next)) return reload();
      const [x, y] = [window.scrollX, window.scrollY];
      swapHead(next);
      document.body.replaceWith(document.adoptNode(next.body));
      window.scrollTo(x, y);
      document.dispatchEvent(new CustomEvent("digest:refreshed"));
    }).catch(reload);
  };
  const swapStyles = () => {
    for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin) continue;
      url.searchParams.set("digest-build", String(build));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      const drop = () => link.remove();
      fresh.addEventListener("load", drop, { once: true });
      fresh.addEventListener("error", drop, { once: true });
      link.after(fresh);
    }
  };
  const showErrors = (errors) => {
    let box = document.getElementById(OVERLAY_ID);
    if (!errors.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY_ID;
      box.setAttribute("role", "alert");
      box.style.cssText = OVERLAY_STYLE;
      document.body.append(box);
    }
    const title = document.createElement("strong");
    title.textContent = HEADLINE;
    const list = document.createElement("ul");
    list.style.cssText = LIST_STYLE;
    for (const error of errors) {
      const item = document.createElement("li");
      const where = document.createElement("code");
      where.textContent = error.location;
      item.append(where, ": " + error.message + (error.hint ? " (" + error.hint + ")" : ""));
      list.append(item);
    }
    box.replaceChildren(title, list);
  };
  source = new EventSource(me.dataset.events);
  source.addEventListener("build", (event) => {
    const state = JSON.parse(event.data);
    if (state.server !== server) return reload();
    if (state.build !== build) {
      if (state.build !== build + 1) return reload();
      build = state.build;
      if (state.kind === "css") swapStyles();
      else if (!Array.isArray(state.pages)) return reload();
      else if (state.pages.includes(here())) refresh();
    }
    refreshing.then(() => showErrors(state.errors));
  });
})();"""

SCRIPT = (
    _SCRIPT.replace("OVERLAY_ID", json.dumps(OVERLAY_ID))
    .replace("OVERLAY_STYLE", json.dumps(_OVERLAY_STYLE))
    .replace("LIST_STYLE", json.dumps(_LIST_STYLE))
    .replace("HEADLINE", json.dumps(HEADLINE))
    .replace("MARKER", json.dumps(MARKER))
)


@dataclass(frozen=True, slots=True)
class ReloadState:
    """What an open page needs to know: which server, which build, and what is broken."""

    server: str
    build: int
    kind: str = "full"  # "css" when only stylesheets changed since the build before
    errors: tuple[Diagnostic, ...] = ()
    # the pages (as URL paths: "/papers/x/index.html") the build changed, when it says
    pages: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "server": self.server,
            "build": self.build,
            "kind": self.kind,
            "pages": list(self.pages) if self.pages is not None else None,
            "errors": [
                {"location": d.location(), "message": d.message, "hint": d.hint}
                for d in self.errors
            ],
        }

    def event(self) -> bytes:
        return f"event: build\ndata: {json.dumps(self.as_json())}\n\n".encode()


def overlay_html(errors: Sequence[Diagnostic]) -> str:
    """The overlay as the server draws it into a page loaded while the build is broken."""
    items = "".join(
        f"<li><code>{html.escape(d.location())}</code>: {html.escape(d.message)}"
        + (f" ({html.escape(d.hint)})" if d.hint else "")
        + "</li>"
        for d in errors
    )
    return (
        f'<div id="{OVERLAY_ID}" role="alert" style="{_OVERLAY_STYLE}">'
        f'<strong>{html.escape(HEADLINE)}</strong><ul style="{_LIST_STYLE}">{items}</ul></div>'
    )


def snippet(state: ReloadState) -> str:
    overlay = overlay_html(state.errors) if state.errors else ""
    attrs = (
        f'{MARKER} data-server="{html.escape(state.server)}" data-build="{state.build}" '
        f'data-events="{EVENTS_PATH}"'
    )
    return f"{overlay}<script {attrs}>{SCRIPT}</script>"


def inject(page: bytes, state: ReloadState) -> bytes:
    """`page` with the script (and the overlay, while the build is broken) before its last
    `</body>`, or at the end when it has none."""
    extra = snippet(state).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at == -1:
        return page + extra
    return page[:at] + extra + page[at:]


class Channel:
    """The latest ReloadState, and a stream of it for each open page."""

    def __init__(self, state: ReloadState, keepalive: float = 15.0) -> None:
        self._state = state
        self._seq = 0
        self._closed = False
        self._cond = threading.Condition()
        self.keepalive = keepalive

    def current(self) -> ReloadState:
        with self._cond:
            return self._state

    def publish(self, state: ReloadState) -> None:
        with self._cond:
            self._state = state
            self._seq += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def stream(self, write: Callable[[bytes], None]) -> None:
        """Send the current state, then each new one, until closed or the page goes away
        (a write raises). A comment line every `keepalive` seconds finds dead connections."""
        write(b"retry: 500\n\n")
        seen = -1
        while True:
            with self._cond:
                if seen == self._seq and not self._closed:
                    self._cond.wait(self.keepalive)
                if self._closed:
                    return
                fresh = seen != self._seq
                seen, state = self._seq, self._state
            write(state.event() if fresh else b": ping\n\n")
