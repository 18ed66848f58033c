"""`digest serve`: build, serve the output over HTTP, rebuild on change, reload the browser.

Three threads do the work: the HTTP server (one more thread per connection), the watcher
(watch.py) and one builder thread that runs the builds one after another. Requests wait
while a build runs, so a page is never read from a half-written site; while the build is
broken, pages come from a hard-linked copy of the last good output, with an error overlay.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import mimetypes
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import traceback
import uuid
import webbrowser
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

from .children import running
from .console import NORMAL, print_diagnostics, rebuild_lines
from .errors import Diagnostic, DigestError, error, printable
from .reload import EVENTS_PATH, STATUS_PATH, Channel, ReloadState, inject
from .result import BuildResult
from .session import BuildSession
from .themes import builtin_themes
from .watch import Batch, Debouncer, Layout, Watcher, css_only

PORT_TRIES = 20
COPY_DELAY = 0.5  # seconds of calm after a build before the last-good copy is refreshed
HOLD_SECONDS = 30.0  # how long a request waits for a running build before taking what is there

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".bib": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".pagefind": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pf_filter": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".webmanifest": "application/manifest+json",
}


def content_type(path: Path | str) -> str:
    """The Content-Type of an output file; the table first, so it does not vary by system."""
    suffix = Path(path).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path), strict=False)
    return guessed or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Resolved:
    status: int  # 200, 301, 403 or 404
    file: Path | None = None
    location: str = ""


def resolve(root: Path, target: str) -> Resolved:
    """The file a request target names inside `root`. Anything that could leave `root`
    (`..` in any encoding, backslashes, NUL bytes, symlinks pointing out) is refused."""
    path, query = _split_target(target)
    if path is None:
        return Resolved(403)
    decoded = unquote(path, errors="replace")
    if "\x00" in decoded or "\\" in decoded:
        return Resolved(403)
    segments = [s for s in decoded.split("/") if s not in ("", ".")]
    if ".." in segments:
        return Resolved(403)
    if any(s.startswith(".") for s in segments):  # temp files of a build, caches: never served
        return Resolved(404)
    base = os.path.realpath(root)
    real = os.path.realpath(os.path.join(base, *segments))
    if not _inside(real, base):
        return Resolved(403)
    if os.path.isdir(real):
        if segments and not decoded.endswith("/"):
            location = "/" + "/".join(quote(s) for s in segments) + "/" + query
            return Resolved(301, location=location)
        real = os.path.realpath(os.path.join(real, "index.html"))
        if not _inside(real, base):
            return Resolved(403)
    return Resolved(200, Path(real)) if os.path.isfile(real) else Resolved(404)


def _inside(real: str, base: str) -> bool:
    return real == base or real.startswith(base + os.sep)


def _split_target(target: str) -> tuple[str | None, str]:
    """(path, "?query") of a request target, in origin form or absolute form."""
    for scheme in ("http://", "https://"):
        if target.lower().startswith(scheme):
            rest = target[len(scheme) :]
            target = rest[rest.find("/") :] if "/" in rest else "/"
    if not target.startswith("/"):
        return None, ""
    target = target.split("#", 1)[0]
    path, mark, query = target.partition("?")
    return path, mark + query


class _Stopped(Exception):
    pass


class LastGood:
    """A hard-linked copy of the last output that built without errors: a failed build may
    already have rewritten the output, and the browser should keep showing what worked.
    Builds replace files (write a temporary, rename) rather than rewrite them, so a link
    keeps the old bytes. A refresh relinks the files the builds since the last one wrote,
    or, when that is unknown (files removed, a build that raised), walks the whole output
    relinking files whose inode changed: seconds at 10,000 papers. So it runs while nothing
    else waits, and gives way to the next build."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ready = False
        self._changed: set[str] | None = None  # None: unknown, walk everything

    def note(self, written: Iterable[str] | None) -> None:
        """What a build changed in the output (None: not known), for the next refresh."""
        if written is None or self._changed is None:
            self._changed = None
        else:
            self._changed.update(written)

    def refresh(self, output: Path, stop: Callable[[], bool] = lambda: False) -> bool:
        """Copy `output`; False (and not ready) when `stop()` turned true midway."""
        self.ready = False
        changed, self._changed = self._changed, set()
        try:
            if changed is None or not self.path.is_dir():
                _mirror(output, self.path, stop)
            else:
                _relink(output, self.path, sorted(changed), stop)
        except (_Stopped, OSError) as exc:
            self._changed = changed  # relinking again is harmless
            if isinstance(exc, OSError):
                print(f"note: cannot keep a copy of the last good site: {exc}", file=sys.stderr)
            return False
        self.ready = True
        return True

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.ready = False

    def discard(self) -> None:
        """Remove the copy without waiting: it is renamed aside and deleted by a detached
        process (deleting thousands of links took seconds of serve's exit on Ctrl-C)."""
        aside = self.path.with_name(f"{self.path.name}.old")
        try:
            self.path.rename(aside)
        except OSError:
            return self.remove()  # not there, or cannot be renamed
        self.ready = False
        _delete_detached(aside)


