"""The search index: the papers themselves given to Pagefind as custom records (its Python
API: text, filters, sort keys and what a result card shows), made aside and swapped in.

No page is parsed: the records are made from the site model (`index_input`), and the indexer
is skipped when that input is the same as the index in place was made from (a notes edit, a
template edit). The last input's digest is kept in .digest-cache, beside the output's name.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .children import dying_with_parent, ignoring_ctrl_c, signals_blocked
from .classify import tag_key
from .errors import Diagnostic, warning
from .markup import plain_text, render_title
from .models import Paper
from .site import Site
from .slugs import slugify
from .write import replace_tree

# Bump when what a record holds changes: the index is made again though the papers did not.
INDEX_VERSION = "2"
CARD_TAGS = 3  # a card shows a paper's first tags, as a list card does
# Between the title and the abstract in a record's text. The title is searched like the
# abstract; a result's excerpt is cut after this mark, so a card never repeats its title.
TITLE_END = "¶"
STAGING = ".pagefind.tmp"  # write.sweep_leftovers removes it after a killed build


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One paper as Pagefind holds it. `url` is site-relative (papers/<slug>/): the search
    script resolves it against the index's own address, so the site may live anywhere."""

    url: str
    content: str
    meta: dict[str, str]
    filters: dict[str, list[str]]
    sort: dict[str, str]


def paper_record(paper: Paper, topics: dict[str, str], tags: dict[str, str]) -> SearchRecord:
    """`topics` and `tags`: the slug of each group's name (tags by their tag_key)."""
    title = plain_text(paper.title)
    shown = [[tag, _slug(tags, tag_key(tag), tag, "tag")] for tag in paper.tags[:CARD_TAGS]]
    meta = {
        "title": title,
        "title_html": render_title(paper.title),  # rebuilt element by element in the page
        "date": paper.date.isoformat() if (paper.published or paper.listed) else "",
        "topic": paper.topic,
        "topic_slug": _slug(topics, paper.topic, paper.topic, "topic"),
        "tags": json.dumps(shown, ensure_ascii=False),  # [name, slug], the card's first tags
    }
    if paper.added:
        meta["added"] = "1"
    if paper.code_links:
        meta["code"] = "1"
    filters = {"topic": [paper.topic], "tag": list(paper.tags)}
    if paper.published or paper.listed:
        filters["year"] = [str(paper.date.year)]
    if paper.code_links:
        filters["code"] = ["has code"]
    content = f"{title} {TITLE_END} {plain_text(paper.abstract)}"
    return SearchRecord(paper.url, content, meta, filters, {"date": paper.date.isoformat()})


def index_input(site: Site) -> list[SearchRecord]:
    """What Pagefind is given: one record per published paper, in the site's order."""
    topics = {g.name: g.slug for g in site.topics}
    tags = {tag_key(g.name): g.slug for g in site.tags}
    return [paper_record(p, topics, tags) for p in site.papers]


def _slug(slugs: dict[str, str], key: str, name: str, kind: str) -> str:
    return slugs.get(key) or slugify(name, kind)


