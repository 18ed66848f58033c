"""`digest serve`: build, serve the output over HTTP, rebuild on change, reload the browser.

Three threads do the work: the HTTP server (one more thread per connection), the watcher
(watch.py) and one builder thread that runs the builds one after another. Requests wait
while a build runs, so a page is never read from a half-written site; while the build is
broken, pages come from a hard-linked copy of the last good output, with an error overlay.

Here: the `serve()` entry point, which wires them together and stops them on Ctrl-C. The
HTTP server and port choosing are in serve_http.py, the files it may send in
serve_files.py, the rebuild loop and reload channel in live_site.py, the last good copy
in last_good.py.

Tests: tests/test_serve.py, tests/browser/test_live_reload.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
import webbrowser
from collections.abc import Iterator
from pathlib import Path

from .children import running
from .console import NORMAL
from .last_good import LastGood
from .live_site import LiveSite
from .serve_http import bind, exposure, site_url
from .session import BuildSession
from .themes import builtin_themes
from .watch import Debouncer, Layout, Watcher


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