def _delete_detached(folder: Path) -> None:
    """Delete `folder` in a process of its own; if none can start, the next serve sweeps it
    (_scratch_folder)."""
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], True)", folder],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not stopped by the Ctrl-C that stops serve
        )


def _relink(output: Path, copy: Path, paths: list[str], stop: Callable[[], bool]) -> None:
    for count, relative in enumerate(paths):
        if count % 256 == 0 and stop():
            raise _Stopped
        source, target = output / relative, copy / relative
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            _link(str(source), str(target))
        else:
            target.unlink(missing_ok=True)


def _mirror(source: Path | str, target: Path | str, stop: Callable[[], bool]) -> None:
    if stop():
        raise _Stopped
    os.makedirs(target, exist_ok=True)
    with os.scandir(source) as it:
        theirs = {e.name: e for e in it}
    with os.scandir(target) as it:
        mine = {e.name: e for e in it}
    for name, entry in list(mine.items()):
        other = theirs.get(name)
        if other is None or other.is_dir(follow_symlinks=False) != entry.is_dir(
            follow_symlinks=False
        ):
            _remove(entry)
            del mine[name]
    for name, entry in theirs.items():
        destination = os.path.join(target, name)
        if entry.is_dir(follow_symlinks=False):
            _mirror(entry.path, destination, stop)
        elif entry.is_file(follow_symlinks=False):
            old = mine.get(name)
            if old is None or old.inode() != entry.inode():
                _link(entry.path, destination)


def _remove(entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)


def _link(source: str, destination: str) -> None:
    temp = destination + ".digest-link"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    try:
        os.link(source, temp)
    except OSError:  # another file system, or links not allowed: copy instead
        shutil.copy2(source, temp)
    os.replace(temp, destination)


class Builder(Protocol):
    """What serving needs of a BuildSession."""

    def build(self, changed: Collection[str] = ()) -> BuildResult: ...


BACKGROUND_POLL = 0.05  # seconds between looks at a background computation
BACKGROUND_DELAY = 1.0  # seconds without a change before one starts
MOST_PAGES_LISTED = 500  # a build that changes more tells open pages to reload


def changed_pages(result: BuildResult | None) -> tuple[str, ...] | None:
    """The URL paths of the pages a build wrote, for open pages to know whether they are
    among them; None (every page reloads) when pages were removed or too many changed."""
    if result is None or result.stats.removed:
        return None
    pages = tuple("/" + path for path in result.written if path.endswith(".html"))
    return pages if len(pages) <= MOST_PAGES_LISTED else None


