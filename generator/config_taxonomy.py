"""digest.yaml's `taxonomy:`: the topic and tag rules (Rule), each checked at its line.

Tests: tests/test_config.py, tests/test_config_mistakes.py, tests/test_labels.py"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .config_yaml import Check, child, line, shown
from .slugs import slugify


@dataclass(frozen=True, slots=True)
class Rule:
    """A topic or a tag: its display name, the words and phrases that select it, and the
    phrases in which those words do not count (`exclude`: "anomaly detection" for a rule
    selected by "detection")."""

    name: str
    slug: str
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


_RULE_KEYS = ("name", "keywords", "phrases", "exclude")

RULE_HINT = "write `- name: X` with `keywords: [...]` and/or `phrases: [...]` (and `exclude:`)"


def taxonomy(
    value: Any, node: yaml.Node | None, check: Check
) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """The topics and the tags of `taxonomy:` (none when it is not there)."""
    if value is None:
        return (), ()
    if not isinstance(value, dict):
        check.error(node, "`taxonomy` must have `topics:` and `tags:` lists")
        return (), ()
    check.keys(node, ("topics", "tags"), "taxonomy.")
    return (
        _rules(value.get("topics"), "topics", child(node, "topics"), check),
        _rules(value.get("tags"), "tags", child(node, "tags"), check),
    )


def _rules(value: Any, kind: str, node: yaml.Node | None, check: Check) -> tuple[Rule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.error(node, f"taxonomy.{kind} must be a list of rules", RULE_HINT)
        return ()
    rules: list[Rule] = []
    first: dict[str, int | None] = {}  # each rule's slug: the line of the first of that name
    for number, item in enumerate(value):
        item_node = child(node, number) or node
        rule = _rule(item, kind, item_node, check)
        if rule is None:
            continue
        if rule.slug in first:
            message = f"taxonomy.{kind}: `{rule.name}` is named twice (first on line "
            check.error(item_node, message + f"{first[rule.slug]})", "merge the two, or rename one")
            continue
        first[rule.slug] = line(item_node)
        rules.append(rule)
    return tuple(rules)


def _rule(item: Any, kind: str, node: yaml.Node | None, check: Check) -> Rule | None:
    where = f"taxonomy.{kind}"
    if not isinstance(item, dict):
        check.error(node, f"{where}: `{shown(item)}` is not a rule", RULE_HINT)
        return None
    check.keys(node, _RULE_KEYS, f"{where}.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or not slugify(name):
        problem = "has no `name:`" if name is None else f"has the name `{shown(name)}`"
        check.error(node, f"{where}: this rule {problem}", "give it one: `- name: Robotics`")
        return None
    terms = []
    for key in ("keywords", "phrases", "exclude"):
        found = item.get(key) or []
        if not isinstance(found, list):
            message = f"{where}: `{key}` of `{name}` must be a list, not `{shown(found)}`"
            check.error(child(node, key) or node, message, f"write `{key}: [a, b]`")
            return None
        terms.append(tuple(map(str, found)))
    name = name.strip()
    return Rule(name, slugify(name), *terms)
