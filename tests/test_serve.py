"""`digest serve`: path safety, content types, event sorting and debounce, the reload channel,
the last-good copy, and the server itself run as a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path

import pytest

from generator.errors import DigestError, error
from generator.last_good import LastGood
from generator.live_site import LiveSite
from generator.reload import MARKER, OVERLAY_ID, Channel, ReloadState, inject, overlay_html
from generator.result import BuildResult
from generator.serve_files import content_type, resolve
from generator.serve_http import bind
from generator.watch import (
    Batch,
    Debouncer,
    Kind,
    Layout,
    Watcher,
    classify,
    css_only,
    event_changes,
    is_ignored_name,
    wait_time,
)

SLUG = "a-neural-space-time-representation-for-text-to-image-personalization"


# -- resolving request paths ---------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """An output folder beside a secret file, with a symlink pointing out of it."""
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    out = tmp_path / "site"
    (out / "papers" / "x").mkdir(parents=True)
    (out / "index.html").write_text("<p>home</p>")
    (out / "papers" / "x" / "index.html").write_text("<p>x</p>")
    (out / "papers" / "empty").mkdir()
    (out / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (out / "leakdir").symlink_to(tmp_path)
    return out


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/papers/..%2f..%2fsecret.txt",
        "/papers/x/../../../secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/secret.txt%00.html",
        "/\x00",
        "../secret.txt",
        "http://127.0.0.1/../secret.txt",
        "/leak.txt",
        "/leakdir/secret.txt",
    ],
)
def test_resolve_refuses_escapes(tree: Path, target: str) -> None:
    found = resolve(tree, target)
    assert found.status == 403, (target, found)


@pytest.mark.parametrize(
    "target",
    ["//secret.txt", "/%252e%252e/secret.txt", "/etc/passwd", "/%2fetc%2fpasswd", "/nope"],
)
def test_resolve_misses_stay_inside(tree: Path, target: str) -> None:
    assert resolve(tree, target).status == 404


def test_resolve_index_pages_and_redirects(tree: Path) -> None:
    assert resolve(tree, "/").file == tree / "index.html"
    assert resolve(tree, "/papers/x/?q=1#top").file == tree / "papers" / "x" / "index.html"
    moved = resolve(tree, "/papers/x?q=1")
    assert (moved.status, moved.location) == (301, "/papers/x/?q=1")
    # `//host` in Location would send the browser to another site
    assert resolve(tree, "//papers//x").location == "/papers/x/"
    assert resolve(tree, "/papers/empty/").status == 404
    assert resolve(tree, "http://127.0.0.1:8000/papers/x/").file is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("papers.json", "application/json"),
        ("favicon.svg", "image/svg+xml"),
        ("cite.bib", "text/plain; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("digest.js", "text/javascript; charset=utf-8"),
        ("pagefind/wasm.en.pagefind", "application/octet-stream"),
        ("pagefind/pagefind.en_123.pf_meta", "application/octet-stream"),
        ("pagefind/index/en_1.pf_index", "application/octet-stream"),
        ("pagefind/fragment/en_1.pf_fragment", "application/octet-stream"),
        ("x.wasm", "application/wasm"),
        ("robots.txt", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


# -- sorting file events ------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path, tmp_path / "digest.yaml", (tmp_path / "themes", Path("/b/themes")))


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("digest.yaml", Kind.CONFIG),
        ("content/listings/001.txt", Kind.LISTING),
        ("content/papers/x.md", Kind.RECORD),
        ("content/other.txt", Kind.CONTENT),
        ("themes/default/templates/base.html", Kind.TEMPLATE),
        ("themes/default/static/style.css", Kind.STYLE),
        ("themes/default/static/digest.js", Kind.STATIC),
        ("site/index.html", None),
        (".digest-cache/build.lock", None),
        ("content/papers/.x.md.swp", None),
        ("content/papers/x.md~", None),
        ("content/papers/.#x.md", None),
        ("content/papers/#x.md#", None),
        ("content/papers/4913", None),
        ("content/papers/.x.md.abc123.tmp", None),
        ("content/papers/sedAb12Cd", None),
        ("content/.hidden/x.md", None),
        ("README.md", None),
    ],
)
def test_classify(layout: Layout, relative: str, kind: Kind | None) -> None:
    assert classify(layout.root / relative, layout) is kind


def test_classify_builtin_themes(layout: Layout) -> None:
    assert classify("/b/themes/default/templates/base.html", layout) is Kind.TEMPLATE
    assert classify("/b/themes/default/static/style.css", layout) is Kind.STYLE
    assert classify("/b/themes/__pycache__/__init__.cpython-311.pyc", layout) is None
    assert classify("/b/themes/.git/x", layout) is None


def test_ignored_names() -> None:
    assert all(map(is_ignored_name, [".x", "x.swp", "x.swx", "x~", ".#x", "4913", "#x#"]))
    assert not any(map(is_ignored_name, ["x.md", "base.html", "49130", "sedation.md"]))


def test_event_changes(layout: Layout) -> None:
    from watchdog.events import (
        DirModifiedEvent,
        FileClosedNoWriteEvent,
        FileModifiedEvent,
        FileMovedEvent,
        FileOpenedEvent,
    )

    record = str(layout.root / "content/papers/x.md")
    assert event_changes(FileModifiedEvent(record), layout) == {record: Kind.RECORD}
    # every build reads the records: reading must not count as a change
    assert event_changes(FileOpenedEvent(record), layout) == {}
    assert event_changes(FileClosedNoWriteEvent(record), layout) == {}
    assert event_changes(DirModifiedEvent(str(layout.root / "content/papers")), layout) == {}
    # an editor's atomic save: temporary file renamed over the record
    temp = str(layout.root / "content/papers/.x.md.swp")
    assert event_changes(FileMovedEvent(temp, record), layout) == {record: Kind.RECORD}


def test_css_only() -> None:
    assert css_only([Kind.STYLE, Kind.STYLE])
    assert not css_only([Kind.STYLE, Kind.TEMPLATE])
    assert not css_only([])


def test_wait_time() -> None:
    assert wait_time(now=10.02, first=10.0, last=10.01, quiet=0.05, longest=1.0) == pytest.approx(
        0.04
    )
    assert wait_time(now=10.99, first=10.0, last=10.98, quiet=0.05, longest=1.0) == pytest.approx(
        0.01
    )
    assert wait_time(now=11.0, first=10.0, last=10.99, quiet=0.05, longest=1.0) <= 0


def test_debouncer_turns_a_burst_into_one_batch() -> None:
    debouncer = Debouncer(quiet=0.05, longest=1.0, quick=0.05)
    batches = []
    worker = threading.Thread(target=lambda: batches.extend(iter(debouncer.next_batch, None)))
    worker.start()
    for i in range(10):
        debouncer.add({f"/x/{i % 3}": Kind.RECORD})
        time.sleep(0.005)
    time.sleep(0.2)
    debouncer.close()
    worker.join(2)
    assert [sorted(b.changes) for b in batches] == [["/x/0", "/x/1", "/x/2"]]


def test_debouncer_is_quick_after_calm_and_patient_in_a_burst() -> None:
    now = [100.0]
    debouncer = Debouncer(quiet=0.05, longest=2.0, quick=0.02, calm=0.25, clock=lambda: now[0])
    assert debouncer.due_in() is None
    debouncer.add({"/a": Kind.RECORD})  # after a calm: due 20 ms after the last change
    assert debouncer.due_in() == pytest.approx(0.02)
    now[0] += 0.02
    batch = debouncer.next_batch()
    assert batch is not None and list(batch.changes) == ["/a"]
    now[0] += 0.01
    debouncer.add({"/b": Kind.RECORD})  # right after a batch: a burst, so 50 ms of quiet
    now[0] += 0.03
    assert debouncer.due_in() == pytest.approx(0.02)
    for _ in range(100):  # a change every 30 ms for 3 s: due 2 s after the burst began
        debouncer.add({"/b": Kind.RECORD})
        now[0] += 0.03
        if debouncer.due_in() <= 0:  # type: ignore[operator]
            break
    assert now[0] - 100.03 == pytest.approx(2.0, abs=0.031)
    now[0] += 1.0  # calm again
    debouncer.next_batch()
    now[0] += 1.0
    debouncer.add({"/c": Kind.RECORD})
    assert debouncer.due_in() == pytest.approx(0.02)


def test_debouncer_waits_at_most_longest() -> None:
    debouncer = Debouncer(quiet=0.05, longest=0.2, quick=0.05)
    start = time.monotonic()
    stop = start + 0.5
    feeder = threading.Thread(
        target=lambda: [
            (debouncer.add({"/x": Kind.RECORD}), time.sleep(0.01))
            for _ in iter(lambda: time.monotonic() < stop, False)
        ]
    )
    feeder.start()
    assert debouncer.next_batch() is not None
    assert time.monotonic() - start < 0.35
    feeder.join()
    debouncer.close()


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "poll"])
def test_watcher_reports_changes_and_new_folders(tmp_path: Path, poll: bool) -> None:
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "site").mkdir()
    layout = Layout(tmp_path, tmp_path / "digest.yaml", (tmp_path / "themes",))
    debouncer = Debouncer(quiet=0.05, longest=1.0)
    watcher = Watcher(layout, debouncer.add, poll=poll)
    watcher.start()
    try:
        (tmp_path / "site" / "index.html").write_text("output: ignored")
        (tmp_path / "content" / "papers" / ".x.md.swp").write_text("editor: ignored")
        (tmp_path / "content" / "papers" / "x.md").write_text("---\ntitle: X\n---\n")
        batch = _next_batch(debouncer)
        assert batch.changes == {str(tmp_path / "content" / "papers" / "x.md"): Kind.RECORD}
        # themes/ did not exist when the watch began
        (tmp_path / "themes" / "default" / "templates").mkdir(parents=True)
        assert str(tmp_path / "themes") in _next_batch(debouncer).changes
        (tmp_path / "themes" / "default" / "templates" / "base.html").write_text("<body>")
        changes = _next_batch(debouncer).changes
        assert changes.get(str(tmp_path / "themes/default/templates/base.html")) is Kind.TEMPLATE
    finally:
        watcher.stop()
        debouncer.close()


def _next_batch(debouncer: Debouncer, timeout: float = 5.0) -> Batch:
    found: list[Batch | None] = []
    worker = threading.Thread(target=lambda: found.append(debouncer.next_batch()), daemon=True)
    worker.start()
    worker.join(timeout)
    assert found and found[0] is not None, "no change reported"
    return found[0]


# -- the page side ----------------------------------------------------------------------------


def test_inject_before_the_last_body_end_tag() -> None:
    state = ReloadState("srv", 3)
    page = b"<html><body><p>a</p><pre>&lt;/body&gt;</pre></BODY></html>"
    out = inject(page, state)
    assert out.startswith(b"<html><body><p>a</p><pre>&lt;/body&gt;</pre><script")
    assert out.endswith(b"</script></BODY></html>")
    assert MARKER.encode() in out and b'data-build="3"' in out
    assert f'id="{OVERLAY_ID}"'.encode() not in out


def test_inject_appends_without_body() -> None:
    out = inject(b"<p>bare</p>", ReloadState("srv", 1))
    assert out.startswith(b"<p>bare</p><script ")


def test_overlay_is_escaped() -> None:
    bad = error("content/papers/<x>.md", 3, "<img src=x onerror=alert(1)> & more")
    out = inject(b"<body></body>", ReloadState("srv", 1, errors=(bad,))).decode()
    assert "<img" not in out.split("<script", 1)[0]
    assert "content/papers/&lt;x&gt;.md:3" in overlay_html([bad])
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; more" in overlay_html([bad])


def test_channel_streams_each_new_state() -> None:
    channel = Channel(ReloadState("srv", 0), keepalive=0.05)
    received: list[bytes] = []
    worker = threading.Thread(target=channel.stream, args=(received.append,))
    worker.start()
    time.sleep(0.02)
    channel.publish(ReloadState("srv", 1, "css"))
    time.sleep(0.12)
    channel.close()
    worker.join(2)
    assert not worker.is_alive()
    events = [json.loads(r.split(b"data: ", 1)[1]) for r in received if r.startswith(b"event:")]
    assert [(e["build"], e["kind"]) for e in events] == [(0, "full"), (1, "css")]
    assert b": ping\n\n" in received


# -- the last good output ---------------------------------------------------------------------


def test_last_good_keeps_the_bytes_a_failed_build_replaced(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "papers" / "a").mkdir(parents=True)
    (out / "papers" / "a" / "index.html").write_text("A1")
    (out / "gone.html").write_text("G")
    good = LastGood(tmp_path / "copy")
    good.refresh(out)
    assert (good.path / "papers" / "a" / "index.html").read_text() == "A1"
    # builds replace files (write to a temporary, rename): the copy keeps the old inode
    temp = out / "papers" / "a" / "tmp"
    temp.write_text("A2-broken")
    os.replace(temp, out / "papers" / "a" / "index.html")
    (out / "gone.html").unlink()
    assert (good.path / "papers" / "a" / "index.html").read_text() == "A1"
    assert (good.path / "gone.html").read_text() == "G"
    good.note(None)  # a build that removed files: the next refresh walks everything
    good.refresh(out)
    assert (good.path / "papers" / "a" / "index.html").read_text() == "A2-broken"
    assert not (good.path / "gone.html").exists()
    # when the builds say what they wrote, only that is relinked
    for name, text in (("index.html", "A3"), ("other.html", "O")):
        temp.write_text(text)
        os.replace(temp, out / "papers" / "a" / name)
    good.note(["papers/a/other.html"])
    assert good.refresh(out, stop=lambda: False)
    assert (good.path / "papers" / "a" / "other.html").read_text() == "O"
    assert (good.path / "papers" / "a" / "index.html").read_text() == "A2-broken"
    # a change arriving midway stops the refresh; the copy is not ready then
    good.note(["papers/a/index.html"])
    assert not good.refresh(out, stop=lambda: True) and not good.ready
    assert good.refresh(out)
    assert (good.path / "papers" / "a" / "index.html").read_text() == "A3"
    good.remove()
    assert not good.path.exists()


class _Scripted:
    """A stand-in BuildSession whose builds do what each test says."""

    def __init__(self, output: Path, steps: list[Callable[[], BuildResult]]) -> None:
        self.output, self.steps = output, steps

    def build(self, changed: Collection[str] = ()) -> BuildResult:
        return self.steps.pop(0)()


def test_live_site_serves_last_good_while_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator.config import Config
    from generator.write import WriteStats

    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("good")

    def good(text: str) -> Callable[[], BuildResult]:
        def run() -> BuildResult:
            (out / "index.html").write_text(text)
            return BuildResult(Config(), out, stats=WriteStats(written=1))

        return run

    def broken_result() -> BuildResult:
        temp = out / "t"
        temp.write_text("half")
        os.replace(temp, out / "index.html")
        bad = error("content/papers/x.md", 2, "invalid YAML")
        return BuildResult(Config(), out, diagnostics=[bad])

    def raises_digest_error() -> BuildResult:
        raise DigestError.at("themes/default/templates/base.html", 7, "template syntax error")

    def crashes() -> BuildResult:
        raise RuntimeError("boom")

    steps = [good("v1"), broken_result, raises_digest_error, crashes, good("v2")]
    site = LiveSite(_Scripted(out, steps), tmp_path, out, LastGood(tmp_path / "copy"), Debouncer())
    site.build(None)
    assert site.status()["build"] == 1 and site.serving() == out
    site.refresh_copy()  # the builder thread does this once changes calm down
    site.build(None)
    assert (site.serving() / "index.html").read_text() == "v1"
    assert site.status()["errors"][0]["location"] == "content/papers/x.md:2"
    assert site.status()["build"] == 1  # no reload: the page shown is still the good one
    site.build(None)
    assert site.status()["errors"][0]["location"] == "themes/default/templates/base.html:7"
    site.build(None)
    assert "RuntimeError: boom" in site.status()["errors"][0]["message"]
    assert "Traceback" in capsys.readouterr().err  # only a crash logs its traceback
    site.build(None)
    state = site.status()
    assert state["errors"] == [] and state["build"] == 2 and state["builds"] == 5
    assert (site.serving() / "index.html").read_text() == "v2"


def test_bind_moves_to_the_next_free_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            server = bind("127.0.0.1", port)
        except DigestError:
            pytest.skip("no free port after the taken one")
        try:
            assert server.server_address[1] > port
        finally:
            server.server_close()


# -- the real server ----------------------------------------------------------------------


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """A request line sent byte for byte, so no client library can normalise the path."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        host = f"127.0.0.1:{port}"  # a Host of another name is refused (DNS rebinding)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_serving_the_site(serve_copy: Callable[..., object]) -> None:
    served = serve_copy()
    root: Path = served.root
    (root / "secret.txt").write_text("TOP-SECRET")
    served.settle()

    status, headers, body = served.get(f"/papers/{SLUG}/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert body.rstrip().endswith(b"</html>") and MARKER.encode() in body
    assert served.get(f"/papers/{SLUG}")[0:2][0] == 301
    assert served.get(f"/papers/{SLUG}")[1]["location"] == f"/papers/{SLUG}/"
    for path, kind in [
        ("/feed.xml", "application/xml"),
        ("/papers.json", "application/json"),
        ("/static/style.css", "text/css"),
        ("/static/digest.js", "text/javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
        (f"/papers/{SLUG}/cite.bib", "text/plain"),
    ]:
        status, headers, _ = served.get(path)
        assert (status, headers["content-type"].split(";")[0]) == (200, kind), path
    status, _, body = served.get("/no/such/page/")
    assert status == 404 and b"Page not found" in body and MARKER.encode() in body

    (root / "site" / "leak.txt").symlink_to(root / "secret.txt")
    for target in [
        "/../secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/papers/..%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/secret.txt%00",
        "/\x00",
        "/leak.txt",
        f"/{root}/secret.txt",
        "//etc/passwd",
        "/../../../../../../etc/passwd",
        "../secret.txt",
    ]:
        status, body = raw_get(served.port, target)
        assert status in (403, 404), target
        assert b"TOP-SECRET" not in body and b"root:x:0" not in body, target


def test_rebuilds(serve_copy: Callable[..., object]) -> None:
    served = serve_copy()
    root: Path = served.root
    record = root / "content" / "papers" / f"{SLUG}.md"
    text = record.read_text()
    before = served.settle()["builds"]

    # 50 writes within a second: at most two builds (and one more for each pause longer than
    # the debouncer's quiet time, which a disk busy writing back can cause)
    pauses, last = 0, time.monotonic()
    for i in range(50):
        record.write_text(text + f"\nEdit number {i}.\n")
        time.sleep(0.02)
        now = time.monotonic()
        pauses += now - last > Debouncer.quiet
        last = now
    after = served.settle()
    ours = [b for b in after["recent"] if str(record) in b["changes"]]
    most = 2 + pauses
    assert 1 <= after["builds"] - before <= most and 1 <= len(ours) <= most, after["recent"]
    assert b"Edit number 49." in served.get(f"/papers/{SLUG}/")[2]

    # a new listing: its paper gets a page, and the home page shows it
    title = "Zebrafinch Transformers: Live Rebuilds for Digest Sites"
    today = dt.date.today()
    (root / "content" / "listings" / "zzz_new.txt").write_text(
        f"Daily Papers\n\n{today:%b} {today.day}\n\n{title}\n\n"
        "We present Zebrafinch, a transformer that rebuilds digest sites while you type.\n"
    )
    served.wait_for(lambda s: any("zzz_new.txt" in c for b in s["recent"] for c in b["changes"]))
    served.settle()
    papers = json.loads(served.get("/papers.json")[2])
    url = next(p["url"] for p in papers if p["title"] == title)
    assert served.get("/" + url)[0] == 200
    assert title.encode() in served.get("/")[2]

    # a broken record: the last good site is served, with the overlay drawn in
    served.wait_for(lambda s: s["last_good_ready"])
    record.write_text(text.replace("---\n", "---\ntitle: [unclosed\n", 1))
    state = served.wait_for(lambda s: bool(s["errors"]))
    assert state["errors"][0]["location"].startswith(f"content/papers/{SLUG}.md:")
    assert state["serving"] == "last-good"
    status, _, body = served.get(f"/papers/{SLUG}/")
    assert status == 200 and f'id="{OVERLAY_ID}"'.encode() in body
    assert b"Edit number 49." in body
    record.write_text(text)
    served.wait_for(lambda s: not s["errors"])
    assert f'id="{OVERLAY_ID}"'.encode() not in served.get(f"/papers/{SLUG}/")[2]

    # a template that cannot be compiled: DigestError, reported with its file and line
    override = root / "themes" / "default" / "templates" / "404.html"
    override.parent.mkdir(parents=True)
    override.write_text("{% extends 'base.html' %}\n{% block content %}{% if %}{% endblock %}\n")
    state = served.wait_for(lambda s: bool(s["errors"]))
    assert "404.html:2" in state["errors"][0]["location"]
    assert served.get("/")[0] == 200
    override.unlink()
    served.wait_for(lambda s: not s["errors"])
    served.settle()

    # the built output has no trace of the live-reload script
    for path in (root / "site").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert MARKER.encode() not in data and b"/__digest/" not in data, path


def test_ctrl_c_and_a_taken_port(serve_copy: Callable[..., object]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = serve_copy("site", port)
        assert served.port != port
        assert f"port {port} is in use; serving on port {served.port}" in "".join(served.stderr)
    assert served.stop() == 0
    assert "Traceback" not in "".join(served.stderr)
    assert "Bye" in "".join(served.stdout)
    assert not (served.root / ".digest-cache" / "serve" / str(served.proc.pid)).exists()
    with socket.socket() as again:
        again.bind(("127.0.0.1", served.port))  # the port is free again