class LiveSite:
    """The site being previewed: runs the builds (one at a time), decides which folder is
    served and tells open pages about each build."""

    def __init__(
        self, session: Builder, root: Path, output: Path, last_good: LastGood, debouncer: Debouncer
    ) -> None:
        self.session, self.root, self.output = session, root, output
        self.last_good, self.debouncer = last_good, debouncer
        self.verbosity = NORMAL
        self.warnings: frozenset[Diagnostic] = frozenset()  # shown; each said again once cleared
        self.channel = Channel(ReloadState(server=uuid.uuid4().hex[:12], build=0))
        self.builds = 0
        self.recent: deque[dict[str, Any]] = deque(maxlen=20)
        self._building = False
        self._failed = False
        self._copy_stale = False
        self._serving = self.output
        self._cond = threading.Condition()

    def serving(self) -> Path:
        """The folder to serve from, once any running build has finished."""
        with self._cond:
            self._cond.wait_for(lambda: not self._building, timeout=HOLD_SECONDS)
            return self._serving

    def status(self) -> dict[str, Any]:
        with self._cond:
            state = self.channel.current()
            return {
                **state.as_json(),
                "builds": self.builds,
                "building": self._building,
                "pending": self.debouncer.pending(),
                "serving": "last-good" if self._serving != self.output else "output",
                "last_good_ready": self.last_good.ready,
                "recent": list(self.recent),
            }

    def run(self) -> None:
        """The builder thread: one build per burst of changes, never two at once, and the
        last-good copy refreshed in the calm between them."""
        while True:
            if self._copy_stale and not self.debouncer.wait_for_change(COPY_DELAY):
                self.refresh_copy()
            if self._background_done():
                self.build(None)  # show the related papers computed meanwhile
                continue
            batch = self.debouncer.next_batch()
            if batch is None:
                return
            self.build(batch)

    def _background_done(self) -> bool:
        """Wait, while the session computes something in the background (related papers
        after a title edit), until it is done or a change comes; True when it is done. The
        computation starts after BACKGROUND_DELAY without a change: forked beside the
        builds of edits made one after another, it made each take twice as long."""
        ready = getattr(self.session, "related_ready", lambda: None)
        waiting = getattr(self.session, "related_waiting", lambda: False)
        if waiting() and self.debouncer.wait_for_change(BACKGROUND_DELAY):
            return False
        while ready() is False:
            if self.debouncer.wait_for_change(BACKGROUND_POLL):
                return False
        return ready() is True

    def refresh_copy(self) -> None:
        if self.last_good.refresh(self.output, stop=lambda: self.debouncer.pending() > 0):
            self._copy_stale = False

    def build(self, batch: Batch | None) -> BuildResult | None:
        with self._cond:
            self._building = True
        result, errors = None, ()
        started, start = time.time(), time.perf_counter()
        try:
            result, errors = self._attempt(batch.changes.keys() if batch else ())
        finally:
            # Held requests go on only once the folder to serve is decided.
            with self._cond:
                self._record(batch, result, errors, started, time.perf_counter() - start)
                self._building = False
                self._cond.notify_all()
        self._log(batch, result, errors)
        return result

    def _attempt(
        self, changed: Collection[str]
    ) -> tuple[BuildResult | None, tuple[Diagnostic, ...]]:
        """Build; bad input, and even a crash, become errors to show instead of an exit."""
        try:
            result = self.session.build(changed)
        except DigestError as exc:
            return None, tuple(exc.diagnostics) or (error("digest serve", None, str(exc)),)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            message = f"the build crashed: {type(exc).__name__}: {exc}"
            return None, (error("digest serve", None, message, "the traceback is in the terminal"),)
        return result, tuple(d for d in result.diagnostics if d.level == "error")

    def _record(
        self,
        batch: Batch | None,
        result: BuildResult | None,
        errors: tuple[Diagnostic, ...],
        started: float,
        seconds: float,
    ) -> None:
        """Count the build, pick the folder to serve and tell the open pages (lock held)."""
        self.builds += 1
        self.recent.append(
            {
                "changes": sorted(batch.changes) if batch else [],
                "ok": not errors,
                "started": started,
                "seconds": seconds,
                "stages": dict(result.timings) if result is not None else {},
            }
        )
        self.last_good.note(_written(result))
        pages = None
        if errors:
            self._serving = self.last_good.path if self.last_good.ready else self.output
            bump, kind = False, "full"
        else:
            self._serving = self.output
            if result is not None and (result.stats.changed or not self.last_good.ready):
                # Until refreshed, the copy is not the last good output: a failure before
                # then shows the failed output rather than an older one.
                self._copy_stale, self.last_good.ready = True, False
            bump = bool(result and result.stats.changed) or self._failed
            kind = "css" if bump and batch and css_only(batch.changes.values()) else "full"
            if not self._failed:
                pages = changed_pages(result)
        self._failed = bool(errors)
        state = self.channel.current()
        self.channel.publish(ReloadState(state.server, state.build + bump, kind, errors, pages))

    def _log(
        self, batch: Batch | None, result: BuildResult | None, errors: tuple[Diagnostic, ...]
    ) -> None:
        if batch is None and self.builds == 1:
            if result is not None:
                print_diagnostics(result.diagnostics, self.verbosity)
                self.warnings = frozenset(d for d in result.diagnostics if d.level != "info")
                print(result.summary(), flush=True)
            else:
                print_diagnostics(errors, self.verbosity)
            return
        stamp = time.strftime("%H:%M:%S")
        changed = printable(batch.describe(self.root)) if batch else "related papers computed"
        if errors:
            print_diagnostics(errors, self.verbosity)
            print(f"{stamp} {changed}: the build failed; serving the last good site", flush=True)
        elif result is not None:
            seconds = sum(result.timings.values())
            lines, self.warnings = rebuild_lines(
                changed, result.drawn, seconds, result.diagnostics, self.warnings
            )
            print(f"{stamp} {lines[0]}", flush=True)
            for line in lines[1:]:
                print(line, file=sys.stderr, flush=True)

    def search_indexed(self) -> None:
        """A new search index is in (made in the background): the search page reloads."""
        with self._cond:
            state = self.channel.current()
            pages = ("/search/index.html",)
            self.channel.publish(
                ReloadState(state.server, state.build + 1, "full", state.errors, pages)
            )

    def close(self) -> None:
        self.channel.close()


