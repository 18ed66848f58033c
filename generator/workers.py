"""Drawing and writing pages, in this process or spread over forked worker processes.

Each worker is forked with the renderer already built (nothing is pickled on the way in),
draws the pages it takes from a shared counter, writes them, and sends back what the
manifest needs and the list items it drew (see `_draw_forked` for the two rounds). Output
is byte-identical whatever the number of workers: pages are pure functions of their inputs.

Tests: tests/test_build.py
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from types import MappingProxyType

from . import children
from .errors import Diagnostic, DigestError, error
from .manifest import Entry
from .models import Paper
from .plan import Page
from .progress import SILENT, Counter, Progress
from .render import Renderer
from .themes import compile_all
from .write import Writer

# Below this many pages a worker process costs more than it saves.
MIN_PAGES_PER_WORKER = 400
WRITE_THREADS = 4  # per process: see Writer


@dataclass(frozen=True, slots=True)
class Job:
    page: Page
    key: str | None


@dataclass(slots=True)
class Drawn:
    files: list[tuple[str, Entry, bool]]
    diagnostics: list[Diagnostic]
    failure: tuple[Diagnostic, ...] = ()
    items: dict[tuple[str, str], str] = field(default_factory=dict)  # Renderer.draw_items


def job_count(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def draw(
    renderer: Renderer,
    writer: Writer,
    jobs: Sequence[Job],
    workers: int,
    meanwhile: Callable[[], None] = lambda: None,
    later: Callable[[], Sequence[Job]] | None = None,
    progress: Progress = SILENT,
) -> list[Diagnostic]:
    """Draw and write every job's page; raise DigestError if any page cannot be drawn.
    `meanwhile` runs in this process while the workers draw (e.g. writing the exports).
    `later` plans more jobs, in this process while the workers draw the paper pages of
    `jobs`; it is for a build that draws every list page (into an empty folder): the
    workers draw every list item beside its paper, not knowing which lists will want it.
    `progress` is told how many pages each round draws, and how many are under way."""
    workers = min(workers, len(jobs) // MIN_PAGES_PER_WORKER)
    if workers <= 1:
        every = [*jobs, *later()] if later else jobs
        result = _draw(renderer, writer, _counted(every, progress))
        meanwhile()
    else:
        result = _draw_forked(renderer, writer, jobs, workers, meanwhile, later, progress)
    writer.flush()
    if result.failure:
        raise DigestError(*result.failure)
    return result.diagnostics


def _counted(jobs: Sequence[Job], progress: Progress) -> Iterator[Job]:
    """`jobs`, counted for `progress` as they are taken."""
    if progress is SILENT:
        yield from jobs
        return
    count = Counter()
    progress.measure(len(jobs), count)
    for job in jobs:
        yield job
        count.value += 1


def _draw(
    renderer: Renderer,
    writer: Writer,
    jobs: Iterable[Job],
    beside: Mapping[str, Paper] = MappingProxyType({}),
    others: Sequence[Paper] = (),
) -> Drawn:
    """Draw `jobs`; with `beside`, draw the list item of each of those papers whose page is
    drawn right after it (while its rendered title is at hand), then the items of `others`.
    The items drawn are returned in Drawn.items."""
    helpers = renderer.helpers()
    done = Drawn([], [])
    drawn = []
    items = list(others)
    try:
        for job in jobs:
            writer.write(job.page.path, renderer.render(job.page, helpers), job.key)
            drawn.append(job.page.path)
            if job.page.kind == "paper":
                slug = job.page.context["slug"]
                if slug in beside:
                    renderer.marked_item(beside[slug])
                    items.append(beside[slug])
                done.diagnostics.extend(renderer.views[slug].diagnostics)
                renderer.views.forget(slug)  # memory stays bounded at 100,000 papers
        if beside or others:
            done.items = renderer.draw_items(items)
        writer.flush()
        written = set(writer.written)
        done.files = [(path, writer.entries[path], path in written) for path in drawn]
    except DigestError as exc:
        done.failure = exc.diagnostics
    return done


def _draw_forked(
    renderer: Renderer,
    writer: Writer,
    jobs: Sequence[Job],
    workers: int,
    meanwhile: Callable[[], None],
    later: Callable[[], Sequence[Job]] | None = None,
    progress: Progress = SILENT,
) -> Drawn:
    """Two rounds of workers. A list item is drawn once and shown on many list pages, at any
    depth: the first round draws the paper pages and the list items still missing, each
    beside its paper's page; the second draws the list pages with every item in hand.
    (Workers drawing lists and papers at once each found every item missing and drew it:
    24 s of each worker's 91 at 100,000 papers.) Within a round the workers take the pages
    a few at a time from a shared counter, so none idles while another has a backlog."""
    compile_all(renderer.env)  # once here, not once in each worker
    writer.flush()  # the writer's threads idle while the workers are forked
    papers = [job for job in jobs if job.page.kind == "paper"]
    lists = [job for job in jobs if job.page.kind != "paper"]
    missing = renderer.missing_items() if lists or later else []
    drawn_with_page = {job.page.context["slug"] for job in papers}
    beside = {p.slug: p for p in missing if p.slug in drawn_with_page}
    others = [p for p in missing if p.slug not in drawn_with_page]
    if papers or others:
        started = _start(renderer, writer, papers, workers, progress, beside, others)
        lists.extend(later() if later else ())
        meanwhile()
        total = _finish(started, renderer, writer)
        if total.failure:
            return total
    else:  # e.g. a list template edited: no page of the first round to draw
        lists.extend(later() if later else ())
        meanwhile()
        total = Drawn([], [])
    workers = min(workers, len(lists) // MIN_PAGES_PER_WORKER)
    if workers <= 1:
        last = _draw(renderer, writer, _counted(lists, progress))
    else:
        last = _finish(_start(renderer, writer, lists, workers, progress), renderer, writer)
    total.diagnostics.extend(last.diagnostics)
    total.failure += last.failure
    return total


Started = list[tuple[children.Process, Connection]]
CHUNK = 8  # pages a worker takes at a time


def _start(
    renderer: Renderer,
    writer: Writer,
    jobs: Sequence[Job],
    workers: int,
    progress: Progress,
    beside: Mapping[str, Paper] = MappingProxyType({}),
    others: Sequence[Paper] = (),
) -> Started:
    taken = multiprocessing.get_context("fork").Value("q", 0)  # the jobs handed out so far
    progress.measure(len(jobs), lambda: min(taken.value, len(jobs)))
    started: Started = []
    for i in range(workers):
        args = (renderer, writer, _claimed(jobs, taken), beside, others[i::workers])
        started.append(children.start(_work, args, closing=[r for _, r in started]))
    return started


def _claimed(jobs: Sequence[Job], taken: Synchronized) -> Iterator[Job]:
    """The jobs this worker takes, CHUNK at a time, until none is left."""
    while True:
        with taken.get_lock():
            first = taken.value
            taken.value = first + CHUNK
        if first >= len(jobs):
            return
        yield from jobs[first : first + CHUNK]


def _finish(started: Started, renderer: Renderer, writer: Writer) -> Drawn:
    """Wait for the workers; adopt the files they wrote and the items they drew."""
    total = Drawn([], [])
    for process, receive in started:
        part = _receive(receive)
        process.join()
        for path, entry, written in part.files:
            writer.adopt(path, entry, written)
        renderer.items.update(part.items)
        total.diagnostics.extend(part.diagnostics)
        total.failure += part.failure
    return total


def _receive(receive: Connection) -> Drawn:
    try:
        return receive.recv()
    except EOFError:
        return Drawn([], [], (error("build", None, "a render worker died unexpectedly"),))
    finally:
        receive.close()


def _work(
    renderer: Renderer,
    parent: Writer,
    jobs: Iterator[Job],
    beside: Mapping[str, Paper],
    others: Sequence[Paper],
    send: Connection,
) -> None:
    # What the fork inherited lives until the worker exits: the collector need not walk it
    # (walking it also copies every page it touches out of the parent's memory).
    gc.freeze()
    writer = Writer(parent.output, parent.previous, threads=WRITE_THREADS, empty=parent.empty)
    try:
        result = _draw(renderer, writer, jobs, beside, others)
    except Exception as exc:  # a bug, not bad input: report it with its traceback
        detail = "".join(traceback.format_exception(exc)).strip().splitlines()[-1]
        result = Drawn([], [], (error("build", None, f"internal error in a worker: {detail}"),))
    finally:
        writer.shutdown()
    send.send(result)
    send.close()
