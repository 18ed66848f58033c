"""`digest serve` under attack and under load: request paths that try to leave the output,
200 requests at once, and 1,000 file changes in a burst, after which it still reloads."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hostile import Tally

SLUG = "a-neural-space-time-representation-for-text-to-image-personalization"
SECRET = b"TOP-SECRET-4c1d"


@pytest.fixture(scope="module")
def served(
    serve_template: Path, serve_in: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("hostile-serve") / "site-root"
    shutil.copytree(serve_template, root, copy_function=shutil.copy2)
    (root / "secret.txt").write_bytes(SECRET)
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    server = serve_in(root)
    try:
        yield server
    finally:
        server.stop()


def raw(port: int, request: bytes, timeout: float = 20) -> tuple[int, bytes]:
    """A request sent byte for byte, so no client library can normalise it."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), body


def get(port: int, target: str) -> tuple[int, bytes]:
    line = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    return raw(port, line.encode("utf-8", "surrogateescape"))


TRAVERSALS = [
    "/../secret.txt",
    "/../../outside/secret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%2E%2E%2F%2E%2E%2Foutside%2Fsecret.txt",
    "/.%2e/secret.txt",
    "/%2e./secret.txt",
    "/..%2f..%2foutside/secret.txt",
    "/%252e%252e/secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/..\\secret.txt",
    "/..%5csecret.txt",
    "/%5c..%5c..%5csecret.txt",
    "/secret.txt%00.html",
    "/%00/../secret.txt",
    "/..;/secret.txt",
    "//..//..//secret.txt",
    "/./../secret.txt",
    "/papers/../../secret.txt",
    "/papers/%2e%2e/%2e%2e/secret.txt",
    "/static/../../secret.txt",
    "/link-out/secret.txt",
    "/link-out-file",
    "/papers/link-up/secret.txt",
    "http://127.0.0.1/../secret.txt",
    "http://evil.example/%2e%2e/secret.txt",
    "../secret.txt",
    "secret.txt",
    "*",
    "/" + "../" * 64 + "etc/passwd",
    "/" + "%2e%2e%2f" * 64 + "etc/passwd",
    "/" + "a/" * 4000,
    "/%ff%fe%fd",
    "/\udcff",
]


def test_paths_out_of_the_output_are_refused(served: Any, tally: Tally) -> None:
    output = served.root / "site"
    (output / "link-out").symlink_to(served.root.parent / "outside")
    (output / "link-out-file").symlink_to(served.root / "secret.txt")
    (output / "papers" / "link-up").symlink_to(served.root)
    absolute = [f"/{served.root / 'secret.txt'}", f"/{served.root.parent}/outside/secret.txt"]
    leaks = []
    for target in [*TRAVERSALS, *absolute]:
        tally.tried()
        status, body = get(served.port, target)
        if SECRET in body or b"root:x:0" in body or status == 200:
            leaks.append(f"{target!r}: {status}")
    assert leaks == []
    assert served.proc.poll() is None
    assert get(served.port, f"/papers/{SLUG}/")[0] == 200


def test_hidden_files_of_the_output_are_not_served(served: Any, tally: Tally) -> None:
    (served.root / "site" / ".index.html.12345.tmp").write_bytes(b"<!DOCTYPE html><html><bo")
    tally.tried()
    assert get(served.port, "/.index.html.12345.tmp")[0] in (403, 404)


def test_200_requests_at_once_are_all_answered(served: Any, tally: Tally) -> None:
    targets = [f"/papers/{SLUG}/", "/", "/topics/", "/feed.xml", "/papers.json", "/nope/"]
    start = threading.Barrier(200, timeout=30)

    def one(i: int) -> tuple[int, int]:
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=4)
        start.wait()
        try:
            conn.request("GET", targets[i % len(targets)])
            response = conn.getresponse()
            return response.status, len(response.read())
        finally:
            conn.close()

    tally.tried(200)
    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(one, range(200)))
    expected = [404 if targets[i % len(targets)] == "/nope/" else 200 for i in range(200)]
    assert [status for status, _ in answers] == expected
    assert all(size > 0 for _, size in answers)


class Events:
    """The reload channel (/__digest/events) read in a thread, as an open page reads it."""

    def __init__(self, port: int) -> None:
        self.states: list[dict[str, Any]] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", "/__digest/events")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw_line in self.response:
                line = raw_line.decode().strip()
                if line.startswith("data: "):
                    self.states.append(json.loads(line[6:]))
        except (OSError, ValueError):
            pass

    def wait(self, check: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for state in reversed(self.states):
                if check(state):
                    return state
            time.sleep(0.05)
        raise AssertionError(f"no such reload event; last: {self.states[-1:]}")

    def close(self) -> None:
        self.conn.close()


def test_1000_rapid_changes_then_it_still_reloads(served: Any, tally: Tally) -> None:
    root: Path = served.root
    record = root / "content" / "papers" / f"{SLUG}.md"
    text = record.read_text(encoding="utf-8")
    style = root / "themes" / "default" / "static" / "extra.css"
    style.parent.mkdir(parents=True, exist_ok=True)
    served.settle()
    events = Events(served.port)
    try:
        first = events.wait(lambda s: True)
        tally.tried(1000)
        for i in range(1000):
            kind = i % 4
            if kind == 0:
                record.write_text(text + f"\nEdit number {i}.\n", encoding="utf-8")
            elif kind == 1:
                style.write_text(f"body {{ --edit: {i} }}\n")
            elif kind == 2:
                (root / "content" / "listings" / f".scratch-{i}.swp").write_text("x")
            else:
                (root / "content" / "listings" / f".scratch-{i - 1}.swp").unlink()
        record.write_text(text + "\nThe last edit.\n", encoding="utf-8")
        state = served.settle(timeout=60)
        assert served.proc.poll() is None, "".join(served.stderr)[-2000:]
        assert not state["errors"] and state["builds"] >= 2
        status, _, body = served.get(f"/papers/{SLUG}/")
        assert status == 200 and b"The last edit." in body
        assert served.get("/static/extra.css")[2] == b"body { --edit: 997 }\n"
        reloaded = events.wait(lambda s: s["build"] > first["build"])
        record.write_text(text + "\nOne more after the storm.\n", encoding="utf-8")
        events.wait(lambda s: s["build"] > reloaded["build"])
        assert b"One more after the storm." in served.get(f"/papers/{SLUG}/")[2]
    finally:
        events.close()
        record.write_text(text, encoding="utf-8")
    assert "Traceback" not in "".join(served.stderr)
