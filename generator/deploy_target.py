"""Where a deploy publishes, found out before anything is built: the repository, the
remote, the Pages branch as it is there (fetched into a private ref), and whether someone
else made commits on it since the last deploy.

Tests: tests/test_deploy.py, tests/test_publish.py"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .deploy_git import PRIVATE_REF, TRAILER_KEY, TRAILER_VALUE, git, succeeds
from .deploy_output import normalise_cname
from .errors import Diagnostic, DigestError, warning


@dataclass(frozen=True)
class DeployOptions:
    remote: str = "origin"
    branch: str = "gh-pages"
    cname: str | None = None
    dry_run: bool = False
    force: bool = False
    message: str | None = None  # `digest deploy -m`: the commit's subject (and body)


@dataclass(frozen=True)
class Target:
    """Where a deploy publishes, found out before anything is built."""

    repo: Path
    options: DeployOptions
    remote_url: str  # remote.<name>.url as the user wrote it, before any url.*.insteadOf
    parent: str | None  # the tip of the remote Pages branch, None when it does not exist
    domain: str | None  # the custom domain: --cname, else the one the last deploy published
    diagnostics: tuple[Diagnostic, ...] = ()


def open_target(repo_dir: Path, options: DeployOptions) -> Target:
    """Check the repository and the remote, and fetch the Pages branch as it is there."""
    if options.branch.startswith("refs/heads/"):  # a full ref name means the branch it names
        options = dataclasses.replace(options, branch=options.branch.removeprefix("refs/heads/"))
    repo = _repository(repo_dir)
    _check_branch(repo, options.branch)
    cname = normalise_cname(options.cname) if options.cname is not None else None
    remote_url = _remote_url(repo, options.remote)
    parent = _fetch_remote_branch(repo, options)
    diagnostics = _check_ownership(repo, parent, options) if parent is not None else []
    domain = cname or (_published_cname(repo, parent) if parent is not None else None)
    return Target(repo, options, remote_url, parent, domain, tuple(diagnostics))


def _repository(repo_dir: Path) -> Path:
    if not repo_dir.is_dir() or not succeeds(repo_dir, ["rev-parse", "--git-dir"]):
        raise DigestError.at(
            str(repo_dir),
            None,
            "not inside a git repository",
            "deploy publishes through git: run `git init` and add a remote",
        )
    return repo_dir


def _check_branch(repo: Path, branch: str) -> None:
    if not succeeds(repo, ["check-ref-format", f"refs/heads/{branch}"]):
        raise DigestError.at("--branch", None, f"{branch!r} is not a valid branch name")


def _remote_url(repo: Path, remote: str) -> str:
    # The URL as configured: `git remote get-url` would apply url.<base>.insteadOf, and the
    # site's address is that of the repository the user named.
    url = git(repo, ["config", "--get", f"remote.{remote}.url"], check=False)
    if not url:
        raise DigestError.at(
            str(repo),
            None,
            f"no git remote named {remote!r}",
            f"add one with `git remote add {remote} <url>`",
        )
    return url


def _fetch_remote_branch(repo: Path, options: DeployOptions) -> str | None:
    """Copy the remote Pages branch into a private ref; return its tip, None if it is absent."""
    ref = f"refs/heads/{options.branch}"
    try:
        listing = git(repo, ["ls-remote", options.remote, ref])
    except DigestError as exc:
        reason = exc.diagnostics[0].message
        raise DigestError.at(
            str(repo),
            None,
            f"cannot reach the remote {options.remote!r}: {reason}",
            f"check `git remote get-url {options.remote}`, the network and your credentials",
        ) from exc
    if not any(line.split("\t")[-1] == ref for line in listing.splitlines()):
        return None
    git(
        repo,
        [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            options.remote,
            f"+{ref}:{PRIVATE_REF}",
        ],
    )
    return git(repo, ["rev-parse", "--verify", f"{PRIVATE_REF}^{{commit}}"])


def _check_ownership(repo: Path, tip: str, options: DeployOptions) -> list[Diagnostic]:
    """Refuse to publish over commits someone else made since our last deploy."""
    foreign = _foreign_commits(repo, tip)
    if not foreign:
        return []
    where = f"{options.remote}/{options.branch}"
    what = f"{len(foreign)} commit(s) not made by paper-digest (latest: {foreign[0]})"
    if options.force:
        return [
            warning(where, None, f"publishing on top of {what}", "they stay in the branch history")
        ]
    raise DigestError.at(
        where,
        None,
        f"the branch has {what}",
        "pass --force to publish over them, or deploy to another --branch",
    )


def _foreign_commits(repo: Path, tip: str, limit: int = 100) -> list[str]:
    fmt = f"%h %s%x1f%(trailers:key={TRAILER_KEY},valueonly)%x1e"
    log = git(repo, ["log", "--first-parent", f"-n{limit}", f"--format={fmt}", tip])
    foreign = []
    for record in filter(None, (r.strip() for r in log.split("\x1e"))):
        summary, _, trailer = record.partition("\x1f")
        if TRAILER_VALUE in trailer.split():
            break
        foreign.append(summary)
    return foreign


def _published_cname(repo: Path, parent: str) -> str | None:
    text = git(repo, ["cat-file", "blob", f"{parent}:CNAME"], check=False).strip()
    try:
        return normalise_cname(text) if text else None
    except DigestError:
        return None
