"""What the command line shows: --version, usage errors in two lines, the progress display
on a terminal and plain stage lines elsewhere, warnings grouped by file and kind, -q and
-v, drafts, and serve's line after each rebuild."""

from __future__ import annotations

import argparse
import io
import os
import pty
import select
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from test_cli import LISTING, digest, make_site

from generator.build import build_site
from generator.cli import main
from generator.console import (
    MOST_GROUPS,
    QUIET,
    VERBOSE,
    diagnostic_lines,
    interactive,
    rebuild_lines,
)
from generator.deploy import Source, commit_message
from generator.errors import error, info, warning
from generator.records import parse_record

# -- --version and usage errors -------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_exits_0_with_the_installed_version(tmp_path: Path, flag: str) -> None:
    run = digest(tmp_path, flag)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"digest {version('paper-digest-ssg')}"


@pytest.mark.parametrize(
    ("args", "wrong"),
    [
        (("serve", "--port", "99999"), "argument --port: 99999 is not a port"),
        (("serve", "--port", "-1"), "argument --port: -1 is not a port"),
        (("serve", "--port", "abc"), "argument --port: 'abc' is not a port number"),
        (("build", "--bogus"), "unrecognized arguments: --bogus"),
        (("build", "--jobs", "-2"), "argument --jobs"),
        (("build", "-q", "-v"), "not allowed with argument"),
    ],
    ids=["port-too-big", "port-negative", "port-not-a-number", "unknown-option", "jobs", "q-v"],
)
def test_a_usage_error_is_the_usage_and_one_line(
    tmp_path: Path, args: tuple[str, ...], wrong: str
) -> None:
    run = digest(tmp_path, *args)
    assert run.returncode == 2
    usage, what = run.stderr.strip().splitlines()
    assert usage.startswith(f"usage: digest {args[0]} ")
    assert what.startswith(f"digest {args[0]}: error: ") and wrong in what, what
    assert list(tmp_path.iterdir()) == []


def test_every_option_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from generator.cli import _parser

    parser = _parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in [("digest", parser), *commands.items()]:
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue  # each command's own help is its line in the list
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"


# -- progress: a display on a terminal, stage lines elsewhere ----------------------------


