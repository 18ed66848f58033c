"""digest.yaml → one frozen Config; every problem is reported with its line."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, DigestError, error, warning
from .reading import read_input
from .slugs import slugify
from .urls import BASE_URL_HINT, base_url_problem
from .yaml_errors import yaml_problem


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


# Searches for a paper by its title, shown on its page (`paper_links:` replaces them).
PAPER_LINKS = (
    ("arXiv", "https://arxiv.org/search/?query={title}&searchtype=title"),
    ("Hugging Face", "https://huggingface.co/papers?q={title}"),
    ("Google Scholar", "https://scholar.google.com/scholar?q={title}"),
    ("Semantic Scholar", "https://www.semanticscholar.org/search?q={title}"),
)


@dataclass(frozen=True, slots=True)
class Config:
    title: str = "Paper Digest"
    description: str = "Research papers, grouped by topic and date."
    base_url: str = "http://127.0.0.1:8000/"
    author: str = ""
    language: str = "en"
    theme: str = "default"
    page_size: int = 50
    feed_size: int = 50
    home_size: int = 30
    listing_years: dict[str, int] = field(default_factory=dict)
    listing_chrome: tuple[str, ...] = ()  # page chrome lines (or /regex/) beyond the built-in
    paper_links: tuple[tuple[str, str], ...] = PAPER_LINKS  # (name, URL with {title})
    topics: tuple[Rule, ...] = ()
    tags: tuple[Rule, ...] = ()
    other_topic: str = "Other"
    search: bool = True
    related: int = 5
    cname: str | None = None
    remote: str = "origin"
    branch: str = "gh-pages"
    path: str = "digest.yaml"
    drafts: bool = False  # `digest build --drafts`: records marked `draft: true` are shown

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, e.g. "/repo/" for a project site."""
        rest = self.base_url.split("://", 1)[-1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        return path if path.endswith("/") else path + "/"


_SCALARS: dict[str, type] = {
    "title": str,
    "description": str,
    "base_url": str,
    "author": str,
    "language": str,
    "theme": str,
    "page_size": int,
    "feed_size": int,
    "home_size": int,
    "other_topic": str,
    "search": bool,
    "related": int,
}
_KNOWN = (*_SCALARS, "listing_years", "listing_chrome", "paper_links", "taxonomy", "deploy")

_RULE_KEYS = ("name", "keywords", "phrases", "exclude")
_DEPLOY_KEYS = ("remote", "branch", "cname")
_LINK_KEYS = ("name", "url")

CONFIG_BYTES = 4 << 20  # digest.yaml; a taxonomy of thousands of topics is under 1 MB
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when PyYAML has it

Memo = dict[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None], tuple["Config", list]]


def load_config(path: Path, memo: Memo | None = None) -> tuple[Config, list[Diagnostic]]:
    """Read digest.yaml; raise DigestError listing every error, return warnings. `memo`
    keeps the last text parsed (a session reads the file at every build). The theme is
    checked against the themes there are, and listing_years against the listing files."""
    name = path.name
    try:
        text = read_input(path, limit=CONFIG_BYTES).decode("utf-8-sig")  # not /dev/zero
    except FileNotFoundError as exc:
        hint = "run `digest new DIR` to start a site, or pass -c PATH"
        raise DigestError.at(name, None, "no configuration file", hint) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError.at(name, None, f"cannot read the configuration: {exc}") from exc
    root = path.resolve().parent
    themes, listings = theme_names(root), _names(root / "content" / "listings")
    if memo is None:
        return parse_config(text, name, themes, listings)
    key = (text, themes, listings)
    if key not in memo:
        memo.clear()
        memo[key] = parse_config(text, name, themes, listings)
    config, notes = memo[key]
    return config, list(notes)


def theme_names(root: Path) -> tuple[str, ...]:
    """The built-in themes and the site's own (themes/<name>/)."""
    builtin = Path(str(resources.files("digest_themes")))
    return tuple(sorted({*(_names(builtin, folders=True) or ()), *_site_themes(root)}))


def _site_themes(root: Path) -> tuple[str, ...]:
    return _names(root / "themes", folders=True) or ()


def _names(folder: Path, folders: bool = False) -> tuple[str, ...] | None:
    """The visible files (or folders) in `folder`; None when it is not there."""
    try:
        with os.scandir(folder) as found:
            return tuple(
                sorted(
                    e.name
                    for e in found
                    if not e.name.startswith((".", "_")) and e.is_dir() == folders
                )
            )
    except OSError:
        return None


