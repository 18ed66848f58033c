"""Running git for a deploy: its output, or a DigestError carrying git's stderr; and the
names a deploy leaves in the repository (its trailer, its private ref).

Tests: tests/test_deploy.py, tests/test_publish.py"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import DigestError

TRAILER_KEY = "Deployed-by"
TRAILER_VALUE = "paper-digest"
PRIVATE_REF = "refs/digest/remote-pages"


def run(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run git in `repo`; with `check`, a failure becomes a DigestError carrying git's stderr."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=repo,
            input=stdin,
            env={**os.environ, **(env or {})},
            check=False,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
        )
    except FileNotFoundError as exc:
        raise DigestError.at(
            str(repo), None, "git is not installed", "install git to deploy"
        ) from exc
    if check and proc.returncode != 0:
        lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
        reason = "; ".join(lines) or f"exit status {proc.returncode}"
        raise DigestError.at(str(repo), None, f"`git {args[0]}` failed: {reason}")
    return proc


def git(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> str:
    """Git's stripped stdout; empty when a `check=False` command failed."""
    proc = run(repo, args, stdin=stdin, env=env, check=check)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def succeeds(repo: Path, args: Sequence[str]) -> bool:
    return run(repo, args, check=False).returncode == 0
