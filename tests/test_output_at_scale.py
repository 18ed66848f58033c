"""A 10,000-paper build with thousands of warnings prints a screenful, not thousands of
lines: one line per file and kind, each naming a real `file:line`. (About 20 s: the bars'
corpus of tests/perf, without the search index.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "perf"))
from corpus import make_site

MOST_LINES = 40
LOCATED = re.compile(r"^(warning|note|error): ([^:]+):(\d+): ")


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 papers whose every date is damaged (`Jan 11 2`: a warning each), with a typo
    and a missing listing in digest.yaml."""
    root = make_site(tmp_path_factory.mktemp("scale") / "site", 10_000)
    for listing in (root / "content" / "listings").iterdir():
        text = listing.read_text(encoding="utf-8")
        listing.write_text(re.sub(r"(\w{3} \d+), (\d)\d{3}\n", r"\1 \2\n", text))
    config = (root / "digest.yaml").read_text(encoding="utf-8")
    config = config.replace("listing_years:\n", "listing_years:\n  00000.tx: 2020\n", 1)
    (root / "digest.yaml").write_text(config + "search: false\npage_sise: 20\n")
    return root


def digest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", "build", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_10000_paper_build_prints_at_most_40_lines(damaged: Path) -> None:
    run = digest(damaged)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = (run.stderr + run.stdout).splitlines()
    assert len(lines) <= MOST_LINES, "\n".join(lines)
    assert lines[-1].startswith("built 10000 papers,") and "warnings" in lines[-1]
    warned = [line for line in lines if line.startswith("warning: ")]
    assert any("[and 99 more like it in this file" in line for line in warned)
    assert any(line.startswith("warning: digest.yaml:") for line in warned)
    assert lines[-2].startswith("... and ") and "-v shows every one" in lines[-2]
    for line in warned:
        path, number = LOCATED.match(line).group(2, 3)  # type: ignore[union-attr]
        real = damaged / path if path == "digest.yaml" else damaged / "content/listings" / path
        text = real.read_text(encoding="utf-8").splitlines()
        named = text[int(number) - 1]
        assert re.fullmatch(r"\w{3} \d+ \d", named) or path == "digest.yaml", (line, named)


def test_verbose_shows_every_warning(damaged: Path) -> None:
    run = digest(damaged, "-v")
    assert run.returncode == 0
    assert run.stderr.count("damaged date") == 10_000
    assert "stages: ingest" in run.stderr
