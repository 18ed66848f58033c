"""What a build reports: its diagnostics, its counts, and the time of each stage.

Tests: tests/test_build.py, tests/test_console.py
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .errors import Diagnostic
from .write import WriteStats


@dataclass(slots=True)
class BuildResult:
    config: Config
    output: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: WriteStats = field(default_factory=WriteStats)
    timings: dict[str, float] = field(default_factory=dict)
    papers: int = 0
    pages: int = 0
    drawn: int = 0
    written: list[str] = field(default_factory=list)
    indexing: float = 0.0  # seconds Pagefind took, while the pages were drawn

    @property
    def ok(self) -> bool:
        """Whether the build made its site: no error among its diagnostics."""
        return not any(d.level == "error" for d in self.diagnostics)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        errors = sum(1 for d in self.diagnostics if d.level == "error")
        total = sum(self.timings.values())
        return (
            f"built {_count(self.papers, 'paper')}, {_count(self.pages, 'page')} into "
            f"{self.output} in {total:.2f}s "
            f"({self.drawn} drawn, {self.stats.written} written, {self.stats.unchanged} "
            f"unchanged, {self.stats.removed} removed); {warnings} warnings, {errors} errors"
        )

    def stages(self) -> str:
        stages = ", ".join(f"{name} {secs:.2f}s" for name, secs in self.timings.items())
        if self.indexing:
            stages += f" (indexing {self.indexing:.2f}s beside the drawing)"
        return "stages: " + stages


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
