"""digest.yaml as YAML: parsed once into a node tree that knows the line of every key and
value, the problems found in it each at its line (Check), and the refusal of an alias bomb.

Tests: tests/test_config.py, tests/test_config_mistakes.py"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Diagnostic, DigestError, error, warning
from .yaml_errors import yaml_problem

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when PyYAML has it

# Values a key may hold once YAML's aliases are expanded: a "billion laughs" (nine lists of
# nine aliases of the one before) hung the build that walked it.
MOST_VALUES = 100_000


def load_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (with the line of everything) and its value, parsed once."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        found = yaml_problem(exc)
        message = f"invalid YAML: {found.message}"
        raise DigestError(Diagnostic("error", name, found.line, message, found.hint)) from exc
    finally:
        loader.dispose()
    return node, data


@dataclass(slots=True)
class Check:
    """The problems found in one configuration file, each at the line of its node."""

    name: str
    problems: list[Diagnostic] = field(default_factory=list)

    def error(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(error(self.name, line(node), message, hint))

    def warn(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(warning(self.name, line(node), message, hint))

    def unknown(
        self, key: str, known: Sequence[str], node: yaml.Node | None, where: str = ""
    ) -> None:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "known: " + ", ".join(known)
        self.warn(node, f"unknown key `{where}{key}` is ignored", hint)

    def keys(self, node: yaml.Node | None, known: Sequence[str], where: str) -> None:
        """Warn about each key of a mapping that is not one of `known`."""
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value not in known:
                    self.unknown(str(key.value), known, key, where)
            self.repeated(node, where)

    def repeated(self, node: yaml.MappingNode, where: str = "") -> None:
        """YAML lets a key be given twice, the second silently winning."""
        seen: dict[str, int | None] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            if key.value in seen:
                message = f"`{where}{key.value}` is given twice (first on line {seen[key.value]})"
                self.warn(key, message, "the second wins: remove one")
            seen.setdefault(key.value, line(key))


def line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    """The value node of `key` in a mapping node, or the item at an index of a list node."""
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return node.value[key] if 0 <= key < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
    return None


def key_node(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return k
    return None


def shown(value: Any, most: int = 60) -> str:
    """A value as YAML writes it (`[a, b]`, `{name: x}`, `yes`), never a Python repr."""
    try:
        text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    except yaml.YAMLError:
        text = str(value)
    text = text.removesuffix("\n...").removesuffix("...").strip()
    return text if len(text) <= most else text[: most - 3] + "..."


def refuse_expansions(data: dict[Any, Any], name: str, node: yaml.Node | None) -> None:
    """Raise when a top-level key holds over MOST_VALUES values once aliases are expanded."""
    lines = _key_lines(node)
    for key, value in data.items():
        if _expanded(value, {}) > MOST_VALUES:
            raise DigestError.at(
                name,
                lines.get(str(key)),
                f"`{key}` holds over {MOST_VALUES:,} values once its YAML aliases are expanded",
                "write the values out rather than repeat an alias such as *name",
            )


def _expanded(value: Any, sizes: dict[int, int]) -> int:
    """How many values `value` holds, each alias counted as often as it is used (each
    object's count worked out once, so a bomb is counted in a few steps)."""
    if not isinstance(value, dict | list):
        return 1
    if id(value) not in sizes:
        sizes[id(value)] = MOST_VALUES + 1  # until known: an alias to itself is too many
        parts = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        sizes[id(value)] = 1 + sum(_expanded(part, sizes) for part in parts)
    return sizes[id(value)]


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