def input_digest(site: Site) -> str:
    """A digest of everything index_input reads, from the papers' fields as they are: making
    the records (text and math of 10,000 papers) took 0.6 s of a notes edit that needs none."""
    papers = [
        (p.slug, p.title, p.abstract, p.topic, p.tags, p.date, p.published or p.listed)
        for p in site.papers
    ]
    flags = [(p.added, bool(p.code_links)) for p in site.papers]
    groups = ([(g.name, g.slug) for g in site.topics], [(g.name, g.slug) for g in site.tags])
    stamp = (INDEX_VERSION, _pagefind_version(), site.config.language, groups, papers, flags)
    # not pickle: it writes a string met twice as a reference, so equal input made from other
    # objects (a record read again) gave another digest
    text = json.dumps(stamp, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _digest_file(cache: Path, output: Path) -> Path:
    name = hashlib.blake2b(str(output).encode(), digest_size=8).hexdigest()
    return cache / f"search-input-{name}"


def index_present(output: Path) -> bool:
    return (output / "pagefind" / "pagefind-entry.json").is_file()


def up_to_date(output: Path, cache: Path, digest: str) -> bool:
    """Whether output/pagefind/ was made from input of this digest (and is still there)."""
    if not index_present(output):
        return False
    try:
        return _digest_file(cache, output).read_text(encoding="utf-8") == digest
    except OSError:
        return False


def index_site(output: Path, site: Site, cache: Path) -> list[Diagnostic]:
    """Index the papers into output/pagefind/, made aside and swapped in; skipped when the
    index in place was made from the same input. Never fails a build: it warns."""
    return IndexJob(output, site, cache).result()


class IndexJob:
    """The index made in a thread of its own (Pagefind works in its own process), started
    as soon as the model is known, so it runs while the pages are drawn; `result()` waits,
    then swaps it in, after the pages it points to are written."""

    def __init__(self, output: Path, site: Site, cache: Path, niceness: int = 0) -> None:
        self.output, self.cache, self.niceness = output, cache, niceness
        self.language = site.config.language
        self.failure: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.seconds = 0.0  # Pagefind's own time, beside the drawing
        self.abandoned = False
        self.pid: int | None = None  # of Pagefind, while it runs
        if not site.config.search:
            return
        self.digest = input_digest(site)
        if up_to_date(output, cache, self.digest):
            return
        records = index_input(site)
        self.staging = output / STAGING
        shutil.rmtree(self.staging, ignore_errors=True)
        # its own thread and event loop: a caller may be running one (Playwright's tests), and
        # Pagefind, asked to die with the thread that started it, lives until it is closed
        self.thread = threading.Thread(
            target=self._run, args=(records,), name="digest-search", daemon=True
        )
        self.thread.start()

    def _run(self, records: list[SearchRecord]) -> None:
        start = time.perf_counter()
        try:
            index = _index(records, self.language, self.staging, self._started, self.niceness)
            asyncio.run(index)
        except BaseException as exc:  # Pagefind missing, not runnable, or failing
            self.failure = exc
        self.seconds = time.perf_counter() - start
        if self.abandoned:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _started(self, pid: int) -> None:
        self.pid = pid

    def stop(self) -> None:
        """Kill Pagefind now (serve is stopping): the thread ends at once, with no index."""
        self.abandon()
        if self.pid is not None and self.thread is not None and self.thread.is_alive():
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def abandon(self) -> None:
        """The build failed: the index being made is not wanted (removed when written)."""
        self.abandoned = True
        if self.thread is not None and not self.thread.is_alive():
            shutil.rmtree(self.staging, ignore_errors=True)

    def result(self) -> list[Diagnostic]:
        if self.thread is None:
            return []
        self.thread.join()
        self.thread = None
        return finish_index(self.output, self.staging, self.failure, self.cache, self.digest)


def finish_index(
    output: Path, staging: Path, failure: BaseException | None, cache: Path, digest: str
) -> list[Diagnostic]:
    target = output / "pagefind"
    if failure is not None:
        shutil.rmtree(staging, ignore_errors=True)
        return [_no_search(_reason(failure), target)]
    if not (staging / "pagefind-entry.json").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return [_no_search("Pagefind wrote no index", target)]
    for stock in [*staging.glob("pagefind-*ui.*"), staging / "pagefind-highlight.js"]:
        stock.unlink(missing_ok=True)  # Pagefind's own UI: the theme has its own
    replace_tree(staging, target)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _digest_file(cache, output).write_text(digest, encoding="utf-8")
    except OSError:
        pass  # the next build indexes again
    return []


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ImportError):
        return "the pagefind package is not installed"
    if isinstance(exc, FileNotFoundError) and exc.filename is None:  # no binary anywhere
        return "the Pagefind binary was not found"
    if isinstance(exc, OSError):
        return f"Pagefind could not run ({exc})"
    text = " ".join(str(a) for a in exc.args if a) or type(exc).__name__
    return f"Pagefind failed: {text[-300:]}"


async def _index(
    records: list[SearchRecord],
    language: str,
    staging: Path,
    started: Callable[[int], None] = lambda pid: None,
    niceness: int = 0,
) -> None:
    from pagefind.index import IndexConfig

    service = await _new_service(niceness).launch()
    started(service._backend.pid)
    try:
        index = await service.create_index(IndexConfig(force_language=language))
        await asyncio.gather(
            *(
                index.add_custom_record(
                    url=r.url,
                    content=r.content,
                    language=language,
                    meta=r.meta,
                    filters=r.filters,
                    sort=r.sort,
                )
                for r in records
            )
        )
        await index.write_files(output_path=str(staging))
    finally:
        await service.close()


