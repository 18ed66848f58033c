"""A YAML syntax error as a person reads it: the line where the problem starts and what is
wrong, without PyYAML's `in "<unicode string>"` lines.

Tests: tests/test_config_mistakes.py
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int | None  # 1-based, in the text parsed
    column: int | None  # 1-based
    message: str
    hint: str


# Contexts whose mark is where the problem starts: a quote or a bracket opened and never
# closed is found only at the end of the text (a record's 11:1 for its line 2's quote).
_STARTS_AT_CONTEXT = (
    "while scanning a quoted scalar",
    "while parsing a flow",
    "while scanning a simple key",  # a key without its colon: the next line is blamed
)


def yaml_problem(exc: yaml.YAMLError) -> YamlProblem:
    context = getattr(exc, "context", None) or ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    opened = getattr(exc, "context_mark", None)
    if opened is not None and context.startswith(_STARTS_AT_CONTEXT):
        mark = opened
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return YamlProblem(line, column, *_worded(context, problem))


def _worded(context: str, problem: str) -> tuple[str, str]:
    if context == "while scanning a quoted scalar":
        return "a quoted value starts here and is never closed", "close the quote on this line"
    if context.startswith("while parsing a flow"):
        return (
            f"a [list] or {{mapping}} starts here and is not closed: {problem}",
            "close the bracket, and separate the items with commas",
        )
    if problem == "mapping values are not allowed in this context":
        return (
            "a `key: value` where a value was expected",
            "quote a value holding `: `, or fix the indentation",
        )
    if "tab character" in problem:
        return f"a tab in the indentation: {problem}", "indent with spaces, not tabs"
    if problem.startswith("found character that cannot start any token"):
        return problem, "quote the value"
    text = f"{context}: {problem}" if context else problem
    return text, "fix the syntax (check the indentation and the quotes)"
