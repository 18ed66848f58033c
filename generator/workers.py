"""Drawing and writing pages, in this process or spread over forked worker processes.

Each worker is forked with the renderer already built (nothing is pickled on the way in),
draws its share of the pages, writes them, and sends back only what the manifest needs.
Output is byte-identical whatever the number of workers: pages are pure functions of their
inputs.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import Diagnostic, DigestError, error
from .manifest import Entry, Manifest
from .models import Paper
from .render import Page, Renderer, compile_all
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
) -> list[Diagnostic]:
    """Draw and write every job's page; raise DigestError if any page cannot be drawn.
    `meanwhile` runs in this process while the workers draw (e.g. writing the exports)."""
    workers = min(workers, len(jobs) // MIN_PAGES_PER_WORKER)
    if workers <= 1:
        result = _draw(renderer, writer, jobs)
        meanwhile()
    else:
        result = _draw_forked(renderer, writer, jobs, workers, meanwhile)
    writer.flush()
    if result.failure:
        raise DigestError(*result.failure)
    return result.diagnostics


def _draw(
    renderer: Renderer, writer: Writer, jobs: Sequence[Job], items: Sequence[Paper] = ()
) -> Drawn:
    """Draw `jobs`, and the list items of `items` (returned in Drawn.items): an item is
    drawn beside its paper's page, while the paper's rendered title is at hand."""
    helpers = renderer.helpers()
    done = Drawn([], [])
    drawn = []
    wanted = {paper.slug: paper for paper in items}
    try:
        for job in jobs:
            written = writer.write(job.page.path, renderer.render(job.page, helpers), job.key)
            drawn.append((job.page.path, written))
            if job.page.kind == "paper":
                slug = job.page.context["slug"]
                if slug in wanted:
                    renderer.marked_item(wanted[slug])
                done.diagnostics.extend(renderer.views[slug].diagnostics)
                renderer.views.forget(slug)  # memory stays bounded at 100,000 papers
        done.items = renderer.draw_items(items)
        writer.flush()
        done.files = [(path, writer.entries[path], written) for path, written in drawn]
    except DigestError as exc:
        done.failure = exc.diagnostics
    return done


def _draw_forked(
    renderer: Renderer,
    writer: Writer,
    jobs: Sequence[Job],
    workers: int,
    meanwhile: Callable[[], None],
) -> Drawn:
    """Two rounds of workers. A list item is drawn once and shown on many list pages, at any
    depth: the first round draws the paper pages and, each worker for its share of the
    papers, the list items still missing; the second round draws the list pages with every
    item in hand. (Workers of one round drawing the lists found each item missing, so each
    drew all of them: 24 s of each worker's 91 at 100,000 papers.)"""
    compile_all(renderer.env)  # once here, not once in each worker
    writer.flush()  # the writer's threads idle while the workers are forked
    papers = [job for job in jobs if job.page.kind == "paper"]
    lists = [job for job in jobs if job.page.kind != "paper"]
    shares = [papers[i::workers] for i in range(workers)]
    items = _items_by_share(renderer.missing_items() if lists else [], shares)
    started = _start(renderer, writer, list(zip(shares, items, strict=True)))
    meanwhile()
    total = _finish(started, renderer, writer)
    if total.failure:
        return total
    workers = min(workers, len(lists) // MIN_PAGES_PER_WORKER)
    if workers <= 1:
        last = _draw(renderer, writer, lists)
    else:
        last = _finish(
            _start(renderer, writer, [(lists[i::workers], []) for i in range(workers)]),
            renderer,
            writer,
        )
    total.diagnostics.extend(last.diagnostics)
    total.failure += last.failure
    return total


def _items_by_share(missing: list[Paper], shares: list[list[Job]]) -> list[list[Paper]]:
    """The missing items, each given to the worker that draws its paper's page, if any."""
    owner = {job.page.context["slug"]: i for i, share in enumerate(shares) for job in share}
    out: list[list[Paper]] = [[] for _ in shares]
    for n, paper in enumerate(missing):
        out[owner.get(paper.slug, n % len(shares))].append(paper)
    return out


Share = tuple[Sequence[Job], Sequence[Paper]]  # pages to draw, list items to draw


def _start(
    renderer: Renderer, writer: Writer, shares: list[Share]
) -> list[tuple[multiprocessing.process.BaseProcess, Connection]]:
    context = multiprocessing.get_context("fork")
    started = []
    for jobs, items in shares:
        receive, send = context.Pipe(duplex=False)
        process = context.Process(
            target=_work,
            args=(renderer, writer.output, writer.previous, jobs, items, send),
            daemon=True,
        )
        process.start()
        send.close()
        started.append((process, receive))
    return started


def _finish(
    started: list[tuple[multiprocessing.process.BaseProcess, Connection]],
    renderer: Renderer,
    writer: Writer,
) -> Drawn:
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
    output: Path,
    previous: Manifest,
    jobs: Sequence[Job],
    items: Sequence[Paper],
    send: Connection,
) -> None:
    # What the fork inherited lives until the worker exits: the collector need not walk it
    # (walking it also copies every page it touches out of the parent's memory).
    gc.freeze()
    writer = Writer(output, previous, threads=WRITE_THREADS)
    try:
        result = _draw(renderer, writer, jobs, items)
    except Exception as exc:  # a bug, not bad input: report it with its traceback
        detail = "".join(traceback.format_exception(exc)).strip().splitlines()[-1]
        result = Drawn([], [], (error("build", None, f"internal error in a worker: {detail}"),))
    finally:
        writer.shutdown()
    send.send(result)
    send.close()
