"""A record's front-matter fields → a Paper: typed reads that report each wrong type with
its line, the dates a paper may have, its topic and tags classified (classify.py).

Tests: tests/adversarial/test_hostile_records.py, tests/adversarial/test_hostile_sizes.py,
tests/test_trusted_data.py, tests/test_build.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import reprlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .classify import Classification, Taxonomy, classify, taxonomy
from .config import Config
from .errors import Diagnostic, warning
from .links import external_href
from .models import Paper, Record
from .records import FIELD_ORDER

KNOWN_FIELDS = frozenset(FIELD_ORDER)  # the fields of DESIGN.md


def paper_texts(records: Iterable[Record], drafts: bool = False) -> list[tuple[str, str, str]]:
    """(slug, title, abstract) of each record that will be a paper, as `to_paper` reads
    them, by slug: what related papers are computed from, before the model is built."""
    out = []
    for record in records:
        get = _Fields(record.meta, "", [], record.path)
        if drafts or not get.boolean("draft"):
            out.append((record.slug, *_texts(record.slug, get)))
    return sorted(out)


def _texts(slug: str, get: _Fields) -> tuple[str, str]:
    return get.text("title") or slug.replace("-", " "), get.text("abstract") or ""


def to_paper(
    config: Config,
    record: Record,
    diagnostics: list[Diagnostic],
    classes: dict[bytes, Classification] | None = None,
    known: Taxonomy | None = None,
) -> Paper | None:
    """A record as a Paper; fields of the wrong type are reported and ignored. `known`: the
    config's taxonomy, when the caller made it already."""
    shown = f"content/papers/{record.slug}.md"
    get = _Fields(record.meta, shown, diagnostics, record.path)
    draft = get.boolean("draft")
    if draft and not config.drafts:
        return None
    title, abstract = _texts(record.slug, get)
    for key in record.meta:
        if key not in KNOWN_FIELDS:
            diagnostics.append(
                warning(shown, get.line(key), f"unknown field `{key}` is kept but not shown")
            )
    topic, own_tags, question = _asked(get, title, abstract)
    found = classes.get(question) if classes is not None else None
    if found is None:
        found = classify(config, title, abstract, topic, own_tags, known)
        if classes is not None:
            classes[question] = found
    listed, published = get.date("listed"), get.date("published")
    return Paper(
        slug=record.slug,
        title=title,
        abstract=abstract,
        topic=found.topic,
        tags=found.tags,
        sources=tuple(get.strings("sources")),
        links=get.links("links"),
        listed=listed,
        published=published,
        published_inferred=get.boolean("published_inferred"),
        title_inferred=get.boolean("title_inferred"),
        authors_count=get.count("authors_count"),
        affiliation=get.text("affiliation"),
        notes=record.body,
        source_path=shown,
        draft=draft,
    )


def classes_of(
    config: Config, records: Iterable[Record], known: Mapping[bytes, Classification]
) -> dict[bytes, Classification]:
    """The classifications of the records' papers that `known` lacks, by the question
    `to_paper` asks: made ahead of the model, in another process (ahead.Ahead)."""
    tax = taxonomy(config)
    found: dict[bytes, Classification] = {}
    for record in records:
        get = _Fields(record.meta, "", [], record.path)
        if get.boolean("draft") and not config.drafts:
            continue
        title, abstract = _texts(record.slug, get)
        topic, own_tags, question = _asked(get, title, abstract)
        if question not in known and question not in found:
            found[question] = classify(config, title, abstract, topic, own_tags, tax)
    return found


def _asked(get: _Fields, title: str, abstract: str) -> tuple[str | None, tuple[str, ...], bytes]:
    """What a paper is classified by: its own topic and tags, and the digest of all four."""
    own_tags = tuple(get.capped("tags", MOST_TAGS))
    topic = get.text("topic")
    return topic, own_tags, _question(title, abstract, topic, own_tags)


def _question(title: str, abstract: str, topic: str | None, tags: tuple[str, ...]) -> bytes:
    text = "\x00".join((title, abstract, topic or "", *tags))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


