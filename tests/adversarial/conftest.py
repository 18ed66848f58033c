"""Adversarial suite: hostile listings, injected markup, broken records, killed builds, a
hammered dev server and deploys that must not leak. Every test adds to one tally, written to
test-artifacts/adversarial-report.json and printed at the end of the run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from hostile import REPO, REPORT, TALLY, Tally


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    yield TALLY
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(asdict(TALLY), indent=2) + "\n", encoding="utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and getattr(report, "wasxfail", None) and report.skipped:
        TALLY.known_bugs.append(item.nodeid.split("::", 1)[-1])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.inputs_tried:
        return
    counts = {k: v for k, v in asdict(TALLY).items() if k not in ("details", "known_bugs")}
    counts["known bugs (xfail, outside this suite's files)"] = len(TALLY.known_bugs)
    terminalreporter.write_sep("-", "adversarial report")
    for key, value in counts.items():
        terminalreporter.write_line(f"{key.replace('_', ' ')}: {value}")
    for line in TALLY.details[:20]:
        terminalreporter.write_line(f"  {line}")
    terminalreporter.write_line(f"(written to {REPORT.relative_to(REPO)})")
