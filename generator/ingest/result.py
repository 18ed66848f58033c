"""What an ingest did: the records, which are new or updated, the listings' dates and the
diagnostics.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import Diagnostic
from ..models import Record


@dataclass(slots=True)
class IngestResult:
    records: dict[str, Record] = field(default_factory=dict)
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    listing_dates: dict[str, dt.date | None] = field(default_factory=dict)
    undated: set[str] = field(default_factory=set)  # listings giving no date of their own
    broken: set[str] = field(default_factory=set)  # slugs of records that cannot be read
    parsed: int = 0  # listings and records read anew (not from the cache)
    files: int = 0
    papers: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # records no listing yields any more
    written: dict[str, str] = field(default_factory=dict)  # digests of the records written
    # per record updated, the listing papers' fields it takes (see record_files.amend_record)
    additions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level != "info")
        return (
            f"{self.files} listing files, {self.papers} papers: {len(self.new)} new, "
            f"{len(self.updated)} updated, {warnings} warnings"
        )