def run_in_terminal(cwd: Path, *args: str, env: dict[str, str]) -> str:
    """`digest ARGS` with a pseudo-terminal for its stdin, stdout and stderr."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator.cli", *args],
        cwd=cwd,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        out += data
    proc.wait(30)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode(errors="replace")


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TERM"] = "xterm"
    env.update(changes)
    return env


def test_a_terminal_shows_a_progress_display(tmp_path: Path) -> None:
    make_site(tmp_path)
    out = run_in_terminal(tmp_path, "build", env=_env())
    assert "\x1b[" in out  # drawn with terminal controls
    assert "reading listings and records" in out  # the stage under way
    assert " ingest: read the listings" not in out  # no plain stage lines beside it
    assert out.rstrip().splitlines()[-1].startswith("built 1 paper,")


def test_ci_on_a_terminal_shows_stage_lines_and_no_display(tmp_path: Path) -> None:
    make_site(tmp_path)
    out = run_in_terminal(tmp_path, "build", env=_env(CI="true"))
    assert "\x1b[" not in out and "reading listings and records" not in out
    assert " ingest: read the listings and records" in out
    assert out.rstrip().splitlines()[-1].startswith("built 1 paper,")


def test_a_pipe_shows_stage_lines_and_no_display(tmp_path: Path) -> None:
    make_site(tmp_path)
    run = digest(tmp_path, "build")
    assert run.returncode == 0, run.stderr
    assert "\x1b[" not in run.stderr + run.stdout
    stages = [line.split(":")[0].strip() for line in run.stderr.splitlines()]
    assert stages[:5] == ["ingest", "model", "render", "write", "search"]
    assert "(0." not in run.stderr  # the times are for -v


def test_quiet_prints_nothing_on_success_and_verbose_times_the_stages(tmp_path: Path) -> None:
    make_site(tmp_path)
    quiet = digest(tmp_path, "build", "-q")
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""
    loud = digest(tmp_path, "build", "-v", "--clean")
    assert loud.returncode == 0
    assert "stages: ingest " in loud.stderr and " render: drew 13 pages (0." in loud.stderr
    assert loud.stdout.strip().splitlines()[-1].startswith("built 1 paper,")


def test_interactive_only_on_a_terminal_outside_ci() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert interactive(Tty(), {})
    assert not interactive(Tty(), {"CI": "true"})
    assert not interactive(Tty(), {"TERM": "dumb"})
    assert interactive(Tty(), {"CI": "false"})
    assert not interactive(io.StringIO(), {})


# -- warnings grouped ---------------------------------------------------------------------


def test_alike_warnings_of_a_file_are_one_line_naming_the_first() -> None:
    found = [warning("a.txt", n, f"damaged date 'Feb {n} 2': kept month and day") for n in (9, 3)]
    found += [warning("b.txt", 5, "damaged date 'Mar 1 x': kept month and day")]
    found += [warning("a.txt", 7, "unknown field `x` is kept"), error("c.txt", 2, "broken")]
    lines = diagnostic_lines(found)
    assert lines[0] == "error: c.txt:2: broken"
    assert lines[1].startswith("warning: a.txt:3: damaged date 'Feb 3 2'")
    assert lines[1].endswith("[and 1 more like it in this file; -v shows each]")
    assert lines[2].startswith("warning: b.txt:5:") and lines[3].startswith("warning: a.txt:7:")
    assert len(lines) == 4
    assert len(diagnostic_lines(found, VERBOSE)) == 5
    assert diagnostic_lines(found, QUIET) == ["error: c.txt:2: broken"]


def test_at_most_so_many_groups_then_one_line() -> None:
    found = [info(f"f{n}.txt", 1, "a note") for n in range(MOST_GROUPS + 10)]
    lines = diagnostic_lines(found)
    assert len(lines) == MOST_GROUPS + 1
    assert lines[-1].startswith("... and 10 more warnings and notes of 10 kinds in 10 files")


# -- record front matter: the line where the problem starts -----------------------------


def test_an_unclosed_quote_in_front_matter_is_reported_where_it_opened() -> None:
    text = '---\ntitle: "Unclosed\nabstract: x\nsources:\n- a.txt\n- b.txt\n---\nNotes\n'
    record, problems = parse_record(text, "slug", "content/papers/slug.md")
    assert record is None
    assert problems[0].location() == "content/papers/slug.md:2:8"
    assert "never closed" in problems[0].message and "<unicode string>" not in problems[0].hint


# -- --drafts ------------------------------------------------------------------------------


def test_drafts_are_left_out_unless_asked_for_and_then_marked(tmp_path: Path) -> None:
    make_site(tmp_path, listings={"sample.txt": LISTING})
    build_site(tmp_path)
    (record,) = (tmp_path / "content" / "papers").glob("*.md")
    record.write_text(record.read_text().replace("---\n", "---\ndraft: true\n", 1))
    page = tmp_path / "site" / "papers" / record.stem / "index.html"
    assert build_site(tmp_path).papers == 0 and not page.exists()
    assert build_site(tmp_path, drafts=True).papers == 1
    assert "badge-draft" in page.read_text()
    assert '"draft": true' in (tmp_path / "site" / "papers.json").read_text()
    assert build_site(tmp_path).papers == 0 and not page.exists()


def test_build_drafts_on_the_command_line(tmp_path: Path) -> None:
    make_site(tmp_path)
    assert main(["build", "-q", "-c", str(tmp_path / "digest.yaml")]) == 0
    (record,) = (tmp_path / "content" / "papers").glob("*.md")
    record.write_text(record.read_text().replace("---\n", "---\ndraft: true\n", 1))
    run = digest(tmp_path, "build", "--drafts")
    assert run.returncode == 0 and run.stdout.startswith("built 1 paper,")


# -- deploy -m -------------------------------------------------------------------------


def test_deploy_message_replaces_the_subject_and_keeps_the_trailers() -> None:
    source = Source("a" * 40, "main", False)
    message = commit_message(source, "gh-pages", "Add the May papers")
    assert message.startswith("Add the May papers\n\n")
    assert message == commit_message(source, "gh-pages").replace(
        commit_message(source, "gh-pages").split("\n")[0], "Add the May papers", 1
    )


# -- serve: one line per rebuild ------------------------------------------------------------


def test_a_rebuild_line_shows_new_warnings_in_full_and_clears_once() -> None:
    old = warning("a.txt", 3, "damaged date 'x'")
    new = warning("b.txt", 4, "damaged date 'y'")
    lines, known = rebuild_lines("a.txt changed", 3, 0.25, [old, new], frozenset({old}))
    assert lines == [
        "a.txt changed: 3 pages redrawn in 0.25s; 1 new warning below",
        "warning: b.txt:4: damaged date 'y'",
    ]
    lines, known = rebuild_lines("b.txt changed", 1, 0.1, [old], known)
    assert lines == ["b.txt changed: 1 page redrawn in 0.10s; 1 warning cleared"]
    lines, _ = rebuild_lines("b.txt changed", 1, 0.1, [old], known)
    assert lines == ["b.txt changed: 1 page redrawn in 0.10s"]