def parse_config(
    text: str,
    name: str = "digest.yaml",
    themes: Collection[str] | None = None,
    listings: Collection[str] | None = None,
) -> tuple[Config, list[Diagnostic]]:
    """`themes` and `listings`, when given, are the names `theme` and `listing_years` may
    use."""
    node, data = _load(text, name)
    if node is None:  # an empty file: every default
        return Config(path=name), []
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        hint = "write `key: value` lines, as `digest new` does"
        raise DigestError.at(name, 1, "the configuration must be a mapping of keys to values", hint)
    lines = _key_lines(node)
    _refuse_expansions(data, name, lines)
    check = _Check(name)
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = _child(node, key)
        if key in _SCALARS:
            values[key] = _scalar(key, value, where, check)
        elif key not in _KNOWN:
            check.unknown(str(key), _KNOWN, _key_node(node, key))
    check.repeated(node)
    values["listing_years"] = _years(data.get("listing_years"), node, listings, check)
    values["paper_links"] = _paper_links(data.get("paper_links"), node, check)
    values["listing_chrome"] = _chrome(data.get("listing_chrome"), node, check)
    topics, tags = _taxonomy(data.get("taxonomy"), _child(node, "taxonomy"), check)
    values.update(topics=topics, tags=tags)
    values.update(_deploy(data.get("deploy"), _child(node, "deploy"), check))
    if values.get("base_url") is not None:
        _base_url(values["base_url"], _child(node, "base_url"), check)
    if themes is not None and isinstance(values.get("theme"), str):
        _theme(values["theme"], themes, _child(node, "theme"), check)
    problems = sorted(check.problems, key=lambda p: p.line or 0)
    if any(p.level == "error" for p in problems):
        raise DigestError(*problems)  # the warnings too: every mistake at once
    values = {k: v for k, v in values.items() if v is not None}
    return Config(path=name, **values), problems


