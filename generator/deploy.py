"""Publish a built site to a GitHub Pages branch without touching the user's checkout.

Like Lektor's publisher, everything happens beside the user's work: the files
are hashed into the repository's object store, assembled in a throwaway index
(GIT_INDEX_FILE), committed on top of the fetched remote branch and pushed by
commit id. The working tree, the real index, HEAD, the branches and the stash
are never written.

A deploy first opens its target (the repository, the remote, the Pages branch as it is
there), so that it can refuse before building: a branch it did not make, an unreachable
remote, or a base_url that only works on this machine with no address to put in its place.
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

from .errors import Diagnostic, DigestError, info, warning
from .urls import github_repository, is_local_url, pages_url

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
    message: str | None = None  # `digest deploy -m`: the commit's subject (and body)


@dataclass(frozen=True)
class DeployResult:
    committed: bool
    commit: str | None
    files: int
    pushed: bool
    message: str


@dataclass(frozen=True)
class Target:
    """Where a deploy publishes, found out before anything is built."""

    repo: Path
    options: DeployOptions
    remote_url: str  # remote.<name>.url as the user wrote it, before any url.*.insteadOf
    parent: str | None  # the tip of the remote Pages branch, None when it does not exist
    domain: str | None  # the custom domain: --cname, else the one the last deploy published
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class Source:
    """What the site was built from: HEAD, its branch, and whether the tree had changes."""

    commit: str | None
    branch: str | None
    dirty: bool


@dataclass(frozen=True)
class SiteFiles:
    """The files of the built site, as (path in the tree, path on disk), sorted by path."""

    files: tuple[tuple[str, Path], ...]
    size: int


def deploy(
    repo_dir: Path, output: Path, options: DeployOptions, url: str | None = None
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit `output` on top of `options.remote`/`options.branch` and push it."""
    return publish(open_target(repo_dir, options), output, url)


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


def site_url(
    base_url: str, target: Target, where: str = "digest.yaml"
) -> tuple[str, list[Diagnostic]]:
    """The base_url to publish with: the configured one, unless it only works on this machine;
    then the custom domain, or the address GitHub Pages gives the remote's repository."""
    if not is_local_url(base_url):
        return base_url, []
    remote = f"remote {target.options.remote!r} ({target.remote_url})"
    github = github_repository(target.remote_url)
    if target.domain is not None:
        url, why = f"https://{target.domain}/", f"the custom domain {target.domain}"
    elif github is not None:
        url, why = pages_url(*github), f"where GitHub Pages serves {remote}"
    else:
        raise DigestError.at(
            where,
            None,
            f"base_url {base_url} only works on this machine, and {remote} is not on GitHub, "
            "so the site's address is unknown: feeds, sitemap and canonical links would point "
            "nowhere; nothing was built or pushed",
            "set base_url in digest.yaml to the address the site is served from, "
            "or pass --cname DOMAIN",
        )
    note = (
        f"base_url {base_url} only works on this machine; publishing for {url}, {why} "
        f"(to say so yourself, set `base_url: {url}` in {where})"
    )
    return url, [info(where, None, note)]


def publish(
    target: Target, output: Path, url: str | None = None
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit the built `output` on top of the target's Pages branch and push it."""
    repo, options, parent = target.repo, target.options, target.parent
    site = scan_output(output)
    diagnostics = [*target.diagnostics, *size_diagnostics(site.size, output)]
    cname = normalise_cname(options.cname) if options.cname is not None else None
    tree, files = _write_tree(repo, site, parent, cname)
    if parent is not None and tree == _git(repo, ["rev-parse", f"{parent}^{{tree}}"]):
        return _unchanged(parent, files, target, url), diagnostics
    source = _source(repo)
    if options.dry_run:
        return _dry_run(files, target, source, url), diagnostics
    commit = _commit(repo, tree, parent, source, options.branch, options.message)
    _push(repo, commit, options)
    return _published(commit, files, target, source, url), diagnostics


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


def _remote_url(repo: Path, remote: str) -> str:
    # The URL as configured: `git remote get-url` would apply url.<base>.insteadOf, and the
    # site's address is that of the repository the user named.
    url = _git(repo, ["config", "--get", f"remote.{remote}.url"], check=False)
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


def _published_cname(repo: Path, parent: str) -> str | None:
    text = _git(repo, ["cat-file", "blob", f"{parent}:CNAME"], check=False).strip()
    try:
        return normalise_cname(text) if text else None
    except DigestError:
        return None


def _hash_text(repo: Path, text: str) -> str:
    return _git(repo, ["hash-object", "-w", "--stdin"], stdin=text)


def _source(repo: Path) -> Source:
    commit = _git(repo, ["rev-parse", "--verify", "--quiet", "HEAD"], check=False) or None
    branch = _git(repo, ["symbolic-ref", "--short", "--quiet", "HEAD"], check=False) or None
    # --no-optional-locks: `status` would otherwise refresh the user's index file.
    status = _git(repo, ["--no-optional-locks", "status", "--porcelain"], check=False)
    return Source(commit, branch, bool(status))


def _commit(
    repo: Path, tree: str, parent: str | None, source: Source, branch: str, given: str | None
) -> str:
    message = commit_message(source, branch, given)
    parents = ["-p", parent] if parent else []
    return _git(repo, ["commit-tree", tree, *parents], stdin=message, env=_identity_env(repo))


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


def _unchanged(parent: str, files: int, target: Target, url: str | None) -> DeployResult:
    options = target.options
    prefix = "Dry run: " if options.dry_run else ""
    message = (
        f"{prefix}Nothing changed since the last deploy ({parent[:12]} on "
        f"{options.remote}/{options.branch}); no commit made, nothing pushed."
    )
    message += _where(target, url)
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def _dry_run(files: int, target: Target, source: Source, url: str | None) -> DeployResult:
    options = target.options
    where = f"{options.remote}/{options.branch}"
    on = f"on top of {target.parent[:12]}" if target.parent else "as its first commit"
    message = f"Dry run: would commit {files} files to {where} {on}; nothing committed or pushed."
    message += _where(target, url, source)
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def _published(
    commit: str, files: int, target: Target, source: Source, url: str | None
) -> DeployResult:
    options = target.options
    message = f"Published {files} files to {options.remote}/{options.branch} as {commit[:12]}."
    message += _where(target, url, source)
    return DeployResult(committed=True, commit=commit, files=files, pushed=True, message=message)


def _where(target: Target, url: str | None, source: Source | None = None) -> str:
    """The report's lines after the first: remote, source, address, like mkdocs gh-deploy's."""
    options = target.options
    lines = [f"  branch:  {options.branch} of remote {options.remote} ({target.remote_url})"]
    if source is not None:
        lines.append(f"  source:  {describe_source(source)}")
    if url:
        lines.append(f"  site:    {url} (live once GitHub Pages has published the branch)")
    return "\n" + "\n".join(lines)


def describe_source(source: Source) -> str:
    if source.commit is None:
        return "no commit yet (the site was built from uncommitted files)"
    on = f" on {source.branch}" if source.branch else " (detached HEAD)"
    changes = ", with uncommitted changes" if source.dirty else ", a clean tree"
    return f"{source.commit[:12]}{on}{changes}"