def _written(result: BuildResult | None) -> list[str] | None:
    """The output files a build wrote, when that says all it changed."""
    if result is None or result.stats.removed:
        return None
    return result.written


IDLE_SECONDS = 30
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", ""})


def allowed_host(header: str, bound: str) -> bool:
    """A request's Host is this server's: an IP address, `localhost`, or the host it was
    bound to. A name pointed at 127.0.0.1 by someone else's DNS (a rebinding attack) is
    not, so a page of their site cannot read this one's."""
    name = _host_name(header).lower()
    if name in LOOPBACK_NAMES or name == bound.lower():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _host_name(header: str) -> str:
    """The host of a Host header, without its port or the brackets of an IPv6 address."""
    header = header.strip()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class _Handler(BaseHTTPRequestHandler):
    server: DevServer
    protocol_version = "HTTP/1.1"
    server_version = "digest-serve"
    # Headers and body go out in two writes; with Nagle's algorithm the second waits for the
    # browser's delayed ACK, 40 ms per file on a keep-alive connection.
    disable_nagle_algorithm = True
    timeout = IDLE_SECONDS  # an idle connection is closed, not held open for ever

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: successful requests are not logged; misses are (see `_miss`)."""

    def _handle(self, send_body: bool) -> None:
        site = self.server.site
        if not allowed_host(self.headers.get("Host", ""), self.server.server_name):
            # a page of another site whose name was made to point here (DNS rebinding)
            return self._send(403, "text/plain; charset=utf-8", b"unknown Host\n", send_body)
        if site is None:  # not yet: the server only serves once the site is set
            return self._send(503, "text/plain; charset=utf-8", b"starting\n", send_body)
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            return self._events(site)
        if path == STATUS_PATH:
            body = json.dumps(site.status()).encode()
            return self._send(200, "application/json", body, send_body)
        root = site.serving()
        found = resolve(root, self.path)
        if found.status == 301:
            self.send_response(301)
            self.send_header("Location", found.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif found.status == 200 and found.file is not None:
            self._file(site, found.file, 200, send_body)
        else:
            self._miss(site, root, found.status, send_body)

    def _miss(self, site: LiveSite, root: Path, status: int, send_body: bool) -> None:
        print(printable(f"{status} {self.path}"), file=sys.stderr, flush=True)
        page = resolve(root, "/404.html") if status == 404 else Resolved(status)
        if page.file is not None:
            return self._file(site, page.file, 404, send_body)
        text = "404 Not Found\n" if status == 404 else "403 Forbidden\n"
        self._send(status, "text/plain; charset=utf-8", text.encode(), send_body)

    def _file(self, site: LiveSite, file: Path, status: int, send_body: bool) -> None:
        kind = content_type(file)
        try:
            if kind.startswith("text/html"):
                body = inject(file.read_bytes(), site.channel.current())
                return self._send(status, kind, body, send_body)
            handle = file.open("rb")
        except OSError:  # removed by a build since it was found
            return self._send(404, "text/plain; charset=utf-8", b"404 Not Found\n", send_body)
        with handle:
            self._headers(status, kind, os.fstat(handle.fileno()).st_size)
            if send_body:
                shutil.copyfileobj(handle, self.wfile)

    def _send(self, status: int, kind: str, body: bytes, send_body: bool) -> None:
        self._headers(status, kind, len(body))
        if send_body:
            self.wfile.write(body)

    def _headers(self, status: int, kind: str, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()

    def _events(self, site: LiveSite) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")  # the stream has no length; it ends with us
        self.end_headers()
        self.close_connection = True

        def write(data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        with contextlib.suppress(OSError):
            site.channel.stream(write)


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN  # the default 5 dropped a burst of 200 connections

    def __init__(self, address: tuple[str, int]) -> None:
        self.site: LiveSite | None = None
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exception(), ConnectionError | TimeoutError):
            return  # the browser went away mid-response: nothing to report
        super().handle_error(request, client_address)


def bind(host: str, port: int) -> DevServer:
    """A server on `port`, or on the next free port after it when it is taken."""
    ports = [port] if port == 0 else range(port, min(port + PORT_TRIES, 65536))
    for candidate in ports:
        try:
            return DevServer((host, candidate))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise DigestError.at(f"{host}:{candidate}", None, f"cannot listen: {exc}") from exc
    raise DigestError.at(
        f"{host}:{port}",
        None,
        f"ports {port} to {port + PORT_TRIES - 1} are all in use",
        "pick another with --port",
    )


def site_url(host: str, port: int) -> str:
    """The URL to open: the bound host, or this machine's loopback address when it listens
    on every interface."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


