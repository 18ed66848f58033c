"""Records → the site model: papers with their effective topic and tags, grouped by topic,
tag, month and listing. Pure: reads nothing, writes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import reprlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from .classify import Classification, Taxonomy, classify, tag_key, taxonomy
from .config import Config
from .errors import Diagnostic, warning
from .links import external_href
from .metadata import CiteMemo, cite_keys
from .models import Paper, Record
from .records import FIELD_ORDER
from .slugs import slugify, unique

KNOWN_FIELDS = frozenset(FIELD_ORDER)  # the fields of DESIGN.md


@dataclass(frozen=True, slots=True)
class Group:
    """Papers under one heading: a topic, a tag, a month or a listing."""

    name: str
    slug: str
    papers: tuple[Paper, ...]
    date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    papers: tuple[Paper, ...]
    topics: tuple[Group, ...]
    tags: tuple[Group, ...]
    months: tuple[Group, ...]
    listings: tuple[Group, ...]
    cite_keys: Mapping[str, str] = field(default_factory=dict)  # by slug, unique in the site

    def latest_listing(self) -> Group | None:
        """The newest listing by its date; one that gives no date never leads."""
        dated = [g for g in self.listings if g.date is not None]
        return dated[-1] if dated else None

    def earlier_listings(self, count: int) -> list[Group]:
        """The listings before the latest, newest first (those without a date last)."""
        latest = self.latest_listing()
        return [g for g in reversed(self.listings) if g is not latest][:count]


@dataclass(slots=True)
class ModelMemo:
    """Papers made by earlier builds of a session, by slug, with the record object and the
    config they were made from: an unchanged record is not classified again."""

    papers: dict[str, tuple[Record, Config, Paper | None, list[Diagnostic]]] = field(
        default_factory=dict
    )
    config: Config | None = None
    # classification by a digest of (title, abstract, own topic, own tags), for one taxonomy
    classes: dict[bytes, Classification] = field(default_factory=dict)
    classes_added: int = 0  # since the memo was made, so a build knows to save it
    taxonomy: tuple[object, ...] | None = None  # the one `classes` hold for, once known
    undated: frozenset[str] = frozenset()  # the listings giving no date, as last built
    order: dict[str, tuple[Paper, tuple[int, str, str]]] = field(default_factory=dict)  # _sorted
    cites: CiteMemo = field(default_factory=CiteMemo)

    def use_taxonomy(self, config: Config) -> None:
        """Forget the classifications made with another taxonomy (digest.yaml edited while
        `digest serve` runs: the papers are grouped again)."""
        now = (config.topics, config.tags, config.other_topic)
        if self.taxonomy is not None and self.taxonomy != now:
            self.classes = {}
        self.taxonomy = now


def build_model(
    config: Config,
    records: Iterable[Record],
    listing_dates: Mapping[str, dt.date | None],
    memo: ModelMemo | None = None,
    changed: Iterable[str] = (),
    undated: Collection[str] = (),
) -> tuple[Site, list[Diagnostic]]:
    """The site model; with a memo, records that are the same objects as last time (and not
    among `changed`) reuse their Paper. `undated`: the listings that give no date."""
    memo = memo if memo is not None else ModelMemo()
    memo.use_taxonomy(config)
    again = bool(memo.papers)  # a build after another in this process (a session)
    undated = frozenset(undated)
    same_config = memo.config == config and memo.undated == undated
    memo.undated = undated
    known_classes = len(memo.classes)
    memo.config = config
    stale = set(changed)
    diagnostics: list[Diagnostic] = []
    papers = []
    made: dict[str, tuple[Record, Config, Paper | None, list[Diagnostic]]] = {}
    tax: Taxonomy | None = None
    for record in records:
        known = memo.papers.get(record.slug)
        if known and same_config and known[0] is record and record.slug not in stale:
            made[record.slug] = known
        else:
            notes: list[Diagnostic] = []
            if tax is None:
                tax = taxonomy(config)
            paper = _dated(to_paper(config, record, notes, memo.classes, tax), undated)
            made[record.slug] = (record, config, paper, notes)
        paper, notes = made[record.slug][2:]
        diagnostics.extend(notes)
        if paper is not None:
            papers.append(paper)
    memo.papers = made
    memo.classes_added += len(memo.classes) - known_classes
    papers = _sorted(papers, memo if again else None)
    site = Site(
        config=config,
        papers=tuple(papers),
        topics=_topics(config, papers),
        tags=_tags(papers),
        months=_months(papers),
        # a listing giving no date is not dated by the day it came: not the latest issue
        listings=_listings(
            papers, {n: None if n in undated else d for n, d in listing_dates.items()}
        ),
        cite_keys=cite_keys(papers, memo.cites if again else None),
    )
    return site, diagnostics


def _dated(paper: Paper | None, undated: frozenset[str]) -> Paper | None:
    """A paper whose every listing gives no date, and no date of its own, is only added."""
    if paper is None or paper.published or not paper.sources or not undated:
        return paper
    if all(source in undated for source in paper.sources):
        return dataclasses.replace(paper, added=True)
    return paper


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


def _sorted(papers: list[Paper], memo: ModelMemo | None) -> list[Paper]:
    """Newest first; each paper's sort key kept in `memo` while it is the same object."""
    if memo is None:
        return sorted(papers, key=newest_first)
    known = memo.order
    keys = {}
    for paper in papers:
        found = known.get(paper.slug)
        keys[paper.slug] = found if found and found[0] is paper else (paper, newest_first(paper))
    memo.order = keys
    return [paper for paper, _ in sorted(keys.values(), key=itemgetter(1))]


