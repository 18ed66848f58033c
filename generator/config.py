"""digest.yaml → one frozen Config; every problem is reported with its line."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Diagnostic, DigestError, error, warning
from .reading import read_input
from .slugs import slugify
from .urls import BASE_URL_HINT, base_url_problem


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


CONFIG_BYTES = 4 << 20  # digest.yaml; a taxonomy of thousands of topics is under 1 MB
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when PyYAML has it


def load_config(
    path: Path, memo: dict[str, tuple[Config, list[Diagnostic]]] | None = None
) -> tuple[Config, list[Diagnostic]]:
    """Read digest.yaml; raise DigestError listing every error, return warnings. `memo`
    keeps the last text parsed (a session reads the file at every build)."""
    name = path.name
    try:
        text = read_input(path, limit=CONFIG_BYTES).decode("utf-8-sig")  # not /dev/zero
    except FileNotFoundError as exc:
        hint = "run `digest new DIR` to start a site, or pass -c PATH"
        raise DigestError.at(name, None, "no configuration file", hint) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DigestError.at(name, None, f"cannot read the configuration: {exc}") from exc
    if memo is None:
        return parse_config(text, name)
    if text not in memo:
        memo.clear()
        memo[text] = parse_config(text, name)
    config, notes = memo[text]
    return config, list(notes)


def parse_config(text: str, name: str = "digest.yaml") -> tuple[Config, list[Diagnostic]]:
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise DigestError.at(name, line, f"invalid YAML: {exc}", "fix the syntax") from exc
    if not isinstance(data, dict):
        raise DigestError.at(name, 1, "the configuration must be a mapping of keys to values")
    lines = _key_lines(node)
    _refuse_expansions(data, name, lines)
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key))
        if key in _SCALARS:
            values[key] = _scalar(key, value, name, line, problems)
        elif key not in _KNOWN:
            problems.append(_unknown(str(key), name, line))
    values["listing_years"] = _years(data.get("listing_years"), name, lines, problems)
    values["paper_links"] = _paper_links(
        data.get("paper_links"), name, lines.get("paper_links"), problems
    )
    values["listing_chrome"] = _chrome(
        data.get("listing_chrome"), name, lines.get("listing_chrome"), problems
    )
    topics, tags = _taxonomy(data.get("taxonomy"), name, lines.get("taxonomy"), problems)
    values.update(topics=topics, tags=tags)
    values.update(_deploy(data.get("deploy"), name, lines.get("deploy"), problems))
    if values.get("base_url") is not None:
        problems += _base_url(values["base_url"], name, lines.get("base_url"))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise DigestError(*errors)
    values = {k: v for k, v in values.items() if v is not None}
    return Config(path=name, **values), problems


def _base_url(value: str, name: str, line: int | None) -> list[Diagnostic]:
    problem = base_url_problem(value)
    return [error(name, line, problem, BASE_URL_HINT)] if problem else []


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


def _scalar(key: str, value: Any, name: str, line: int | None, problems: list[Diagnostic]) -> Any:
    kind = _SCALARS[key]
    if kind is int and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if kind is not int and isinstance(value, kind):
        return value
    if kind is str and isinstance(value, int | float):
        return str(value)
    wanted = "a positive whole number" if kind is int else kind.__name__
    problems.append(error(name, line, f"`{key}` must be {wanted}, not {value!r}"))
    return None


def _unknown(key: str, name: str, line: int | None) -> Diagnostic:
    close = difflib.get_close_matches(key, _KNOWN, n=1)
    hint = f"did you mean `{close[0]}`?" if close else "remove it"
    return warning(name, line, f"unknown key `{key}` is ignored", hint)


def _years(
    value: Any, name: str, lines: dict[str, int], problems: list[Diagnostic]
) -> dict[str, int]:
    if value is None:
        return {}
    line = lines.get("listing_years")
    if not isinstance(value, dict):
        problems.append(error(name, line, "`listing_years` must map listing file names to years"))
        return {}
    years: dict[str, int] = {}
    for file, year in value.items():
        if isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2999:
            years[str(file)] = year
        else:
            problems.append(error(name, line, f"listing_years: {year!r} for {file} is no year"))
    return years


def _chrome(value: Any, name: str, line: int | None, problems: list[Diagnostic]) -> tuple[str, ...]:
    """Lines of page chrome as written, or `/regex/` patterns matched against a whole line."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        hint = "write a list such as `- Sign in to comment` or `- /\\d+ retweets/`"
        problems.append(error(name, line, "`listing_chrome` must be a list of lines", hint))
        return ()
    for entry in value:
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            try:
                re.compile(entry[1:-1])
            except re.error as exc:
                message = f"listing_chrome: {entry!r} is not a valid pattern: {exc}"
                problems.append(error(name, line, message, "fix the pattern or drop the slashes"))
    return tuple(value)


