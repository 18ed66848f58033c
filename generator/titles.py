"""A short readable title for a paper whose listing gives only its abstract.

Leads with the method the abstract names ("we propose L2COcc, a lightweight ... framework"
gives "L2COcc: a lightweight camera-centric SSC framework"); otherwise the sentence that
says what the paper does, trimmed.

Tests: tests/test_ingest.py, tests/test_listings.py
"""

from __future__ import annotations

import re

MAX_LENGTH = 100
_READ = 10_000  # the claim is near the start; a 5 MB "abstract" took seconds to read whole

_LATEX_CMD = re.compile(r"\\(?:textbf|textit|emph|texttt|mathrm|text)\{([^{}]*)\}")
_HREF = re.compile(r"\\href\{[^{}]*\}\{([^{}]*)\}")
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z\\(])")
_VERBS = (
    r"(?:we|and|this (?:paper|work|study)|the authors?)\s+(?:\w+ly\s+)?"
    r"(?:propose[sd]?|introduce[sd]?|present[sd]?|design(?:ed|s)?|develop(?:ed|s)?)\s+"
)
_CLAIM = re.compile(_VERBS, re.IGNORECASE)
_LEAD = re.compile(
    r"^(?:in this (?:paper|work|study),?\s*)?(?:we|this (?:paper|work|study))\s+(?:\w+ly\s+)?"
    r"(?:\w+s?\s+)?(?:that\s+|how\s+)?",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:(?:a|an|the)\s+)?(?:(?:novel|new|simple|general)\s+)*", re.I)
_NAME = re.compile(r"^([A-Za-z0-9][\w.+-]*(?:[A-Z0-9][\w.+-]*))(?=[\s,(:;]|$)")
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,15})\)")
_CLAUSE_END = re.compile(r"[,;:(]|\s+(?:that|which|who|where|whereby|including)\s+|\s+-+\s+")
# "we demonstrate how such two-stage dynamics occur" must not give a title opening "Such".
_DEMONSTRATIVE = re.compile(r"^(?:such|these|those)\s+(?=\S)", re.IGNORECASE)
_OBJECT_END = re.compile(r",\s+(?=\w+ing\b|which\b|that\b|where\b)|;|\s+(?:that|which)\s+")


def infer_title(abstract: str) -> str:
    """A title under ~100 characters from an abstract; never empty for a non-empty abstract."""
    text = _unlatex(abstract[:_READ])
    sentences = [s.strip() for s in _SENTENCES.split(text) if s.strip()]
    claims = [s[m.end() :] for s in sentences if (m := _CLAIM.search(s))]
    for claim in claims:
        title = _from_claim(claim)
        if title:
            return _shorten(title)
    objects = [_object(claim) for claim in claims]
    title = next((o for o in objects if len(o) > 15), "") or _fallback(sentences)
    return _shorten(title or text.strip()) or "Untitled paper"


def _object(claim: str) -> str:
    rest = _ARTICLE.sub("", claim.rstrip(". "))
    cut = _OBJECT_END.search(rest)
    rest = (rest[: cut.start()] if cut else rest).strip(" ,.;")
    return rest[:1].upper() + rest[1:]


def _unlatex(text: str) -> str:
    text = _HREF.sub(r"\1", text)
    while _LATEX_CMD.search(text):
        text = _LATEX_CMD.sub(r"\1", text)
    return " ".join(text.split())


def _from_claim(rest: str) -> str | None:
    rest = _ARTICLE.sub("", rest.rstrip(". "))
    named = _NAME.match(rest)
    if named and _is_name(named[1]):
        return _named(named[1], rest[named.end() :])
    acronym = _ACRONYM.search(rest)
    if acronym and acronym.start() < 160:
        before = rest[: acronym.start()].strip()
        after = _first_clause(rest[acronym.end() :])
        return f"{acronym[1]}: {_join(before, after)}"
    return None


def _named(name: str, rest: str) -> str:
    rest = rest.strip()
    expansion = re.match(r"^\(([^()]{8,120})\)", rest)
    if expansion:
        return f"{name}: {expansion[1]}"
    rest = re.sub(r"^(?:,\s*)?(?:i\.e\.,?\s*|namely\s+|which\s+|that\s+|to\s+)?", "", rest)
    rest = _ARTICLE.sub(lambda m: m[0] if m[0].strip().lower() in ("a", "an") else "", rest)
    description = _first_clause(rest)
    return f"{name}: {description}" if description else name


def _is_name(token: str) -> bool:
    """Coined names mix cases or digits (L2COcc, RecBench, LoRA-Null), unlike plain words."""
    inner = token[1:]
    return any(c.isupper() for c in inner) or any(c.isdigit() for c in token)


def _first_clause(text: str) -> str:
    cut = _CLAUSE_END.search(text)
    clause = text[: cut.start()] if cut else text
    return clause.strip(" ,.;")


def _join(before: str, after: str) -> str:
    return " ".join(part for part in (before, after) if part)


def _fallback(sentences: list[str]) -> str:
    for sentence in sentences:
        if re.search(r"\b(?:we|this (?:paper|work|study))\b", sentence, re.IGNORECASE):
            body = _LEAD.sub(
                "",
                sentence.split(", ", 1)[-1]
                if sentence.lower().startswith(("in this", "here"))
                else sentence,
            )
            body = _first_clause(_DEMONSTRATIVE.sub("", body.rstrip(". ")))
            if len(body) > 15:
                return body[0].upper() + body[1:]
    return _first_clause(sentences[0]) if sentences else ""


def _shorten(title: str) -> str:
    title = re.sub(r"\s+for (?:it|them|this|that)$", "", " ".join(title.split()).strip(" ,.;:"))
    if len(title) <= MAX_LENGTH:
        return title
    cut = title[: MAX_LENGTH - 1].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + "…"
