"""Publish a built site to a GitHub Pages branch without touching the user's checkout.

Like Lektor's publisher, everything happens beside the user's work: the files
are hashed into the repository's object store, assembled in a throwaway index
(GIT_INDEX_FILE), committed on top of the fetched remote branch and pushed by
commit id. The working tree, the real index, HEAD, the branches and the stash
are never written.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostic, DigestError, warning

TRAILER_KEY = "Deployed-by"
TRAILER_VALUE = "paper-digest"
PRIVATE_REF = "refs/digest/remote-pages"
# GitHub documents 1 GB as the largest published Pages site.
PAGES_SIZE_LIMIT = 1_000_000_000
FILE_MODE = "100644"
FALLBACK_NAME = "paper-digest"
FALLBACK_EMAIL = "paper-digest@users.noreply.github.com"
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)


@dataclass(frozen=True)
class DeployOptions:
    remote: str = "origin"
    branch: str = "gh-pages"
    cname: str | None = None
    dry_run: bool = False
    force: bool = False


@dataclass(frozen=True)
class DeployResult:
    committed: bool
    commit: str | None
    files: int
    pushed: bool
    message: str


@dataclass(frozen=True)
class SiteFiles:
    """The files of the built site, as (path in the tree, path on disk), sorted by path."""

    files: tuple[tuple[str, Path], ...]
    size: int


def deploy(
    repo_dir: Path, output: Path, options: DeployOptions
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit `output` on top of `options.remote`/`options.branch` and push it."""
    if options.branch.startswith("refs/heads/"):  # a full ref name means the branch it names
        options = dataclasses.replace(options, branch=options.branch.removeprefix("refs/heads/"))
    site = scan_output(output)
    diagnostics = size_diagnostics(site.size, output)
    repo = _repository(repo_dir)
    _check_branch(repo, options.branch)
    parent = _fetch_remote_branch(repo, options)
    if parent is not None:
        diagnostics += _check_ownership(repo, parent, options)
    cname = normalise_cname(options.cname) if options.cname is not None else None
    tree, files = _write_tree(repo, site, parent, cname)
    if parent is not None and tree == _git(repo, ["rev-parse", f"{parent}^{{tree}}"]):
        return _unchanged(parent, files, options), diagnostics
    if options.dry_run:
        return _dry_run(parent, files, options), diagnostics
    source = _source_commit(repo)
    commit = _commit(repo, tree, parent, source, options.branch)
    _push(repo, commit, options)
    return _published(commit, files, source, options), diagnostics


# -- the output folder -------------------------------------------------------


def scan_output(output: Path) -> SiteFiles:
    """List the site's files, refusing what GitHub Pages or git cannot publish."""
    if not output.is_dir():
        raise DigestError.at(
            str(output), None, "the output folder does not exist", "run `digest build` first"
        )
    # Absolute: git runs in the repository, not in the caller's current folder.
    output = output.absolute()
    files: list[tuple[str, Path]] = []
    size = 0
    for dirpath, dirnames, filenames in os.walk(output):
        folder = Path(dirpath)
        for name in (*dirnames, *filenames):
            _check_entry(output, folder / name)
        for name in filenames:
            path = folder / name
            files.append((path.relative_to(output).as_posix(), path))
            size += path.stat().st_size
    if not files:
        raise DigestError.at(
            str(output),
            None,
            "the output folder is empty, nothing to publish",
            "run `digest build` first",
        )
    return SiteFiles(tuple(sorted(files)), size)


def _check_entry(output: Path, path: Path) -> None:
    where = str(path)
    if path.is_symlink():
        raise DigestError.at(
            where,
            None,
            f"the output contains a symbolic link to {os.readlink(path)}",
            "GitHub Pages does not publish links; copy the file into the output",
        )
    if path.name == ".git":
        raise DigestError.at(
            where, None, "the output contains a .git folder", f"is {output} really the built site?"
        )
    if "\n" in path.name or "\r" in path.name:
        raise DigestError.at(
            where, None, "a file name in the output contains a line break", "rename the file"
        )
    if not (path.is_dir() or path.is_file()):
        raise DigestError.at(
            where,
            None,
            "the output contains something that is not a file",
            "remove it from the output",
        )


def size_diagnostics(size: int, output: Path) -> list[Diagnostic]:
    if size <= PAGES_SIZE_LIMIT:
        return []
    return [
        warning(
            str(output),
            None,
            f"the site is {size / 1e9:.2f} GB, over GitHub Pages' 1 GB limit",
            "GitHub may refuse to publish it; leave large files out of the site",
        )
    ]


def normalise_cname(cname: str) -> str:
    host = cname.strip().rstrip(".").lower()
    if not _HOSTNAME.match(host) or "." not in host:
        raise DigestError.at(
            "--cname",
            None,
            f"{cname!r} is not a domain name",
            "give a bare host such as docs.example.org, no https:// or path",
        )
    return host


# -- git plumbing ------------------------------------------------------------


