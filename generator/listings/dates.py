"""Month-day dates as listings write them ("Apr 30", "Jun 4, 2024", damaged "Feb 17 2").

Tests: tests/test_listings.py
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..models import PartialDate

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_name) if name})
_MONTHS["sept"] = 9

# `rest` may hold damage (a cut-off year: "Feb 17 2") but no letters: "Sept 11 Attacks" is a
# title, not a damaged date.
_DATE = re.compile(
    r"^(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?!\d)"
    r"(?:(?:,\s*|\s+)(?P<year>\d{4})(?!\d))?(?P<rest>[^A-Za-z]*)$"
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    date: PartialDate
    rest: str  # whatever followed the date and was not understood ("" when clean)


def match_date(line: str) -> DateMatch | None:
    """A date if the line starts with one; `rest` carries trailing damage such as " 2"."""
    found = _DATE.match(line.strip())
    if not found:
        return None
    month = _MONTHS.get(found["month"].lower())
    if month is None:
        return None
    day = int(found["day"])
    year = int(found["year"]) if found["year"] else None
    rest = found["rest"].strip()
    if len(rest) > 12 or not _valid(year or 2000, month, day):
        return None
    return DateMatch(PartialDate(month, day, year), rest)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2999


def year_not_after(month: int, day: int, limit: dt.date) -> int:
    """The year putting month-day at the latest date not after `limit` (Feb 29 aware).

    Serves both rules of DESIGN.md: a listing date against the file's time, and a paper
    date against its listing's date.
    """
    year = limit.year
    while True:
        try:
            if dt.date(year, month, day) <= limit:
                return year
        except ValueError:
            pass
        year -= 1
