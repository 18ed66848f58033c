"""Front matter in the shape `digest ingest` writes it, read without a YAML parser.

Records are mostly written by this program: one `field: value` per line, lists as `- item`
lines under their field. Reading that shape directly is 5x faster than PyYAML's C loader,
the largest cost of a cold build's ingest. Anything else — quotes with escapes, comments,
nesting, blank lines, flow lists, a value YAML would read as other than a string, a whole
number or a date — returns None, and the caller reads the text with YAML: the result is
always what YAML gives (tests/test_records.py checks both ways on generated records).

Tests: tests/test_records.py
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import yaml

_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,17}")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# A plain scalar may not start with an indicator, nor hold `: ` or ` #`, nor end with `:`.
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_BOOLS = {"true": True, "false": False}


class _Unsure(Exception):
    """The text is not in the simple shape: let YAML read it."""


def read_front(text: str) -> dict[str, Any] | None:
    """The fields of a front matter (between the `---` lines), or None when unsure."""
    try:
        return _read(text)
    except _Unsure:
        return None


def _read(text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    items: list[Any] | None = None
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        if line.startswith("- "):
            if items is None:
                raise _Unsure
            items.append(_scalar(line[2:]))
            continue
        key, sep, value = line.partition(": ")
        if not sep:
            if not line.endswith(":"):
                raise _Unsure
            key, value = line[:-1], None
        if key in meta or not _is_key(key):
            raise _Unsure
        if value is None:
            meta[key] = items = []
        else:
            meta[key], items = _scalar(value), None
    for key, value in meta.items():
        if value == []:  # `key:` with no items under it is null, not an empty list
            meta[key] = None
    return meta


# The first characters PyYAML's implicit resolvers look at; any other starts a string.
_RESOLVED_START = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)


@functools.lru_cache(maxsize=256)
def _is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None and _tag(key) == _STR


def _tag(value: str) -> str:
    # a letter starts only a bool or a null, the longest of which is `false`
    if value[0] not in _RESOLVED_START or (len(value) > 5 and value[0].isalpha()):
        return _STR
    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


def _scalar(value: str) -> Any:
    if not value or not value.isprintable():
        raise _Unsure
    first = value[0]
    if first == "'":
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            raise _Unsure
        return inner.replace("''", "'")
    if first in _PLAIN_START or value[-1] in ": " or ": " in value or " #" in value:
        raise _Unsure
    if "\t" in value:
        raise _Unsure
    if value in _BOOLS:
        return _BOOLS[value]
    if _DECIMAL.fullmatch(value):  # what YAML reads as an int, in its plainest spelling
        return int(value)
    day = _DAY.fullmatch(value)  # and as a date
    if day:
        try:
            return dt.date(*map(int, day.groups()))
        except ValueError:
            raise _Unsure from None  # YAML reports the impossible date
    if _tag(value) == _STR:
        return value
    raise _Unsure
