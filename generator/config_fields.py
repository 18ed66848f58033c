"""digest.yaml's keys other than the taxonomy, each checked at its line: the plain values
(title, page_size, search, ...), base_url, theme, listing_years, listing_chrome,
paper_links and deploy.

Tests: tests/test_config.py, tests/test_config_mistakes.py"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Any

import yaml

from .config_yaml import Check, child, key_node, shown
from .urls import BASE_URL_HINT, base_url_problem

SCALARS: dict[str, type] = {
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
KNOWN = (*SCALARS, "listing_years", "listing_chrome", "paper_links", "taxonomy", "deploy")

_DEPLOY_KEYS = ("remote", "branch", "cname")
_LINK_KEYS = ("name", "url")
_KINDS = {str: "text", bool: "true or false", int: "a positive whole number"}


def scalar(key: str, value: Any, node: yaml.Node | None, check: Check) -> Any:
    """The value of one of SCALARS; None (and an error) when it is not of its kind."""
    kind = SCALARS[key]
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


def check_base_url(value: str, node: yaml.Node | None, check: Check) -> None:
    problem = base_url_problem(value)
    if problem:
        check.error(node, problem, BASE_URL_HINT)


def check_theme(theme: str, themes: Collection[str], node: yaml.Node | None, check: Check) -> None:
    if theme in themes:
        return
    close = difflib.get_close_matches(theme, list(themes), n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    names = ", ".join(sorted(themes))
    check.error(
        node, f"no theme named `{theme}`", f"{hint}use one of {names}, or make themes/{theme}/"
    )


def years(
    value: Any, top: yaml.Node, listings: Collection[str] | None, check: Check
) -> dict[str, int]:
    """listing_years: the year of each listing file named, which must be there."""
    if value is None:
        return {}
    node = child(top, "listing_years")
    if not isinstance(value, dict):
        check.error(
            node, "`listing_years` must map listing file names to years", "`001_x.txt: 2024`"
        )
        return {}
    found: dict[str, int] = {}
    for file, year in value.items():
        entry = key_node(node, file)
        if not (isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2999):
            message = f"listing_years: `{shown(year)}` for {file} is no year"
            check.error(entry, message, f"write `{file}: 2024`")
            continue
        found[str(file)] = year
        if listings is not None and str(file) not in listings:
            close = difflib.get_close_matches(str(file), list(listings), n=1, cutoff=0.8)
            hint = f"did you mean `{close[0]}`?" if close else "check content/listings/"
            message = f"listing_years: no listing file named `{file}` in content/listings/"
            check.warn(entry, message, hint)
    return found


def chrome(value: Any, top: yaml.Node, check: Check) -> tuple[str, ...]:
    """Lines of page chrome as written, or `/regex/` patterns matched against a whole line."""
    if value is None:
        return ()
    node = child(top, "listing_chrome")
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
                check.error(child(node, number) or node, message, hint)
    return tuple(value)


def paper_links(value: Any, top: yaml.Node, check: Check) -> tuple[tuple[str, str], ...] | None:
    """Each a `name:` and a `url:` with `{title}`, where the paper's title goes."""
    if value is None:
        return None
    node = child(top, "paper_links")
    hint = 'write `- {name: arXiv, url: "https://arxiv.org/search/?query={title}"}`'
    if not isinstance(value, list):
        check.error(node, "`paper_links` must be a list of links", hint)
        return None
    links = []
    for number, item in enumerate(value):
        item_node = child(node, number) or node
        check.keys(item_node, _LINK_KEYS, "paper_links.")
        ok = isinstance(item, dict) and "name" in item and "url" in item
        url = item.get("url") if ok else None
        if not ok or not isinstance(item["name"], str) or not isinstance(url, str):
            message = f"paper_links: entry {number + 1} needs a `name:` and a `url:`"
            check.error(item_node, message, hint)
        elif not url.startswith(("https://", "http://")) or "{title}" not in url:
            message = f"paper_links: the URL of `{item['name']}` must be http(s) with {{title}}"
            check.error(child(item_node, "url") or item_node, message, hint)
        else:
            links.append((item["name"], url))
    return tuple(links)


def deploy(value: Any, node: yaml.Node | None, check: Check) -> dict[str, Any]:
    """`deploy:`'s remote, branch and cname, those given."""
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
            check.error(child(node, key), f"`deploy.{key}` must be text, not `{shown(val)}`")
    return out
