"""The Pages commit, made beside the user's work: the site's files hashed into the object
store and assembled in a throwaway index (GIT_INDEX_FILE) with .nojekyll and CNAME, a
commit naming what the site was built from, and a plain push by commit id.

Tests: tests/test_deploy.py, tests/test_publish.py, tests/test_console.py"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .deploy_git import PRIVATE_REF, TRAILER_KEY, TRAILER_VALUE, git
from .deploy_output import SiteFiles
from .deploy_target import DeployOptions
from .errors import DigestError

FILE_MODE = "100644"
FALLBACK_NAME = "paper-digest"
FALLBACK_EMAIL = "paper-digest@users.noreply.github.com"


@dataclass(frozen=True)
class Source:
    """What the site was built from: HEAD, its branch, and whether the tree had changes."""

    commit: str | None
    branch: str | None
    dirty: bool


def write_tree(
    repo: Path, site: SiteFiles, parent: str | None, cname: str | None
) -> tuple[str, int]:
    """Build the tree in a throwaway index: the output, plus .nojekyll and CNAME."""
    entries = dict(zip((p for p, _ in site.files), _hash_files(repo, site), strict=True))
    entries.update(_extra_files(repo, entries, parent, cname))
    with tempfile.TemporaryDirectory(prefix="digest-deploy-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        lines = "".join(f"{FILE_MODE} {sha}\t{path}\0" for path, sha in sorted(entries.items()))
        git(repo, ["update-index", "--add", "-z", "--index-info"], stdin=lines, env=env)
        return git(repo, ["write-tree"], env=env), len(entries)


def _hash_files(repo: Path, site: SiteFiles) -> list[str]:
    # --no-filters: publish the bytes on disk, whatever autocrlf or attributes say.
    paths = "".join(f"{path}\n" for _, path in site.files)
    return git(repo, ["hash-object", "-w", "--no-filters", "--stdin-paths"], stdin=paths).split()


def _extra_files(
    repo: Path, entries: Mapping[str, str], parent: str | None, cname: str | None
) -> dict[str, str]:
    extra = {}
    if ".nojekyll" not in entries:
        extra[".nojekyll"] = _hash_text(repo, "")
    if cname is not None:
        extra["CNAME"] = _hash_text(repo, f"{cname}\n")
    elif "CNAME" not in entries and parent is not None:
        # Keep the custom domain of the last deploy: losing it takes the site offline.
        previous = git(repo, ["rev-parse", "--verify", "--quiet", f"{parent}:CNAME"], check=False)
        if previous:
            extra["CNAME"] = previous
    return extra


def _hash_text(repo: Path, text: str) -> str:
    return git(repo, ["hash-object", "-w", "--stdin"], stdin=text)


def read_source(repo: Path) -> Source:
    """HEAD, its branch, and whether the working tree has changes (read, never written)."""
    commit = git(repo, ["rev-parse", "--verify", "--quiet", "HEAD"], check=False) or None
    branch = git(repo, ["symbolic-ref", "--short", "--quiet", "HEAD"], check=False) or None
    # --no-optional-locks: `status` would otherwise refresh the user's index file.
    status = git(repo, ["--no-optional-locks", "status", "--porcelain"], check=False)
    return Source(commit, branch, bool(status))


def make_commit(
    repo: Path, tree: str, parent: str | None, source: Source, branch: str, given: str | None
) -> str:
    """A commit of `tree` on top of `parent` (the Pages branch's tip, None for its first)."""
    message = commit_message(source, branch, given)
    parents = ["-p", parent] if parent else []
    return git(repo, ["commit-tree", tree, *parents], stdin=message, env=_identity_env(repo))


def commit_message(source: Source, branch: str, given: str | None = None) -> str:
    """Names the commit the site was built from, unless the tree had changes: then it says
    so, and names the commit they were made on. A `given` message (-m) replaces the
    subject; the trailers stay, as they mark the branch as this generator's."""
    head = source.commit
    if head is None:
        subject, trailers = f"Deploy to {branch}", []
    elif source.dirty:
        subject = f"Deploy uncommitted changes on top of {head[:12]} to {branch}"
        trailers = [f"Source-parent: {head}", "Source-dirty: true"]
    else:
        subject, trailers = f"Deploy {head[:12]} to {branch}", [f"Source-commit: {head}"]
    if source.branch:
        trailers.append(f"Source-branch: {source.branch}")
    trailers.append(f"{TRAILER_KEY}: {TRAILER_VALUE}")
    if given and given.strip():
        subject = given.strip()
    return f"{subject}\n\n" + "\n".join(trailers) + "\n"


def _identity_env(repo: Path) -> dict[str, str]:
    """Fallback author/committer for CI machines where user.name/email are not set."""
    env = {}
    for key, var, fallback in (
        ("user.name", "NAME", FALLBACK_NAME),
        ("user.email", "EMAIL", FALLBACK_EMAIL),
    ):
        if git(repo, ["config", "--get", key], check=False):
            continue
        for role in ("AUTHOR", "COMMITTER"):
            name = f"GIT_{role}_{var}"
            env[name] = os.environ.get(name) or fallback
    return env


def push(repo: Path, commit: str, options: DeployOptions) -> None:
    """Push `commit` to the Pages branch, then remember it as the branch's tip."""
    # A plain push by commit id: never forced, so a concurrent deploy is not overwritten.
    try:
        git(repo, ["push", "--quiet", options.remote, f"{commit}:refs/heads/{options.branch}"])
    except DigestError as exc:
        raise DigestError.at(
            f"{options.remote}/{options.branch}",
            None,
            f"push refused: {exc.diagnostics[0].message}",
            "the branch may have moved meanwhile; deploy again",
        ) from exc
    git(repo, ["update-ref", PRIVATE_REF, commit])
