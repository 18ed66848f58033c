"""Decoding listing bytes, splitting lines, refusing what is not a listing, and the shape
of a line (capitals, sentences) the readers judge titles and abstracts by.

Tests: tests/test_listings.py, tests/test_realistic_listings.py
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata

from ..errors import Diagnostic, warning

_SENTENCE_END = re.compile(r"[.!?][\"')\]]?\s+[A-Z(\"]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_CHARS = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), 127]))
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "over",
        "the",
        "to",
        "via",
        "vs",
        "with",
        "without",
    ]
)


def decode(data: bytes, path: str) -> tuple[str, list[Diagnostic]]:
    """Bytes to text: UTF-8 (BOM dropped), UTF-16 with a BOM, else cp1252 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Windows Notepad's "Unicode"
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        text = data.decode("cp1252", errors="replace")
        note = warning(
            path,
            line,
            "the file is not valid UTF-8; it was read as Windows-1252 (Latin-1)",
            "save the listing as UTF-8 to be sure accented letters come out right",
        )
        return text, [note]


def looks_binary(text: str) -> bool:
    """A PDF or an image among the listings: control characters are over 5% of its start."""
    head = text[:8000]
    return len(_CONTROL.findall(head)) * 20 > len(head)


_MARKDOWN = re.compile(r"#{1,6}\s|```|~~~|>\s|\|.*\|$|!\[|\[[^\]]+\]\(")
_MAIL_HEADER = re.compile(r"(?:From|To|Cc|Subject|Date|Reply-To|Message-ID):\s", re.IGNORECASE)
_BIBTEX = re.compile(r"@[A-Za-z]+\s*[{(]")
_BIB_FIELD = re.compile(r"[A-Za-z_-]+\s*=\s*[{\"\d]")
_JSON_KEY = re.compile(r'\s*"[^"]+"\s*:')
_MARKUP = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>]|<\?xml|<head[\s>]|<body[\s>])", re.I)


def not_a_listing(text: str) -> str:
    """What the text is when it is plainly not a listing (a saved web page, a CSV table);
    "" otherwise."""
    if _MARKUP.match(text[:2000]):
        return "an HTML page"
    lines = [line.strip() for line in text[:50_000].split("\n") if line.strip()][:40]
    if lines and sum(1 for line in lines if line.startswith("<")) * 2 >= len(lines):
        return "HTML or XML markup"
    if sum(1 for line in lines[:8] if _MAIL_HEADER.match(line)) >= 2:
        return "an e-mail message"
    if lines and lines[0][0] in "{[" and _is_json(text):
        return "a JSON file"
    if len(lines) >= 2 and _is_table(lines):
        return "a CSV table"
    entries = sum(1 for line in lines if _BIBTEX.match(line))
    if entries and sum(1 for line in lines if _BIB_FIELD.match(line)) >= 2 * entries:
        return "a BibTeX file"
    structure = sum(1 for line in lines if _MARKDOWN.match(line))
    if structure >= 3 and (lines[0].startswith("#") or structure * 5 >= len(lines)):
        return "a Markdown document"
    return ""


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        lines = text[:50_000].split("\n")
        return sum(1 for line in lines if _JSON_KEY.match(line)) * 3 >= len(lines)
    return True


def _is_table(lines: list[str]) -> bool:
    """Rows of comma- (or tab-) separated fields, as many in most rows as in the header."""
    for sep in (",", "\t", ";"):
        if lines[0].count(sep) < 2:
            continue
        rows = list(csv.reader(lines, delimiter=sep))
        width = len(rows[0])
        if width >= 3 and sum(1 for row in rows if len(row) == width) * 5 >= len(rows) * 4:
            return True
    return False


def split_lines(text: str) -> list[str]:
    """Lines without their endings (LF, CRLF or CR), trailing spaces and control characters."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any(c in text for c in _CONTROL_CHARS):  # rare: a look for each is 10x quicker
        text = _CONTROL.sub("", text)
    text = text.replace("\u00a0", " ")  # once for the file, not per line
    return [line.strip() for line in text.split("\n")]


def sentence_count(line: str) -> int:
    return len(_SENTENCE_END.findall(line)) + 1


def capitalised_ratio(line: str) -> float:
    """How much of a line is Title Case: share of content words starting with a capital."""
    words = capitals = 0
    for word in _WORD.findall(line):
        if word in _SMALL_WORDS or (word[0].isupper() and word.lower() in _SMALL_WORDS):
            continue
        words += 1
        if word[0].isupper():
            capitals += 1
    return capitals / words if words else 0.0


def looks_like_abstract(line: str) -> bool:
    """Prose rather than a heading: long, several sentences, or ending like a sentence."""
    if len(line) > 320:
        return True
    if sentence_count(line) >= 2 and len(line) > 80:
        return True
    return line.endswith(".") and len(line) > 150 and capitalised_ratio(line) < 0.5


def fold(text: str) -> str:
    """A key for comparing titles: accents, case, punctuation and spacing ignored.

    Letters of every script count: two titles in Chinese must not both fold to "" and so
    become one paper.
    """
    if text.isascii():
        return " ".join(_ASCII_WORD.findall(text.lower()))
    plain = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_LETTERS.findall(plain.casefold()))


def fold_prefix(text: str, size: int) -> str:
    """`fold(text)[:size]`, folding only as much of a long abstract as that takes."""
    end = 2 * size
    while end < len(text):
        folded = fold(text[:end])
        if folded.rfind(" ") >= size:  # the last word may be cut; all before it is final
            return folded[:size]
        end *= 2
    return fold(text)[:size]
