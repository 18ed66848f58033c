"""The search index: the papers themselves given to Pagefind as custom records (its Python
API: text, filters, sort keys and what a result card shows), made aside and swapped in.

No page is parsed: the records are made from the site model (`index_input`), and the indexer
is skipped when that input is the same as the index in place was made from (a notes edit, a
template edit). The last input's digest is kept in .digest-cache, beside the output's name.

Pagefind's own process is driven in pagefind_service.py; serve's background indexer is
background_index.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

from .classify import tag_key
from .errors import Diagnostic, warning
from .markup import plain_text, render_title
from .models import Paper
from .pagefind_service import SearchRecord, index_records, pagefind_version
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
    stamp = (INDEX_VERSION, pagefind_version(), site.config.language, groups, papers, flags)
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
            for _ in range(TRIES):  # again while it comes out torn (see `torn`)
                shutil.rmtree(self.staging, ignore_errors=True)
                index = index_records(
                    records, self.language, self.staging, self._started, self.niceness
                )
                asyncio.run(index)
                if self.abandoned or not torn(self.staging):
                    break
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
        return [no_search(failure_reason(failure), target)]
    if not (staging / "pagefind-entry.json").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        return [no_search("Pagefind wrote no index", target)]
    if torn(staging):
        shutil.rmtree(staging, ignore_errors=True)  # never served: a search that breaks
        return [no_search("Pagefind left files of the index empty", target)]
    for stock in [*staging.glob("pagefind-*ui.*"), staging / "pagefind-highlight.js"]:
        stock.unlink(missing_ok=True)  # Pagefind's own UI: the theme has its own
    replace_tree(staging, target)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        _digest_file(cache, output).write_text(digest, encoding="utf-8")
    except OSError:
        pass  # the next build indexes again
    return []


TRIES = 3  # indexings of one build, while Pagefind leaves files of the index empty


def torn(staging: Path) -> bool:
    """Whether Pagefind left a file of the index empty: on a loaded machine it does, now
    and then, even let end by itself (Pagefind#1271); such an index breaks search."""
    return any(f.is_file() and f.stat().st_size == 0 for f in staging.rglob("*"))


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ImportError):
        return "the pagefind package is not installed"
    if isinstance(exc, FileNotFoundError) and exc.filename is None:  # no binary anywhere
        return "the Pagefind binary was not found"
    if isinstance(exc, OSError):
        return f"Pagefind could not run ({exc})"
    text = " ".join(str(a) for a in exc.args if a) or type(exc).__name__
    return f"Pagefind failed: {text[-300:]}"


def no_search(reason: str, target: Path) -> Diagnostic:
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