def _paper_links(
    value: Any, name: str, line: int | None, problems: list[Diagnostic]
) -> tuple[tuple[str, str], ...] | None:
    """Each a `name:` and a `url:` with `{title}`, where the paper's title goes."""
    if value is None:
        return None
    hint = 'write `- {name: arXiv, url: "https://arxiv.org/search/?query={title}"}`'
    if not isinstance(value, list):
        problems.append(error(name, line, "`paper_links` must be a list of links", hint))
        return None
    links = []
    for number, item in enumerate(value, 1):
        ok = isinstance(item, dict) and set(item) == {"name", "url"}
        url = item.get("url") if ok else None
        if not ok or not isinstance(item["name"], str) or not isinstance(url, str):
            message = f"paper_links: entry {number} needs a `name:` and a `url:`, nothing else"
            problems.append(error(name, line, message, hint))
        elif not url.startswith(("https://", "http://")) or "{title}" not in url:
            message = f"paper_links: the URL of {item['name']!r} must be http(s) with {{title}}"
            problems.append(error(name, line, message, hint))
        else:
            links.append((item["name"], url))
    return tuple(links)


def _taxonomy(
    value: Any, name: str, line: int | None, problems: list[Diagnostic]
) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, dict):
        problems.append(error(name, line, "`taxonomy` must have `topics:` and `tags:` lists"))
        return (), ()
    for key in value:
        if key not in ("topics", "tags"):
            problems.append(_unknown(f"taxonomy.{key}", name, line))
    return (
        _rules(value.get("topics"), "topics", name, line, problems),
        _rules(value.get("tags"), "tags", name, line, problems),
    )


def _rules(
    value: Any, kind: str, name: str, line: int | None, problems: list[Diagnostic]
) -> tuple[Rule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(error(name, line, f"taxonomy.{kind} must be a list"))
        return ()
    rules: list[Rule] = []
    for item in value:
        rule = _rule(item)
        if rule is None:
            problems.append(
                error(
                    name,
                    line,
                    f"taxonomy.{kind}: {item!r} is not a rule",
                    "write `- name: X` with `keywords: [...]` and/or `phrases: [...]`"
                    " (and `exclude: [...]`)",
                )
            )
        else:
            rules.append(rule)
    return tuple(rules)


def _rule(item: Any) -> Rule | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    words = item.get("keywords") or []
    phrases = item.get("phrases") or []
    exclude = item.get("exclude") or []
    if not all(isinstance(terms, list) for terms in (words, phrases, exclude)):
        return None
    name = item["name"].strip()
    return Rule(
        name,
        slugify(name),
        tuple(map(str, words)),
        tuple(map(str, phrases)),
        tuple(map(str, exclude)),
    )


def _deploy(value: Any, name: str, line: int | None, problems: list[Diagnostic]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(error(name, line, "`deploy` must be a mapping (remote, branch, cname)"))
        return {}
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key in ("remote", "branch", "cname") and isinstance(val, str):
            out[key] = val
        elif key in ("remote", "branch", "cname") and val is None:
            continue
        else:
            problems.append(_unknown(f"deploy.{key}", name, line))
    return out
