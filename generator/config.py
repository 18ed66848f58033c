"""digest.yaml → one frozen Config; every problem is reported with its line.

This module reads the file and puts the Config together; the checks of each key are in
config_fields.py and config_taxonomy.py, the YAML nodes and lines in config_yaml.py."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from . import config_fields as fields
from .config_taxonomy import RULE_HINT, Rule, taxonomy
from .config_yaml import MOST_VALUES, Check, child, key_node, load_yaml, refuse_expansions, shown
from .errors import Diagnostic, DigestError
from .reading import read_input

__all__ = [
    "CONFIG_BYTES",
    "MOST_VALUES",
    "PAPER_LINKS",
    "RULE_HINT",
    "Config",
    "Memo",
    "Rule",
    "load_config",
    "parse_config",
    "shown",
    "theme_names",
]

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


CONFIG_BYTES = 4 << 20  # digest.yaml; a taxonomy of thousands of topics is under 1 MB

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
    node, data = load_yaml(text, name)
    if node is None:  # an empty file: every default
        return Config(path=name), []
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        hint = "write `key: value` lines, as `digest new` does"
        raise DigestError.at(name, 1, "the configuration must be a mapping of keys to values", hint)
    refuse_expansions(data, name, node)
    check = Check(name)
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = child(node, key)
        if key in fields.SCALARS:
            values[key] = fields.scalar(key, value, where, check)
        elif key not in fields.KNOWN:
            check.unknown(str(key), fields.KNOWN, key_node(node, key))
    check.repeated(node)
    values["listing_years"] = fields.years(data.get("listing_years"), node, listings, check)
    values["paper_links"] = fields.paper_links(data.get("paper_links"), node, check)
    values["listing_chrome"] = fields.chrome(data.get("listing_chrome"), node, check)
    topics, tags = taxonomy(data.get("taxonomy"), child(node, "taxonomy"), check)
    values.update(topics=topics, tags=tags)
    values.update(fields.deploy(data.get("deploy"), child(node, "deploy"), check))
    if values.get("base_url") is not None:
        fields.check_base_url(values["base_url"], child(node, "base_url"), check)
    if themes is not None and isinstance(values.get("theme"), str):
        fields.check_theme(values["theme"], themes, child(node, "theme"), check)
    problems = sorted(check.problems, key=lambda p: p.line or 0)
    if any(p.level == "error" for p in problems):
        raise DigestError(*problems)  # the warnings too: every mistake at once
    values = {k: v for k, v in values.items() if v is not None}
    return Config(path=name, **values), problems
