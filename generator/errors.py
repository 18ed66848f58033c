"""The one error type and the diagnostics that stages return instead of printing.

Tests: tests/test_console.py, tests/test_config_mistakes.py
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in an input, located as `path:line[:col]`."""

    level: Level
    path: str
    line: int | None
    message: str
    hint: str = ""
    col: int | None = None

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # kept in the build cache (a listing's notes): see manifest.Entry
        fields = (self.level, self.path, self.line, self.message, self.hint, self.col)
        return Diagnostic, fields

    def location(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return where

    def format(self) -> str:
        text = f"{self.level}: {self.location()}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


# C0 and C1 controls and DEL: a file name, a request path or a record's key holding an
# escape sequence could rewrite the terminal it was printed on (issue 19).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with every control character written as an escape (\\x1b)."""
    return _CONTROLS.sub(lambda found: repr(found.group())[1:-1], text)


def warning(path: str, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("warning", path, line, message, hint)


def error(path: str, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("error", path, line, message, hint)


def info(path: str, line: int | None, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic("info", path, line, message, hint)


class DigestError(Exception):
    """Raised when a command cannot go on; carries every diagnostic that explains why."""

    def __init__(self, *diagnostics: Diagnostic) -> None:
        super().__init__("; ".join(d.format() for d in diagnostics))
        self.diagnostics = diagnostics

    @classmethod
    def at(cls, path: str, line: int | None, message: str, hint: str = "") -> DigestError:
        return cls(error(path, line, message, hint))
