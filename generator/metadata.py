"""Machine-readable descriptions of a paper: JSON-LD ScholarlyArticle and a BibTeX entry.

Tests: tests/test_find_and_cite.py, tests/test_exports.py
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from .config import Config
from .markup import math_segments, plain_text
from .models import Paper


def json_ld(paper: Paper, config: Config, abstract: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": plain_text(paper.title)[:110],
        "name": plain_text(paper.title),
        "abstract": abstract,
        "url": config.base_url.rstrip("/") + "/" + paper.url,
        "about": paper.topic,
        "keywords": list(paper.tags),
    }
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    if paper.affiliation:
        data["sourceOrganization"] = {"@type": "Organization", "name": paper.affiliation}
    if paper.links:
        data["sameAs"] = list(paper.links)
    return data


def bibtex(paper: Paper, config: Config, keys: Mapping[str, str] = MappingProxyType({})) -> str:
    """A BibTeX @misc entry that compiles: the paper's cite key, the title with its math kept
    and its capitals protected, a year only from a date the listings gave, the paper's page
    on the site, and where it was listed. `keys`: its site's cite keys (Site.cite_keys)."""
    fields = [("title", "{{" + bib_title(paper.title) + "}}")]
    date = None if paper.added else paper.published or paper.listed
    if date:
        fields.append(("year", f"{{{date.year}}}"))
        fields.append(("month", date.strftime("%b").lower()))  # the macro: jan, feb, ...
    fields.append(("url", "{" + _escape_url(absolute_url(config, paper.url)) + "}"))
    fields.append(("note", "{" + _bib_text(_note(paper, config)) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    key = keys.get(paper.slug) or cite_base(paper.title, paper.date.year)
    return f"@misc{{{key},\n{body}\n}}\n"


def _note(paper: Paper, config: Config) -> str:
    where = f"{'Added to' if paper.added else 'Listed in'} {config.title}"
    if paper.listed:
        where += f" on {paper.listed.isoformat()}"
    if paper.added:
        where += "; publication date unknown"
    if paper.affiliation:
        where += f"; {paper.affiliation}"
    return where


def absolute_url(config: Config, path: str) -> str:
    return config.base_url.rstrip("/") + "/" + path


# -- cite keys -----------------------------------------------------------------------------

_STOP_WORDS = frozenset(
    """a an the on of for in to and or with via towards toward from by is are do does can
    what how why when where which at as its into beyond not no""".split()  # noqa: SIM905
)
_KEY_WORD = re.compile(r"[a-z0-9]+")


def cite_base(title: str, year: int) -> str:
    """First significant title word (ASCII, lowercase) and the year of the paper's date."""
    return f"{_first_word(title)}{year}"


@lru_cache(maxsize=1 << 17)
def _first_word(title: str) -> str:
    if not title.isascii() or "$" in title or "\\" in title or "{" in title:
        title = unicodedata.normalize("NFKD", plain_text(title)).encode("ascii", "ignore").decode()
    first = ""
    for raw in title.lower().split():
        word = "".join(_KEY_WORD.findall(raw))
        if word and word not in _STOP_WORDS:
            return word[:24]
        first = first or word
    return first[:24] or "paper"


def cite_keys(papers: Iterable[Paper], memo: CiteMemo | None = None) -> dict[str, str]:
    """Each paper's cite key, by slug: its base key (`cite_base`), and where other papers
    share it `a`, `b`, ... after the first, in the order the papers were first listed (then
    by slug), so a key once made stays unless an earlier paper of that word and year comes.
    Past `z` the word takes a number (`sparse22025a`): a key stays `word`+year+one letter.
    With `memo` (a session's), only the groups of papers that changed are keyed again."""
    if memo is None:
        bases = {p.slug: (p, _base(p)) for p in papers}
        return _keyed(bases, set(), {})
    bases, changed = {}, set()
    known = memo.bases
    for paper in papers:
        found = known.get(paper.slug)
        if found is None or found[0] is not paper:
            base = _base(paper)
            changed.add(base)
            if found is not None:
                changed.add(found[1])
            found = (paper, base)
        bases[paper.slug] = found
    changed.update(known[slug][1] for slug in known.keys() - bases.keys())
    if changed or not known:
        keys = {s: k for s, k in memo.keys.items() if s in bases and bases[s][1] not in changed}
        memo.keys = _keyed(bases, changed, keys) if known else _keyed(bases, set(), {})
    memo.bases = bases
    return memo.keys


@dataclass(slots=True)
class CiteMemo:
    """The last build's cite keys and each paper's base key, by slug (`cite_keys`)."""

    bases: dict[str, tuple[Paper, str]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def _base(paper: Paper) -> str:
    return f"{_first_word(paper.title)}{paper.date.year}"


def _keyed(
    bases: dict[str, tuple[Paper, str]], only: set[str], keys: dict[str, str]
) -> dict[str, str]:
    """`keys` with the papers of the groups `only` (every group when empty) keyed anew."""
    groups: dict[str, list[Paper]] = {}
    for paper, base in bases.values():
        if not only or base in only:
            groups.setdefault(base, []).append(paper)
    crowded = []
    for base, group in groups.items():
        if len(group) == 1:
            keys[group[0].slug] = base
        else:
            group.sort(key=lambda p: (p.listed or p.date, p.slug))
            if len(group) > 27:
                crowded.append(group)
            for n, paper in enumerate(group[:27]):
                keys[paper.slug] = base + _suffix(n)
    for group in crowded:
        _number(group, keys)
    return keys


def _number(group: list[Paper], keys: dict[str, str]) -> None:
    """Keys past a group's 27th paper: the word numbered 2, 3, ... and a letter each,
    skipping any key another paper has."""
    taken = set(keys.values())
    word, year = _first_word(group[0].title), group[0].date.year
    n, number = 0, 2
    for paper in group[27:]:
        while True:
            key = f"{word}{number}{year}{_suffix(n % 26 + 1)}"
            n += 1
            number += n % 26 == 0
            if key not in taken:
                break
        keys[paper.slug] = key
        taken.add(key)


def _suffix(n: int) -> str:
    return chr(ord("a") + n - 1) if n else ""


# -- text --------------------------------------------------------------------------------------

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIALS = re.compile("|".join(re.escape(c) for c in _SPECIAL))
# Math kept as written only when it holds nothing but symbols and these commands: a listing
# is untrusted, and \input, \write or \catcode would run when the entry is typeset.
_MATH_OK = re.compile(r"[A-Za-z0-9\s+\-*/=^_{}()\[\],.:;<>|!'\\]*")
_MATH_COMMANDS = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu
    nu xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi
    Sigma Phi Psi Omega mathcal mathbf mathrm mathbb mathit mathsf boldsymbol text textrm
    frac sqrt cdot times le ge leq geq neq approx sim simeq infty sum prod int log exp ln
    sin cos min max arg argmin argmax tilde hat bar vec dot ell partial nabla in notin to
    rightarrow leftarrow mapsto pm mp circ ldots cdots dots mid star ast top prime langle
    rangle lvert rvert left right big Big""".split()  # noqa: SIM905
)


def bib_title(title: str) -> str:
    """A title for a BibTeX field: text escaped, LaTeX formatting unwrapped, math kept."""
    parts = (
        _title_part(segment, is_math) for segment, is_math in math_segments(_clean_title(title))
    )
    return " ".join("".join(parts).split())


def _title_part(segment: str, is_math: bool) -> str:
    if not is_math:
        return _escape(segment)
    return f"${segment}$" if _safe_math(segment) else _escape(f"${segment}$")


def _clean_title(title: str) -> str:
    """LaTeX text formatting unwrapped (\\textbf{x} is x); math left as written."""
    return "".join(
        f"${segment}$" if is_math else _plain(segment) for segment, is_math in math_segments(title)
    )


def _plain(segment: str) -> str:
    """plain_text, keeping the space around the segment that joins it to the math."""
    lead = " " if segment[:1].isspace() else ""
    trail = " " if segment[-1:].isspace() else ""
    return f"{lead}{plain_text(segment)}{trail}"


def _safe_math(math: str) -> bool:
    if not math.strip() or not _MATH_OK.fullmatch(math) or not _balanced(math):
        return False
    return all(name in _MATH_COMMANDS for name in re.findall(r"\\([A-Za-z]+)", math)) and not (
        re.search(r"\\[^A-Za-z{}\s,;!]", math)
    )


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _bib_text(text: str) -> str:
    return _escape(" ".join(text.split()))


def _escape(text: str) -> str:
    return _SPECIALS.sub(lambda m: _SPECIAL[m[0]], text)


def _escape_url(url: str) -> str:
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D").replace("%", r"\%")
