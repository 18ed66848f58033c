"""The quickest rebuild `digest serve` makes. When a burst of changes only edits the notes
(the Markdown body) of records, the site model is the same but for those papers' notes, and
notes are shown on the paper's own page only (list items, feeds, cite.bib and papers.json
leave them out, see item_keys.paper_digests): only those pages need drawing again.

Anything else — a changed field, a new or deleted file, a record with warnings, a file that
cannot be read — is not a notes edit, and the full incremental build runs instead.

Tests: tests/test_session.py
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .ingest.state import IngestCache
from .models import Paper, Record
from .records import read_record
from .site import Made


@dataclass(frozen=True, slots=True)
class NotesEdit:
    name: str  # the record's file name in content/papers/
    stat: tuple[int, int]  # its modification time (ns) and size, as the ingest cache keeps
    record: Record
    paper: Paper  # the paper as the site shows it, with the new notes


def notes_edits(
    papers_dir: Path,
    changed: Iterable[str],
    cache: IngestCache,
    papers: Mapping[str, Made],
) -> list[NotesEdit] | None:
    """The notes edits that `changed` (paths of changed files) stands for, or None when any
    change is something else. `cache` is the ingest's, `papers` the model memo's."""
    edits = []
    for raw in set(changed):
        path = Path(raw)
        if path.parent != papers_dir or path.suffix != ".md" or path.name.startswith("."):
            return None
        known, made = cache.records.get(path.name), papers.get(path.stem)
        if (
            known is None
            or made is None
            or made.paper is None
            or made.notes
            or made.record is not known
        ):
            return None  # new, a draft, with warnings, or not in the last model
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if (stat.st_mtime_ns, stat.st_size) == cache.stats.get(path.name):
            continue  # touched, not changed
        record, problems = read_record(path, f"content/papers/{path.name}")
        if record is None or problems or record.meta != known.meta:
            return None
        paper = dataclasses.replace(made.paper, notes=record.body)
        edits.append(NotesEdit(path.name, (stat.st_mtime_ns, stat.st_size), record, paper))
    return edits