def exposure(host: str, port: int) -> str | None:
    """The warning for a host other than loopback, naming who can read the site."""
    if host and (host.lower() in LOOPBACK_NAMES or host.startswith("127.")):
        return None
    who = "every network this machine is on" if host in ("", "0.0.0.0", "::") else host
    return printable(
        f"warning: serving on {host or '*'}:{port}: anyone who can reach {who} can read the "
        "site and its build status (use --host 127.0.0.1 to keep it to this machine)"
    )


def watch_layout(root: Path, config_path: Path) -> Layout:
    """The site's own themes/ always; the built-in themes only in an editable checkout."""
    themes = [root / "themes"]
    builtin = builtin_themes().resolve()
    if builtin not in themes and os.access(builtin, os.W_OK):
        themes.append(builtin)
    return Layout(root=root, config=config_path, themes=tuple(themes))


# seconds Ctrl-C waits for a build under way to end before exiting (a killed build's
# workers are stopped, its files are whole, and the next build sweeps what it left)
STOP_WAIT = 0.5


def serve(
    root: Path,
    config_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    poll: bool = False,
    open_browser: bool = False,
    verbosity: int = NORMAL,
) -> int:
    """Build, serve and rebuild until Ctrl-C; the exit status is 0 then. `open_browser`
    opens the site once it is first built."""
    root = root.resolve()
    config_path = Path(config_path).resolve()
    output = root / "site"
    server = bind(host, port)
    chosen = server.server_address[1]
    if port and chosen != port:
        print(f"port {port} is in use; serving on port {chosen} instead", file=sys.stderr)
    url = site_url(host, chosen)
    warned = exposure(host, chosen)
    if warned:
        print(warned, file=sys.stderr, flush=True)
    last_good = LastGood(_scratch_folder(root / ".digest-cache"))
    debouncer = Debouncer()
    session = BuildSession(root, config_path, output, base_url=url)
    server.site = site = LiveSite(session, root, output, last_good, debouncer)
    site.verbosity = verbosity
    session.indexed = site.search_indexed
    watcher = Watcher(watch_layout(root, config_path), debouncer.add, poll=poll)
    builder = threading.Thread(target=site.run, name="digest-build", daemon=True)
    try:
        with _interrupt_on_sigterm():
            watcher.start()
            site.build(None)
            builder.start()
            print(f"Serving {url}  (Ctrl-C to stop)", flush=True)
            if open_browser:  # in a thread: a text browser would hold the terminal
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
            server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        with _ignoring_sigint():
            debouncer.close()
            site.close()
            session.close()
            watcher.stop()
            server.server_close()
            if builder.is_alive():  # a build under way: its workers are stopped at exit
                builder.join(timeout=STOP_WAIT)
            last_good.discard()
    print("\nStopped. Bye!", flush=True)
    return 0


def _scratch_folder(cache: Path) -> Path:
    """A folder of this process under .digest-cache; those of dead processes are swept."""
    folder = cache / "serve"
    if folder.is_dir():
        for old in folder.iterdir():
            pid = old.name.removesuffix(".old")
            if pid.isdigit() and (old.name != pid or not running(int(pid))):
                shutil.rmtree(old, ignore_errors=True)
    return folder / str(os.getpid())


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM stops the server as Ctrl-C does (only the main thread may set handlers)."""
    if not _in_main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _ignoring_sigint() -> Iterator[None]:
    """A second Ctrl-C while shutting down should not leave a traceback behind."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
