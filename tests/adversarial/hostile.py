"""Helpers of the adversarial suite: the tally, hostile sites, and a finder of anything a
browser could run in a page."""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from generator.build import build_site
from generator.errors import DigestError
from generator.result import BuildResult

REPO = Path(__file__).resolve().parents[2]
SEED = "003_fa3f4b34e5ad3f71.txt"  # 31 papers in the plain daily format
REPORT = REPO / "test-artifacts" / "adversarial-report.json"


# -- the tally -----------------------------------------------------------------------------


@dataclass
class Tally:
    """What the suite tried and what went wrong; every count but `inputs_tried` must be 0."""

    inputs_tried: int = 0
    crashes: int = 0
    lost_edits: int = 0
    executable_injections: int = 0
    hangs: int = 0
    killed_builds_leaving_a_broken_site: int = 0
    details: list[str] = field(default_factory=list)
    # bugs in modules this suite may not change, each an xfail(strict=True) test
    known_bugs: list[str] = field(default_factory=list)

    def tried(self, n: int = 1) -> None:
        self.inputs_tried += n

    def note(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.details.append(f"{kind}: {what}")


TALLY = Tally()


class TooSlow(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the block after `seconds` (SIGALRM also stops a runaway regex). The
    alarm pytest-timeout may have set is put back with what is left of it."""

    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"over {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer - (time.monotonic() - start)))


# -- sites ---------------------------------------------------------------------------------


def make_root(
    dest: Path,
    listings: dict[str, bytes] | None = None,
    records: dict[str, str] | None = None,
    seed: bool = True,
    **config: Any,
) -> Path:
    """A site: the repository's digest.yaml (changed by `config`), the good seed listing
    unless `seed` is false, and the hostile `listings` and `records` given."""
    data = yaml.safe_load((REPO / "digest.yaml").read_text(encoding="utf-8"))
    data["listing_years"] = {SEED: 2024, **data.get("listing_years", {})}
    data.update(config)
    folder = dest / "content" / "listings"
    folder.mkdir(parents=True, exist_ok=True)
    (dest / "digest.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if seed:
        shutil.copy2(REPO / "content" / "listings" / SEED, folder / SEED)
    for name, payload in (listings or {}).items():
        (folder / name).write_bytes(payload)
    papers = dest / "content" / "papers"
    papers.mkdir(parents=True, exist_ok=True)
    for name, text in (records or {}).items():
        (papers / name).write_text(text, encoding="utf-8")
    return dest


def guarded_build(root: Path, tally: Tally, **options: Any) -> BuildResult:
    """build_site, counting any exception but the DigestError of bad input as a crash."""
    options.setdefault("search", False)
    try:
        return build_site(root, **options)
    except DigestError:
        raise
    except Exception as exc:
        tally.note("crashes", f"build_site({root.name}): {type(exc).__name__}: {exc}")
        raise


def seed_titles() -> list[str]:
    from generator.listings import parse_bytes

    data = (REPO / "content" / "listings" / SEED).read_bytes()
    return [e.title for e in parse_bytes(data, SEED).entries if e.title]


# -- executable content in pages -----------------------------------------------------------

BAD_SCHEME = re.compile(r"^(?:javascript|data|vbscript|livescript|mocha):", re.IGNORECASE)
URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset", "background"}
    | {"ping", "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "archive"}
)
FORBIDDEN_TAGS = frozenset(
    {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
)


def bad_url(value: str) -> bool:
    """True for a URL a browser would run: its scheme with spaces and controls removed."""
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", value)
    return bool(BAD_SCHEME.match(squeezed))


class ExecutableFinder(HTMLParser):
    """Everything in a page that could run script, by html.parser (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script: dict[str, str] | None = None
        self.script_text: list[str] = []

    def _at(self) -> str:
        return f"line {self.getpos()[0]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for key, value in values.items():
            if key.startswith("on"):
                self.problems.append(f"{self._at()}: <{tag} {key}={value!r}>")
            if key in URL_ATTRS and any(bad_url(part) for part in value.split(",")):
                self.problems.append(f"{self._at()}: <{tag} {key}={value!r}>")
            if key == "srcdoc" or (key == "style" and "expression(" in value.lower()):
                self.problems.append(f"{self._at()}: <{tag} {key}=...>")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"{self._at()}: <{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append(f"{self._at()}: <meta http-equiv=refresh>")
        if tag == "script":
            self.script, self.script_text = values, []
            src = values.get("src", "")
            if src:
                ours = src.endswith(("static/digest.js", "static/search.js"))
                if not ours or set(values) - {"src", "defer"}:
                    self.problems.append(f"{self._at()}: <script src={src!r}>")
            elif values.get("type") != "application/ld+json":
                self.problems.append(f"{self._at()}: inline <script {values}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self.script is None:
            return
        text = "".join(self.script_text)
        if self.script.get("type") == "application/ld+json":
            if "<" in text:  # `</script` or `<!--` would end or confuse the element
                self.problems.append(f"{self._at()}: JSON-LD holds '<'")
            try:
                json.loads(text)
            except ValueError:
                self.problems.append(f"{self._at()}: JSON-LD is not JSON")
        elif text.strip():
            self.problems.append(f"{self._at()}: <script src> with a body")
        self.script = None


def executable_parts(html: str) -> list[str]:
    finder = ExecutableFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def scan_output(output: Path, tally: Tally) -> list[str]:
    """Every executable part of every HTML page under `output`, counted in the tally."""
    found = []
    for page in sorted(output.rglob("*.html")):
        relative = page.relative_to(output).as_posix()
        if relative.startswith("pagefind/"):
            continue
        for problem in executable_parts(page.read_text(encoding="utf-8")):
            found.append(f"{relative}: {problem}")
            tally.note("executable_injections", f"{relative}: {problem}")
    return found
