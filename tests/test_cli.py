"""The command line from outside: exit codes (0 ok, 1 failed, 2 usage), diagnostics on stderr
with `file:line` and never a traceback, --strict, and --help for every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

COMMANDS = ("new", "build", "ingest", "serve", "deploy", "check")

LISTING = """May 14

Tidal Attention: Long-Context Transformers with Periodic Memory Refresh

Transformers that read very long documents spend most of their attention budget on tokens \
that no longer matter. We keep a small memory of summary tokens and refresh it at a fixed \
period, so each step costs as much as the memory, not the whole context.
"""


def make_site(
    root: Path, config: str = "title: Test digest\n", listings: dict[str, str] | None = None
) -> Path:
    (root / "content" / "listings").mkdir(parents=True)
    (root / "digest.yaml").write_text(config, encoding="utf-8")
    for name, text in (listings or {"sample.txt": LISTING}).items():
        (root / "content" / "listings" / name).write_text(text, encoding="utf-8")
    return root


def digest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process, for the exit status the shell sees."""
    return subprocess.run(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def build(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["build", "-c", str(root / "digest.yaml"), *args])
    return status, capsys.readouterr().err


# -- exit status -------------------------------------------------------------


def test_a_good_build_exits_0(tmp_path: Path) -> None:
    make_site(tmp_path)
    run = digest(tmp_path, "build")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("built 1 paper,")
    assert (tmp_path / "site" / "index.html").is_file()
    assert "Traceback" not in run.stderr


def test_an_invalid_config_exits_1_naming_its_line(tmp_path: Path) -> None:
    make_site(tmp_path, "title: Test digest\npage_size: -3\n")
    run = digest(tmp_path, "build")
    assert run.returncode == 1
    assert "error: digest.yaml:2: `page_size` must be a positive whole number" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "site").exists()


def test_broken_yaml_exits_1_naming_a_line(tmp_path: Path) -> None:
    make_site(tmp_path, "title: Test digest\nbase_url: [http://x/\n")
    run = digest(tmp_path, "build")
    assert run.returncode == 1
    assert "error: digest.yaml:" in run.stderr and "invalid YAML" in run.stderr
    line = run.stderr.split("digest.yaml:", 1)[1].split(":", 1)[0]
    assert line.isdigit()
    assert "Traceback" not in run.stderr


def test_every_config_error_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_site(tmp_path, "title: Test digest\npage_size: -3\nsearch: maybe\n")
    status, err = build(tmp_path, capsys=capsys)
    assert status == 1
    assert "digest.yaml:2:" in err
    assert "digest.yaml:3:" in err


def test_a_missing_config_exits_1_with_a_hint(tmp_path: Path) -> None:
    run = digest(tmp_path, "build")
    assert run.returncode == 1
    assert "digest.yaml" in run.stderr and "digest new" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "args",
    [("bogus",), ("build", "--bogus"), ("build", "--jobs", "many"), ("new",), ("new", "a", "b")],
    ids=["unknown-command", "unknown-option", "bad-value", "missing-dir", "extra-arg"],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    run = digest(tmp_path, *args)
    assert run.returncode == 2
    assert "usage: digest" in run.stderr
    assert "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_command_shows_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: digest" in capsys.readouterr().out


# -- --strict ----------------------------------------------------------------


def test_strict_fails_on_a_config_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_site(tmp_path, "title: Test digest\ntitel: typo\n")
    status, err = build(tmp_path, capsys=capsys)
    assert status == 0
    assert "warning: digest.yaml:2: unknown key `titel`" in err
    status, err = build(tmp_path, "--strict", capsys=capsys)
    assert status == 1
    assert "warning: digest.yaml:2:" in err
    assert "--strict" in err


def test_strict_fails_on_a_listing_warning(tmp_path: Path) -> None:
    make_site(tmp_path, listings={"sample.txt": LISTING, "empty.txt": ""})
    assert digest(tmp_path, "build").returncode == 0
    run = digest(tmp_path, "build", "--strict")
    assert run.returncode == 1
    assert "warning: empty.txt:1: no papers found" in run.stderr
    assert "Traceback" not in run.stderr


def test_strict_passes_a_clean_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path)
    status, err = build(tmp_path, "--strict", capsys=capsys)
    assert status == 0, err
    assert "warning" not in err


def test_strict_ingest_fails_on_a_listing_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_site(tmp_path, listings={"sample.txt": LISTING, "empty.txt": ""})
    config = str(tmp_path / "digest.yaml")
    assert main(["ingest", "-c", config, "--dry-run"]) == 0
    assert main(["ingest", "-c", config, "--dry-run", "--strict"]) == 1
    assert "empty.txt:1" in capsys.readouterr().err


# -- help --------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: digest {command}")
    assert ("--config" in out) == (command != "new")


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_help_through_the_entry_point(tmp_path: Path) -> None:
    run = digest(tmp_path, "build", "--help")
    assert run.returncode == 0
    assert "--strict" in run.stdout