def _run(
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


def _git(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> str:
    """Git's stripped stdout; empty when a `check=False` command failed."""
    proc = _run(repo, args, stdin=stdin, env=env, check=check)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _succeeds(repo: Path, args: Sequence[str]) -> bool:
    return _run(repo, args, check=False).returncode == 0


def _repository(repo_dir: Path) -> Path:
    if not repo_dir.is_dir() or not _succeeds(repo_dir, ["rev-parse", "--git-dir"]):
        raise DigestError.at(
            str(repo_dir),
            None,
            "not inside a git repository",
            "deploy publishes through git: run `git init` and add a remote",
        )
    return repo_dir


def _check_branch(repo: Path, branch: str) -> None:
    if not _succeeds(repo, ["check-ref-format", f"refs/heads/{branch}"]):
        raise DigestError.at("--branch", None, f"{branch!r} is not a valid branch name")


def _fetch_remote_branch(repo: Path, options: DeployOptions) -> str | None:
    """Copy the remote Pages branch into a private ref; return its tip, None if it is absent."""
    if not _succeeds(repo, ["remote", "get-url", options.remote]):
        raise DigestError.at(
            str(repo),
            None,
            f"no git remote named {options.remote!r}",
            f"add one with `git remote add {options.remote} <url>`",
        )
    ref = f"refs/heads/{options.branch}"
    try:
        listing = _git(repo, ["ls-remote", options.remote, ref])
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
    _git(
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
    return _git(repo, ["rev-parse", "--verify", f"{PRIVATE_REF}^{{commit}}"])


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
    log = _git(repo, ["log", "--first-parent", f"-n{limit}", f"--format={fmt}", tip])
    foreign = []
    for record in filter(None, (r.strip() for r in log.split("\x1e"))):
        summary, _, trailer = record.partition("\x1f")
        if TRAILER_VALUE in trailer.split():
            break
        foreign.append(summary)
    return foreign


def _write_tree(
    repo: Path, site: SiteFiles, parent: str | None, cname: str | None
) -> tuple[str, int]:
    """Build the tree in a throwaway index: the output, plus .nojekyll and CNAME."""
    entries = dict(zip((p for p, _ in site.files), _hash_files(repo, site), strict=True))
    entries.update(_extra_files(repo, entries, parent, cname))
    with tempfile.TemporaryDirectory(prefix="digest-deploy-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        lines = "".join(f"{FILE_MODE} {sha}\t{path}\0" for path, sha in sorted(entries.items()))
        _git(repo, ["update-index", "--add", "-z", "--index-info"], stdin=lines, env=env)
        return _git(repo, ["write-tree"], env=env), len(entries)


def _hash_files(repo: Path, site: SiteFiles) -> list[str]:
    # --no-filters: publish the bytes on disk, whatever autocrlf or attributes say.
    paths = "".join(f"{path}\n" for _, path in site.files)
    return _git(repo, ["hash-object", "-w", "--no-filters", "--stdin-paths"], stdin=paths).split()


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
        previous = _git(repo, ["rev-parse", "--verify", "--quiet", f"{parent}:CNAME"], check=False)
        if previous:
            extra["CNAME"] = previous
    return extra


def _hash_text(repo: Path, text: str) -> str:
    return _git(repo, ["hash-object", "-w", "--stdin"], stdin=text)


def _source_commit(repo: Path) -> str | None:
    return _git(repo, ["rev-parse", "--verify", "--quiet", "HEAD"], check=False) or None


def _commit(repo: Path, tree: str, parent: str | None, source: str | None, branch: str) -> str:
    subject = f"Deploy {source[:12]} to {branch}" if source else f"Deploy to {branch}"
    trailers = [f"Source-commit: {source}"] if source else []
    trailers.append(f"{TRAILER_KEY}: {TRAILER_VALUE}")
    message = f"{subject}\n\n" + "\n".join(trailers) + "\n"
    parents = ["-p", parent] if parent else []
    return _git(repo, ["commit-tree", tree, *parents], stdin=message, env=_identity_env(repo))


def _identity_env(repo: Path) -> dict[str, str]:
    """Fallback author/committer for CI machines where user.name/email are not set."""
    env = {}
    for key, var, fallback in (
        ("user.name", "NAME", FALLBACK_NAME),
        ("user.email", "EMAIL", FALLBACK_EMAIL),
    ):
        if _git(repo, ["config", "--get", key], check=False):
            continue
        for role in ("AUTHOR", "COMMITTER"):
            name = f"GIT_{role}_{var}"
            env[name] = os.environ.get(name) or fallback
    return env


def _push(repo: Path, commit: str, options: DeployOptions) -> None:
    # A plain push by commit id: never forced, so a concurrent deploy is not overwritten.
    try:
        _git(repo, ["push", "--quiet", options.remote, f"{commit}:refs/heads/{options.branch}"])
    except DigestError as exc:
        raise DigestError.at(
            f"{options.remote}/{options.branch}",
            None,
            f"push refused: {exc.diagnostics[0].message}",
            "the branch may have moved meanwhile; deploy again",
        ) from exc
    _git(repo, ["update-ref", PRIVATE_REF, commit])


# -- results -----------------------------------------------------------------


def _unchanged(parent: str, files: int, options: DeployOptions) -> DeployResult:
    prefix = "Dry run: " if options.dry_run else ""
    message = (
        f"{prefix}Nothing changed since the last deploy ({parent[:12]} on "
        f"{options.remote}/{options.branch}); no commit made, nothing pushed."
    )
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def _dry_run(parent: str | None, files: int, options: DeployOptions) -> DeployResult:
    where = f"{options.remote}/{options.branch}"
    target = f"on top of {parent[:12]}" if parent else "as its first commit"
    message = (
        f"Dry run: would commit {files} files to {where} {target}; nothing was committed or pushed."
    )
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def _published(commit: str, files: int, source: str | None, options: DeployOptions) -> DeployResult:
    origin = f" (built from {source[:12]})" if source else ""
    message = (
        f"Published {files} files to {options.remote}/{options.branch} as {commit[:12]}{origin}."
    )
    return DeployResult(committed=True, commit=commit, files=files, pushed=True, message=message)
