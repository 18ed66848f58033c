"""`digest ingest`: what it prints, what it writes, and its exit codes (0 ok, 1 failed,
2 usage), never a traceback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

ABSTRACT = "We study {0}. It matters for {0} at scale, as our experiments on six benchmarks show."


@pytest.fixture
def site(tmp_path, new_site, listing_mtime):
    root = new_site(tmp_path / "site", listings=None)
    path = root / "content/listings/a.txt"
    path.write_text(
        "Apr 30\n\n"
        + "".join(f"{t}\n\n{ABSTRACT.format(t.lower())}\n\n" for t in ("Paper One", "Paper Two"))
    )
    listing_mtime(path, dt.date(2025, 5, 2))
    return root


def ingest(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["ingest", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def papers(root: Path) -> list[str]:
    folder = root / "content/papers"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_ingest_says_what_changed(site, capsys):
    code, out, err = ingest(capsys, "-c", str(site / "digest.yaml"))
    assert code == 0
    assert "new      content/papers/paper-one.md" in out
    assert "2 papers: 2 new, 0 updated, 0 warnings" in out
    assert "a.txt:1" in err and "2025" in err  # the inferred year is reported
    code, out, _ = ingest(capsys, "-c", str(site / "digest.yaml"))
    assert code == 0 and "2 papers: 0 new, 0 updated" in out


def test_dry_run_writes_nothing(site, capsys):
    code, out, _ = ingest(capsys, "--dry-run", "-c", str(site / "digest.yaml"))
    assert code == 0
    assert "new      content/papers/paper-one.md" in out and "dry run" in out
    assert papers(site) == []


def test_strict_fails_on_warnings(site, capsys):
    (site / "content/listings/b.txt").write_text("Apr 30\n\nA Title Without Abstract\n")
    code, _, err = ingest(capsys, "-c", str(site / "digest.yaml"))
    assert code == 0 and "warning: b.txt:3:" in err
    code, _, err = ingest(capsys, "--strict", "-c", str(site / "digest.yaml"))
    assert code == 1 and "warning: b.txt:3:" in err and "--strict" in err


def test_strict_passes_without_warnings(site, capsys):
    code, _, _ = ingest(capsys, "--strict", "-c", str(site / "digest.yaml"))
    assert code == 0


def test_seed_warnings_fail_strict_only(tmp_path, new_site, capsys):
    root = new_site(tmp_path / "seeds")
    code, out, err = ingest(capsys, "--dry-run", "-c", str(root / "digest.yaml"))
    assert code == 0 and "171 papers: 171 new" in out
    # two damaged dates: one line naming the first, and each with -v
    assert err.count("warning: 002_541317f0a3fafbd0.txt:") == 1
    assert "[and 1 more like it in this file; -v shows each]" in err
    code, out, err = ingest(capsys, "--dry-run", "-v", "-c", str(root / "digest.yaml"))
    assert err.count("warning: 002_541317f0a3fafbd0.txt:") == 2
    code, _, _ = ingest(capsys, "--dry-run", "--strict", "-c", str(root / "digest.yaml"))
    assert code == 1


def test_named_files(site, capsys):
    other = site / "elsewhere.txt"
    other.write_text(f"Apr 30\n\nElsewhere Paper\n\n{ABSTRACT.format('x')}\n")
    code, out, _ = ingest(capsys, "-c", str(site / "digest.yaml"), str(other))
    assert code == 0 and "1 listing files, 1 papers: 1 new" in out
    assert papers(site) == ["elsewhere-paper.md"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "digest.yaml: no configuration file"),
        ("title: [unclosed\n", "invalid YAML"),
        ("- a list\n", "digest.yaml:1: the configuration must be a mapping"),
        ("listing_years: {a.txt: soon}\n", "digest.yaml:1: listing_years"),
    ],
)
def test_bad_configuration_exits_1(tmp_path, capsys, config, message):
    path = tmp_path / "digest.yaml"
    if config is not None:
        path.write_text(config)
    code, _, err = ingest(capsys, "-c", str(path))
    assert code == 1 and message in err


def test_bad_input_exits_1_without_traceback(site, capsys):
    (site / "content/papers").mkdir()
    (site / "content/papers/broken.md").write_text("---\ntitle: [x\n---\n")
    (site / "content/listings/binary.txt").write_bytes(bytes(range(256)) * 50)
    code, out, err = ingest(capsys, "-c", str(site / "digest.yaml"), "missing.txt")
    assert code == 1
    assert "error: missing.txt: cannot read this listing" in err
    code, out, err = ingest(capsys, "-c", str(site / "digest.yaml"))
    assert code == 1
    assert "error: content/papers/broken.md:2:8:" in err  # where the list opened
    assert "warning: binary.txt:1: not a listing (not a text file)" in err
    assert "papers: 2 new" in out


def test_usage_errors_exit_2(site, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["ingest", "--no-such-option"])
    assert exited.value.code == 2
    assert main([]) == 2
    capsys.readouterr()


def test_subprocess_run(site):
    (site / "content/listings/bad.txt").write_bytes(
        b"Apr 30\r\n\r\nMod\xe8les L\xe9gers\r\n\r\n" + ABSTRACT.format("x").encode() + b"\r\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "generator.cli", "ingest", "--strict", "-c", "digest.yaml"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "warning: bad.txt:3: the file is not valid UTF-8" in run.stderr
    assert "3 new" in run.stdout
    assert papers(site) == ["modeles-legers.md", "paper-one.md", "paper-two.md"]