def _load(text: str, name: str) -> tuple[yaml.Node | None, Any]:
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
class _Check:
    """The problems found in one configuration file, each at the line of its node."""

    name: str
    problems: list[Diagnostic] = field(default_factory=list)

    def error(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(error(self.name, _line(node), message, hint))

    def warn(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(warning(self.name, _line(node), message, hint))

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
            seen.setdefault(key.value, _line(key))


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


def _child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    """The value node of `key` in a mapping node, or the item at an index of a list node."""
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return node.value[key] if 0 <= key < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                return v
    return None


def _key_node(node: yaml.Node | None, key: Any) -> yaml.Node | None:
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


_KINDS = {str: "text", bool: "true or false", int: "a positive whole number"}


def _scalar(key: str, value: Any, node: yaml.Node | None, check: _Check) -> Any:
    kind = _SCALARS[key]
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if kind is not int and isinstance(value, kind):
        return value
    if kind is str and isinstance(value, int | float):
        return str(value)
    example = {str: f'{key}: "..."', bool: f"{key}: true", int: f"{key}: 20"}[kind]
    message = f"`{key}` must be {_KINDS[kind]}, not `{shown(value)}`"
    check.error(node, message, f"write it as `{example}`")
    return None


def _base_url(value: str, node: yaml.Node | None, check: _Check) -> None:
    problem = base_url_problem(value)
    if problem:
        check.error(node, problem, BASE_URL_HINT)


def _theme(theme: str, themes: Collection[str], node: yaml.Node | None, check: _Check) -> None:
    if theme in themes:
        return
    close = difflib.get_close_matches(theme, list(themes), n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    names = ", ".join(sorted(themes))
    check.error(
        node, f"no theme named `{theme}`", f"{hint}use one of {names}, or make themes/{theme}/"
    )


# Values a key may hold once YAML's aliases are expanded: a "billion laughs" (nine lists of
# nine aliases of the one before) hung the build that walked it.
MOST_VALUES = 100_000


def _refuse_expansions(data: dict[Any, Any], name: str, lines: dict[str, int]) -> None:
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


def _years(
    value: Any, top: yaml.Node, listings: Collection[str] | None, check: _Check
) -> dict[str, int]:
    if value is None:
        return {}
    node = _child(top, "listing_years")
    if not isinstance(value, dict):
        check.error(
            node, "`listing_years` must map listing file names to years", "`001_x.txt: 2024`"
        )
        return {}
    years: dict[str, int] = {}
    for file, year in value.items():
        entry = _key_node(node, file)
        if not (isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2999):
            message = f"listing_years: `{shown(year)}` for {file} is no year"
            check.error(entry, message, f"write `{file}: 2024`")
            continue
        years[str(file)] = year
        if listings is not None and str(file) not in listings:
            close = difflib.get_close_matches(str(file), list(listings), n=1, cutoff=0.8)
            hint = f"did you mean `{close[0]}`?" if close else "check content/listings/"
            message = f"listing_years: no listing file named `{file}` in content/listings/"
            check.warn(entry, message, hint)
    return years


def _chrome(value: Any, top: yaml.Node, check: _Check) -> tuple[str, ...]:
    """Lines of page chrome as written, or `/regex/` patterns matched against a whole line."""
    if value is None:
        return ()
    node = _child(top, "listing_chrome")
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        hint = "write a list such as `- Sign in to comment` or `- /\\d+ retweets/`"
        check.error(node, "`listing_chrome` must be a list of lines", hint)
        return ()
    for number, entry in enumerate(value):
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            try:
                re.compile(entry[1:-1])
            except re.error as exc:
                message = f"listing_chrome: `{entry}` is not a valid pattern: {exc}"
                hint = "fix the pattern or drop the slashes"
                check.error(_child(node, number) or node, message, hint)
    return tuple(value)


def _paper_links(value: Any, top: yaml.Node, check: _Check) -> tuple[tuple[str, str], ...] | None:
    """Each a `name:` and a `url:` with `{title}`, where the paper's title goes."""
    if value is None:
        return None
    node = _child(top, "paper_links")
    hint = 'write `- {name: arXiv, url: "https://arxiv.org/search/?query={title}"}`'
    if not isinstance(value, list):
        check.error(node, "`paper_links` must be a list of links", hint)
        return None
    links = []
    for number, item in enumerate(value):
        item_node = _child(node, number) or node
        check.keys(item_node, _LINK_KEYS, "paper_links.")
        ok = isinstance(item, dict) and "name" in item and "url" in item
        url = item.get("url") if ok else None
        if not ok or not isinstance(item["name"], str) or not isinstance(url, str):
            message = f"paper_links: entry {number + 1} needs a `name:` and a `url:`"
            check.error(item_node, message, hint)
        elif not url.startswith(("https://", "http://")) or "{title}" not in url:
            message = f"paper_links: the URL of `{item['name']}` must be http(s) with {{title}}"
            check.error(_child(item_node, "url") or item_node, message, hint)
        else:
            links.append((item["name"], url))
    return tuple(links)


def _taxonomy(
    value: Any, node: yaml.Node | None, check: _Check
) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, dict):
        check.error(node, "`taxonomy` must have `topics:` and `tags:` lists")
        return (), ()
    check.keys(node, ("topics", "tags"), "taxonomy.")
    return (
        _rules(value.get("topics"), "topics", _child(node, "topics"), check),
        _rules(value.get("tags"), "tags", _child(node, "tags"), check),
    )


RULE_HINT = "write `- name: X` with `keywords: [...]` and/or `phrases: [...]` (and `exclude:`)"


def _rules(value: Any, kind: str, node: yaml.Node | None, check: _Check) -> tuple[Rule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.error(node, f"taxonomy.{kind} must be a list of rules", RULE_HINT)
        return ()
    rules: list[Rule] = []
    first: dict[str, int | None] = {}  # each rule's slug: the line of the first of that name
    for number, item in enumerate(value):
        item_node = _child(node, number) or node
        rule = _rule(item, kind, item_node, check)
        if rule is None:
            continue
        if rule.slug in first:
            message = f"taxonomy.{kind}: `{rule.name}` is named twice (first on line "
            check.error(item_node, message + f"{first[rule.slug]})", "merge the two, or rename one")
            continue
        first[rule.slug] = _line(item_node)
        rules.append(rule)
    return tuple(rules)


def _rule(item: Any, kind: str, node: yaml.Node | None, check: _Check) -> Rule | None:
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
            check.error(_child(node, key) or node, message, f"write `{key}: [a, b]`")
            return None
        terms.append(tuple(map(str, found)))
    name = name.strip()
    return Rule(name, slugify(name), *terms)


def _deploy(value: Any, node: yaml.Node | None, check: _Check) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.error(node, "`deploy` must be a mapping (remote, branch, cname)")
        return {}
    check.keys(node, _DEPLOY_KEYS, "deploy.")
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key not in _DEPLOY_KEYS or val is None:
            continue
        if isinstance(val, str):
            out[key] = val
        else:
            check.error(_child(node, key), f"`deploy.{key}` must be text, not `{shown(val)}`")
    return out
