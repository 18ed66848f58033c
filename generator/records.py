"""Record files (content/papers/<slug>.md): YAML front matter and a Markdown body.

Reading never guesses: a file whose front matter cannot be read is reported and left
alone. Writing is atomic: a temporary file in the same folder, flushed, then renamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .atomic import open_atomic, through_link
from .errors import Diagnostic, error
from .front import read_front
from .models import Record
from .reading import read_input, site_root
from .yaml_errors import yaml_problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


FIELD_ORDER = (
    "title",
    "title_inferred",
    "abstract",
    "authors_count",
    "published",
    "published_inferred",
    "listed",
    "affiliation",
    "sources",
    "links",
    "tags",
    "topic",
    "draft",
)


def read_record(path: Path, name: str | None = None) -> tuple[Record | None, list[Diagnostic]]:
    """A record, or None with an error naming `file:line:col` when it cannot be read."""
    shown = name or path.name
    try:
        text = _universal_newlines(read_input(path, site_root(path)).decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, [error(shown, None, f"cannot read this record: {exc}", "fix or delete it")]
    return parse_record(text, path.stem, shown, path)


def _universal_newlines(text: str) -> str:
    """CRLF and CR as LF, as a file read as text gives them."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_record(
    text: str, slug: str, shown: str, path: Path | None = None
) -> tuple[Record | None, list[Diagnostic]]:
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        hint = "start the file with a `---` line, the YAML fields, and another `---` line"
        return None, [error(shown, 1, "no front matter", hint)]
    end = text.find("\n---\n", 3)
    closing = end
    if end == -1 and text.endswith("\n---"):
        closing = len(text) - 4
    if closing == -1:
        return None, [error(shown, 1, "the front matter has no closing `---` line")]
    front = text[4 : closing + 1]
    try:
        meta = read_front(front)
        if meta is None:
            meta = yaml.load(front, Loader=_Loader)
    except yaml.YAMLError as exc:
        found = yaml_problem(exc)  # the front matter starts on the file's line 2
        diag = Diagnostic(
            "error",
            shown,
            found.line + 1 if found.line else 1,
            f"invalid YAML in the front matter: {found.message}",
            f"{found.hint}; until then the site keeps the last good page of this paper",
            found.column,
        )
        return None, [diag]
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. `published: 2024-02-30`
        hint = "fix the value; until then the paper is left out of the site, its file untouched"
        line = _unreadable_line(front)
        return None, [
            error(shown, line, f"a value in the front matter cannot be read: {exc}", hint)
        ]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None, [error(shown, 2, "the front matter must be `field: value` lines")]
    body = text[closing + 5 :] if end != -1 else ""
    return Record(slug=slug, meta=meta, body=body, path=path), []


def _unreadable_line(front: str) -> int:
    """The line of the file holding the first value YAML parses but cannot make into a value
    (a date such as 2024-02-30); 1 when not found. The front matter starts on line 2."""
    try:
        loader = _Loader(front)
        try:
            for node in _scalars(loader.get_single_node()):
                try:
                    loader.construct_object(node, deep=True)
                except (ValueError, OverflowError):
                    return int(node.start_mark.line) + 2
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError):
        pass
    return 1


def _scalars(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    """The scalar nodes under `node`, in the order of the file."""
    stack = [node] if node is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: its node was met already
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            yield node
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))


def dump_record(record: Record) -> str:
    ordered = {key: record.meta[key] for key in FIELD_ORDER if key in record.meta}
    ordered.update((k, v) for k, v in record.meta.items() if k not in ordered)
    front = yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100000)
    return f"---\n{front}---\n{record.body}"


class Raced(Exception):
    """The file changed between reading it and replacing it."""


def replace_if_unchanged(path: Path, expected: bytes, data: bytes) -> None:
    """write_atomic, but raise Raced (the file left as it is) when `path` no longer holds
    `expected` just before the new file takes its place."""
    target = through_link(path)
    with open_atomic(target) as handle:
        handle.write(data)
        if target.read_bytes() != expected:
            raise Raced(str(path))


def amend_front(text: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """`text` with its front matter edited, line by line, from `before` to `after`: sources
    appended to their list, fields added, changed or dropped on their own lines; comments
    and the user's layout kept. None when an edit cannot be made by lines (a flow list over
    several lines, a field written over several lines): the caller writes the whole record."""
    end = text.find("\n---\n", 3)
    if not text.startswith("---\n") or end == -1:
        return None
    lines = text[4 : end + 1].split("\n")[:-1]
    for key in before:
        if key not in after and not _drop_line(lines, key):
            return None
    for key, value in after.items():
        old = before.get(key, _MISSING)
        if old is _MISSING:
            lines.append(_field_line(key, value))
        elif key == "sources" and isinstance(old, list) and isinstance(value, list):
            if value[: len(old)] != old or not _add_items(lines, key, value[len(old) :]):
                return None
        elif old != value and not _replace_line(lines, key, _field_line(key, value)):
            return None
    return "---\n" + "\n".join(lines) + text[end:]


_MISSING = object()


def _field_line(key: str, value: object) -> str:
    return yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, width=100000).rstrip("\n")


def _item(value: object) -> str:
    """A list item as YAML writes it in a flow list (quoted when it must be)."""
    return yaml.dump([value], Dumper=_Dumper, default_flow_style=True, allow_unicode=True)[
        1:-2
    ].strip()


def _key_at(lines: list[str], key: str) -> int | None:
    """The line of a top-level `key:`; None when absent."""
    prefix = f"{key}:"
    return next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)


def _single(lines: list[str], at: int) -> bool:
    """Whether the field at `at` is on one line (the next line is another top-level key,
    a comment, or the end)."""
    after = lines[at + 1] if at + 1 < len(lines) else ""
    value = lines[at].split(":", 1)[1].split(" #", 1)[0].strip()
    return bool(value) and value not in ("|", ">", "|-", ">-") and not after.startswith((" ", "-"))


def _replace_line(lines: list[str], key: str, new: str) -> bool:
    at = _key_at(lines, key)
    if at is None or not _single(lines, at):
        return False
    lines[at] = new
    return True


def _drop_line(lines: list[str], key: str) -> bool:
    at = _key_at(lines, key)
    if at is None or not _single(lines, at):
        return False
    del lines[at]
    return True


def _add_items(lines: list[str], key: str, items: list[object]) -> bool:
    """Append items to a block list (`- x` lines, indented or not) or a one-line flow list."""
    at = _key_at(lines, key)
    if at is None:
        return False
    value = lines[at].split(":", 1)[1].strip()
    if value.startswith("[") and value.endswith("]"):
        shown = [_item(item) for item in items]
        inner = value[1:-1].strip()
        lines[at] = f"{key}: [{', '.join([inner, *shown] if inner else shown)}]"
        return True
    if value:
        return False
    last, indent = at, ""
    while last + 1 < len(lines) and lines[last + 1].lstrip().startswith("- "):
        last += 1
        indent = lines[last][: len(lines[last]) - len(lines[last].lstrip())]
    new = [f"{indent}- {_item(item)}" for item in items]
    lines[last + 1 : last + 1] = new
    return True
