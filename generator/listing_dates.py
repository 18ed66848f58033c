"""The date of each listing, resolved once and then pinned, so that every later build, on any
machine or fresh clone, files its papers under the same date.

A listing date written without a year ("Apr 30") takes, in order: `listing_years` in
digest.yaml; the year pinned in content/listing-dates.yaml; else the latest year putting the
date not after the day the file was first committed to the site's git history; else not
after its modification time. A listing that gives no date at all is dated by the same
reference (first commit, else modification time) as the day it was added. What is worked out
from a commit or a file time is pinned in content/listing-dates.yaml, to be committed with
the listings; an edited listing date is resolved and pinned again.

Tests: tests/test_ingest.py, tests/test_trusted_data.py
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_atomic
from .errors import Diagnostic, info, warning
from .listings.dates import year_not_after
from .models import Listing

PIN_FILE = Path("content") / "listing-dates.yaml"
_HEADER = (
    "# The dates of the listings in content/listings/, pinned by `digest build` the first time\n"
    "# each was resolved (see listing_years in digest.yaml). Commit this file with the\n"
    "# listings so every clone dates their papers alike; delete a line to resolve it again.\n"
)
_PIN = re.compile(r'^("(?:[^"\\]|\\.)*"):\s*(\d{4})-(\d\d)-(\d\d)\s*$')
_GIT_SECONDS = 10


@dataclass(slots=True)
class ListingDates:
    """Resolves the listings' dates of one ingest; `save()` writes the new pins."""

    root: Path
    years: dict[str, int]  # listing_years from digest.yaml
    pins: dict[str, dt.date] | None = None  # read when first needed
    commits: dict[str, dt.date] | None = None  # first commit of each listing, when needed
    changed: bool = False
    notes: list[Diagnostic] = field(default_factory=list)
    undated: set[str] = field(default_factory=set)  # listings dated by the day they came

    def resolve(self, listing: Listing, path: Path) -> dt.date | None:
        date = listing.date
        if date is None:
            return self._added(listing, path) if listing.entries else None
        if date.year is not None:
            return date.with_year(date.year)
        year = self.years.get(listing.name)
        if year is not None:
            return self._in_year(listing, year)
        pinned = self._pins().get(listing.name)
        if pinned is not None and (pinned.month, pinned.day) == (date.month, date.day):
            return pinned
        reference, source = self._reference(listing.name, path)
        resolved = date.with_year(year_not_after(date.month, date.day, reference))
        self._pin(listing.name, resolved)
        self.notes.append(
            info(
                listing.name,
                listing.date_line,
                f"the listing date has no year; took {resolved.year} from {source} "
                f"({reference}), pinned in {PIN_FILE.as_posix()}",
                f"set `listing_years: {{{listing.name}: YEAR}}` in digest.yaml if it is wrong",
            )
        )
        return resolved

    def save(self) -> list[Diagnostic]:
        """Write the pins if any is new; the notes of this ingest, and any error writing."""
        if not self.changed or self.pins is None:
            return self.notes
        lines = [
            f"{json.dumps(name)}: {date.isoformat()}" for name, date in sorted(self.pins.items())
        ]
        try:
            write_atomic(self.root / PIN_FILE, (_HEADER + "\n".join(lines) + "\n").encode())
        except OSError as exc:
            self.notes.append(
                warning(PIN_FILE.as_posix(), None, f"cannot pin the listing dates: {exc}")
            )
        return self.notes

    def _added(self, listing: Listing, path: Path) -> dt.date:
        """A listing with no date of its own: the day it was added to the site."""
        self.undated.add(listing.name)
        pinned = self._pins().get(listing.name)
        if pinned is not None:
            return pinned
        reference, source = self._reference(listing.name, path)
        self._pin(listing.name, reference)
        self.notes.append(
            info(
                listing.name,
                1,
                f"the listing gives no date; its papers are shown as added on {reference}, "
                f"{source}, with no publication date (pinned in {PIN_FILE.as_posix()})",
                "add a date line such as `Apr 30` at the top of the listing",
            )
        )
        return reference

    def _in_year(self, listing: Listing, year: int) -> dt.date:
        date = listing.date
        assert date is not None
        try:
            return date.with_year(year)
        except ValueError:  # Feb 29 in a year without one
            leap = year_not_after(date.month, date.day, dt.date(year, 12, 31))
            self.notes.append(
                warning(
                    listing.name,
                    listing.date_line,
                    f"the listing date Feb 29 does not exist in {year}; took {leap}",
                    "check the year given in `listing_years` in digest.yaml",
                )
            )
            return date.with_year(leap)

    def _pins(self) -> dict[str, dt.date]:
        if self.pins is None:
            self.pins = read_pins(self.root / PIN_FILE)
        return self.pins

    def _pin(self, name: str, date: dt.date) -> None:
        self._pins()[name] = date
        self.changed = True

    def _reference(self, name: str, path: Path) -> tuple[dt.date, str]:
        if self.commits is None:
            self.commits = first_commits(self.root)
        committed = self.commits.get(name)
        if committed is not None:
            return committed, "the day the file was first committed"
        modified = dt.date.fromtimestamp(path.stat().st_mtime)
        return modified, "the file's modification time (it is not committed to git yet)"


def read_pins(path: Path) -> dict[str, dt.date]:
    """The pinned dates; lines not in the written shape are ignored (the file is ours)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    pins: dict[str, dt.date] = {}
    for line in text.splitlines():
        found = _PIN.match(line)
        if found:
            try:
                pins[json.loads(found[1])] = dt.date(*map(int, found.groups()[1:]))
            except ValueError:
                continue
    return pins


def first_commits(root: Path) -> dict[str, dt.date]:
    """The day each file in content/listings/ was first committed (one `git log`); empty
    when the site is not in a git repository or git is missing."""
    command = [
        "git", "-C", str(root), "-c", "core.quotePath=false", "log", "--diff-filter=A",
        "--no-renames", "--format=%x00%cs", "--name-only", "--relative", "--", "content/listings",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=_GIT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    if done.returncode != 0:
        return {}
    out: dict[str, dt.date] = {}
    day: dt.date | None = None
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("\0"):
            try:
                day = dt.date.fromisoformat(line[1:].strip())
            except ValueError:
                day = None
        elif line.strip() and day is not None:
            out[Path(line.strip()).name] = day  # newest first: the oldest addition stays
    return out