# Dates a paper may have (issue 19: `published: 9999-12-31` made a 213 MB page of empty
# months, and 4,000 tags on one record a 969 MB site).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
MOST_TAGS = 50


# Not after any build's last_date (written in December 2026): no need to ask the clock
# (asking it was a tenth of reading 10,000 records' fields).
SURELY_PAST = dt.date(2027, 12, 1)


def last_date() -> dt.date:
    """The latest date a paper may have: a year after today, and not after 2100."""
    return min(LAST_DATE, dt.date.today() + dt.timedelta(days=366))


# C0 controls other than tab and line breaks: invalid in HTML and XML, shown by nothing.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A wrong value is quoted in its warning, cut short: YAML aliases can make a few lines of
# front matter into a list of a billion items (a "billion laughs"), which repr() would expand.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict = 2, 4, 4
_SHORT.maxstring = _SHORT.maxother = 80


class _Fields:
    """Typed reads of front-matter fields, reporting each wrong type with its line."""

    def __init__(
        self,
        meta: dict[str, Any],
        shown: str,
        diagnostics: list[Diagnostic],
        path: Path | None = None,
    ) -> None:
        self.meta, self.shown, self.diagnostics, self.path = meta, shown, diagnostics, path

    def line(self, key: str) -> int:
        """The line of `key:` in the file (read again only for a warning): a list written one
        item a line puts the fields after it further down than their rank says."""
        try:
            text = self.path.read_text(encoding="utf-8-sig") if self.path else ""
        except (OSError, UnicodeDecodeError):
            text = ""
        for number, line in enumerate(text.splitlines()[1:], 2):
            if line.rstrip() == "---":
                break
            if re.match(rf"['\"]?{re.escape(str(key))}['\"]?\s*:", line):
                return number
        return 2 + list(self.meta).index(key) if key in self.meta else 1

    def _bad(self, key: str, wanted: str) -> None:
        value = _SHORT.repr(self.meta[key])
        self.diagnostics.append(
            warning(self.shown, self.line(key), f"`{key}: {value}` should be {wanted}; ignored")
        )

    def text(self, key: str) -> str | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return _CONTROL.sub("", str(value)).strip() or None
        self._bad(key, "text")
        return None

    def boolean(self, key: str) -> bool:
        value = self.meta.get(key)
        if value is None or isinstance(value, bool):
            return bool(value)
        self._bad(key, "true or false")
        return False

    def count(self, key: str) -> int | None:
        value = self.meta.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return value
        self._bad(key, "a whole number")
        return None

    def date(self, key: str) -> dt.date | None:
        value = self._date(key)
        if (
            value is None
            or FIRST_DATE <= value <= SURELY_PAST
            or FIRST_DATE <= value <= last_date()
        ):
            return value
        self._bad(key, f"a date from {FIRST_DATE.year} to a year from today")
        return None

    def _date(self, key: str) -> dt.date | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self._bad(key, "a date written YYYY-MM-DD")
        return None

    def capped(self, key: str, most: int) -> list[str]:
        """`strings`, the first `most` of them, with a warning when there were more."""
        found = self.strings(key)
        if len(found) > most:
            self.diagnostics.append(
                warning(
                    self.shown,
                    self.line(key),
                    f"{len(found)} `{key}`; the first {most} are kept",
                    f"a paper shows at most {most}",
                )
            )
        return found[:most]

    def strings(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            texts = (_CONTROL.sub("", str(v)) for v in value)
            return [text for text in texts if text.strip()]
        self._bad(key, "a list of text")
        return []

    def links(self, key: str) -> tuple[str, ...]:
        """The http(s)/mailto URLs of a list; any other entry (`javascript:`, `data:`, a
        relative path) would become a live link on the page, so it is reported and dropped."""
        kept = []
        for url in self.strings(key):
            href = external_href(url)
            if href is None:
                self.diagnostics.append(
                    warning(
                        self.shown,
                        self.line(key),
                        f"`{key}` entry {url!r} is not an http(s) or mailto URL; ignored",
                    )
                )
            else:
                kept.append(href)
        return tuple(kept)