def _service_class(niceness: int) -> type[Any]:
    from pagefind.service import PagefindService

    class Service(PagefindService):  # type: ignore[misc]
        """Pagefind's service with two changes: the binary dies with this process (a killed
        build's indexer wrote into the next build's index), and responses are read as they
        come (the package sleeps 0.1 s before each: 10,000 records took 1,000 s)."""

        async def launch(self) -> Service:
            with signals_blocked():  # see children.signals_blocked
                self._backend = await asyncio.create_subprocess_exec(
                    self._bin,
                    "--service",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                    limit=2**21,
                    preexec_fn=_preexec(niceness),
                )
            self._poll_task = self._loop.create_task(self._wait_for_responses())
            return self

        async def _wait_for_responses(self) -> None:
            assert self._backend.stdout is not None
            try:
                while True:
                    _answer(self._responses, await self._backend.stdout.readuntil(b","))
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                for future in self._responses.values():  # the binary died or spoke nonsense
                    if not future.done():
                        future.set_exception(RuntimeError(f"Pagefind stopped: {exc}"))

        async def close(self) -> None:
            self._poll_task.cancel()
            if self._backend.returncode is None:
                self._backend.terminate()
            await self._backend.wait()

    return Service


def _answer(waiting: dict[int, asyncio.Future[Any]], message: bytes) -> None:
    response = json.loads(base64.b64decode(message[:-1]))
    future = waiting.pop(response.get("message_id"), None) if response else None
    if future is None or future.done():
        return
    payload = response["payload"]
    if payload.get("type") == "Error":
        future.set_exception(RuntimeError(payload.get("message", "an error")))
    else:
        future.set_result(payload)


def _new_service(niceness: int = 0) -> Any:
    return _service_class(niceness)()


def _preexec(niceness: int) -> Callable[[], None]:
    """Pagefind dies with this process; serve's runs behind the builds (`niceness`)."""
    die = dying_with_parent()

    def preexec() -> None:
        ignoring_ctrl_c()  # forked inside signals_blocked (Service.launch)
        die()
        if niceness:
            os.nice(niceness)

    return preexec


def _pagefind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pagefind")
    except Exception:
        return ""


def _no_search(reason: str, target: Path) -> Diagnostic:
    """The one warning of a build whose search index could not be made: the pages are all
    there, and the search page says search is unavailable (or keeps the last index)."""
    outcome = (
        "the search index of the last build is kept"
        if target.is_dir()
        else "the site is built without search"
    )
    hint = f"install it with `{Path(sys.executable).name} -m pip install 'pagefind[bin]'`"
    if "not found" not in reason and "not installed" not in reason:
        hint = "run `digest build` again; if it fails again, report the message above"
    return warning("search", None, f"{reason}; {outcome}", hint)


BACKGROUND_NICENESS = 10  # as serve's related papers: the builds of edits come first


class BackgroundIndex:
    """`digest serve`'s index: made again in a thread of its own after each build whose
    papers changed what search holds, never holding up a build or a reload. Builds that
    come while it indexes are coalesced: the newest site is indexed next. `indexed` is
    called after each index is swapped in (serve tells the open search pages)."""

    def __init__(self, output: Path, cache: Path, indexed: Callable[[], None] | None = None):
        self.output, self.cache, self.indexed = output, cache, indexed
        self.diagnostics: list[Diagnostic] = []
        self._wanted: Site | None = None
        self._digest = ""  # of the last site asked for
        self._closed = False
        self._busy = False
        self._job: IndexJob | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="digest-search", daemon=True)
        self._thread.start()

    def want(self, site: Site) -> None:
        """Index `site` once the indexer is free, unless it holds what is indexed already."""
        if not site.config.search:
            return
        digest = input_digest(site)
        with self._cond:
            if digest == self._digest:
                return
            self._digest, self._wanted = digest, site
            self._cond.notify_all()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is wanted or being indexed; whether that came in time."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy and self._wanted is None, timeout)

    def close(self) -> None:
        """Stop: Pagefind, if it runs, is killed (it held up serve's exit on Ctrl-C)."""
        with self._cond:
            self._closed = True
            job = self._job
            self._cond.notify_all()
        if job is not None:
            job.stop()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._wanted is not None)
                if self._closed:
                    return
                site, self._wanted, self._busy = self._wanted, None, True
            try:
                assert site is not None
                job = IndexJob(self.output, site, self.cache, BACKGROUND_NICENESS)
                with self._cond:
                    self._job = job
                    if self._closed:
                        job.stop()
                self.diagnostics = job.result()
            except Exception as exc:  # never let serve's indexer die
                self.diagnostics = [_no_search(_reason(exc), self.output / "pagefind")]
            with self._cond:
                self._busy, self._job = False, None
                self._cond.notify_all()
                if self._closed:
                    return
            if self.indexed is not None and not self.diagnostics:
                self.indexed()
