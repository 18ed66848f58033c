"""The notes of an ingest folded for reading: one note per listing for its paper dates that
took the listing's year.

Tests: tests/test_ingest.py
"""

from __future__ import annotations

from ..errors import Diagnostic, info

YEARLESS = "paper dates without a year"


def fold_years(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """One note per listing for its paper dates that took the listing's year, with a count
    and the first line, instead of a note per paper (2,010 of them at 10,000 papers)."""
    by_file: dict[tuple[str, str], list[Diagnostic]] = {}
    out: list[Diagnostic] = []
    for diag in diagnostics:
        if diag.level == "info" and diag.message.startswith(YEARLESS):
            found = by_file.setdefault((diag.path, diag.message), [])
            if not found:
                out.append(diag)  # its place, replaced below
            found.append(diag)
        else:
            out.append(diag)
    for (path, message), found in by_file.items():
        if len(found) > 1:
            first = min(found, key=lambda d: d.line or 0)
            folded = info(path, first.line, f"{len(found):,} {message}", "lines: " + _lines(found))
            out[out.index(found[0])] = folded
    return out


def _lines(found: list[Diagnostic]) -> str:
    numbers = sorted(d.line for d in found if d.line)
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
