"""Pagefind's service process, driven through its Python API: started to die with this
process (and behind the builds when asked), its answers read as they come, the records
given to it and the index written.

Tests: tests/test_search.py, tests/browser/test_serve_search.py
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .children import dying_with_parent, ignoring_ctrl_c, signals_blocked


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One paper as Pagefind holds it. `url` is site-relative (papers/<slug>/): the search
    script resolves it against the index's own address, so the site may live anywhere."""

    url: str
    content: str
    meta: dict[str, str]
    filters: dict[str, list[str]]
    sort: dict[str, str]


async def index_records(
    records: Iterable[SearchRecord],
    language: str,
    staging: Path,
    started: Callable[[int], None] = lambda pid: None,
    niceness: int = 0,
) -> None:
    """Give Pagefind the records and have it write the index into `staging`; `started` is
    told its process id (to kill it), `niceness` runs it behind the builds."""
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
        await service.finish()
    finally:
        await service.close()


FINISH_WITHIN = 60  # seconds Pagefind is given to end by itself once the index is written


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

        async def finish(self) -> None:
            """Let Pagefind end by itself (its input closed), so every file it writes is
            whole: it answers `write_files` before its writes are all done (Pagefind#1271),
            and stopping it then left files of the index empty on a loaded machine."""
            assert self._backend.stdin is not None
            self._backend.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._backend.wait(), FINISH_WITHIN)

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


def pagefind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pagefind")
    except Exception:
        return ""