def newest_first(paper: Paper) -> tuple[int, str, str]:
    return (-paper.date.toordinal(), paper.title.casefold(), paper.slug)


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
    ):
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


def _topics(config: Config, papers: list[Paper]) -> tuple[Group, ...]:
    by_topic: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        by_topic[paper.topic].append(paper)
    order = [rule.name for rule in config.topics] + [config.other_topic]
    extra = sorted(set(by_topic) - set(order), key=lambda name: (name.casefold(), name))
    names = [name for name in [*order, *extra] if by_topic.get(name)]
    # the taxonomy's topics first: a record's `topic: Efficient Models!` took the page of
    # the topic Efficient Models (issue 19); it is efficient-models-2
    slugs = _unique_slugs(names, "topic")
    return tuple(Group(name, slugs[name], tuple(by_topic[name])) for name in names)


def _unique_slugs(
    names: Iterable[str], fallback: str, base: Callable[[str], str] = str
) -> dict[str, str]:
    """Each name's slug, the later of two that would be the same getting `-2`, `-3`..."""
    taken: set[str] = set()
    slugs = {}
    for name in names:
        slug = slugs[name] = unique(slugify(base(name), fallback), taken)
        taken.add(slug)
    return slugs


def _tags(papers: list[Paper]) -> tuple[Group, ...]:
    names: dict[str, str] = {}
    by_tag: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        tags = paper.tags
        for tag, key in zip(tags, _tag_keys(tags), strict=True):
            names.setdefault(key, tag)
            by_tag[key].append(paper)
    taken: set[str] = set()
    groups = []
    for key in sorted(by_tag, key=lambda k: names[k].casefold()):
        slug = unique(slugify(names[key], "tag"), taken)
        taken.add(slug)
        groups.append(Group(names[key], slug, tuple(by_tag[key])))
    return tuple(groups)


@lru_cache(maxsize=1 << 16)  # a paper's tags, as many papers have them, in every build
def _tag_keys(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(tag_key, tags))


def _months(papers: list[Paper]) -> tuple[Group, ...]:
    by_month: dict[tuple[int, int], list[Paper]] = defaultdict(list)
    for paper in papers:
        date = paper.date
        by_month[(date.year, date.month)].append(paper)
    return tuple(
        Group(
            dt.date(year, month, 1).strftime("%B %Y"),
            f"{year:04d}/{month:02d}",
            tuple(by_month[(year, month)]),
            dt.date(year, month, 1),
        )
        for year, month in sorted(by_month, reverse=True)
    )


def _listings(
    papers: list[Paper], listing_dates: Mapping[str, dt.date | None]
) -> tuple[Group, ...]:
    """Listings oldest first, so the last is the latest issue."""
    by_source: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        for source in paper.sources:
            by_source[source].append(paper)
    names = sorted(by_source, key=lambda n: (listing_dates.get(n) or dt.date(1970, 1, 1), n))
    # `news 1.txt`, `news-1.txt` and `News_1.md` shared one page: suffixed in the order of
    # their names, which a listing's date does not change
    slugs = _unique_slugs(sorted(by_source), "listing", lambda name: name.rsplit(".", 1)[0])
    return tuple(
        Group(name, slugs[name], tuple(by_source[name]), listing_dates.get(name)) for name in names
    )
