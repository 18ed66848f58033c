"""Themes: where a theme's files are found (the site's own folder over the built-in theme
over the default), the Jinja2 environment that draws them, and their static files.

Tests: tests/test_themes.py
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .cache import CACHE_DIR
from .config import Config
from .errors import DigestError
from .markup import highlight_css
from .plan import listing_label, long_date


def builtin_themes() -> Path:
    """The themes shipped with the package (themes/ in a checkout, digest_themes installed)."""
    return Path(str(resources.files("digest_themes")))


def theme_dirs(root: Path, config: Config) -> list[Path]:
    """Where a theme's files are looked up, first match wins: the site's own theme folder,
    the built-in theme of that name, then the built-in default theme."""
    builtin = builtin_themes()
    dirs = [root / "themes" / config.theme, builtin / config.theme, builtin / "default"]
    plain = config.theme and not set("/\\").intersection(config.theme)
    if not plain or config.theme.startswith(".") or not any(d.is_dir() for d in dirs[:2]):
        raise _no_theme(config.theme, root, builtin)
    seen: list[Path] = []
    for d in dirs:
        if d.is_dir() and d not in seen:
            seen.append(d)
    return seen


def _no_theme(name: str, root: Path, builtin: Path) -> DigestError:
    """A theme that is neither the site's nor built in (it fell back to the default)."""
    folders = [f for f in (builtin, root / "themes") if f.is_dir()]
    found = {d.name for f in folders for d in f.iterdir() if d.is_dir()}
    names = ", ".join(sorted(n for n in found if not n.startswith((".", "_"))))
    return DigestError.at(
        "digest.yaml",
        None,
        f"no theme named {name!r}",
        f"use one of {names}, or make themes/{name}/",
    )


def make_env(root: Path, config: Config) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader([str(d / "templates") for d in theme_dirs(root, config)])
    env = jinja2.Environment(
        loader=loader,
        bytecode_cache=_bytecode_cache(root / CACHE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    env.filters["longdate"] = long_date
    env.filters["tojson_ld"] = _script_json
    env.filters["listing_label"] = listing_label
    return env


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept between builds (checked against each template's source):
    compiling the theme took 0.3 s of every `digest build`. None when it cannot be kept."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def compile_all(env: jinja2.Environment) -> None:
    """Compile (or load) every template now, e.g. before forking workers that would each
    compile them again; a template that does not compile is left to fail where it is used."""
    for name in env.list_templates(extensions=["html", "xml", "txt"]):
        with contextlib.suppress(jinja2.TemplateError):
            env.get_template(name)


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no `<`, `>` or `&` that could end or confuse the element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def static_files(root: Path, config: Config) -> Iterator[tuple[str, bytes]]:
    """The theme's static/ files, the site's overrides winning, and the code highlighting CSS."""
    chosen: dict[str, Path] = {}
    for theme in reversed(theme_dirs(root, config)):
        static = theme / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else []:
            if path.is_file():
                chosen[path.relative_to(static).as_posix()] = path
    for relative, path in sorted(chosen.items()):
        yield f"static/{relative}", path.read_bytes()
    yield "static/highlight.css", highlight_css().encode("utf-8")
