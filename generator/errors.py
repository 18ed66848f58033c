"""The one error type and the diagnostics that stages return instead of printing."""

from __future__ import annotations

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
