"""serve's HTTP server: the request handler (files of the folder being served, the reload
events, the build status), the Host check, and choosing a free port.

Tests: tests/test_serve.py, tests/adversarial/test_hostile_small.py,
tests/browser/test_live_reload.py, tests/browser/test_serve_search.py
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import os
import shutil
import socket
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .errors import DigestError, printable
from .live_site import LiveSite
from .reload import EVENTS_PATH, STATUS_PATH, inject
from .serve_files import Resolved, content_type, resolve

PORT_TRIES = 20  # the ports tried from the one asked for, when it is taken
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
