"""What a deploy did, in words: the report's first line (published, would commit, nothing
changed) and the lines after it naming the branch, the source and the site's address.

Tests: tests/test_deploy.py, tests/test_publish.py"""

from __future__ import annotations

from dataclasses import dataclass

from .deploy_commit import Source
from .deploy_target import Target


@dataclass(frozen=True)
class DeployResult:
    committed: bool
    commit: str | None
    files: int
    pushed: bool
    message: str


def unchanged(parent: str, files: int, target: Target, url: str | None) -> DeployResult:
    """The site's tree is the Pages branch's already: no commit, no push."""
    options = target.options
    prefix = "Dry run: " if options.dry_run else ""
    message = (
        f"{prefix}Nothing changed since the last deploy ({parent[:12]} on "
        f"{options.remote}/{options.branch}); no commit made, nothing pushed."
    )
    message += _where(target, url)
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def dry_run(files: int, target: Target, source: Source, url: str | None) -> DeployResult:
    """`digest deploy --dry-run`: what would be committed, and where."""
    options = target.options
    where = f"{options.remote}/{options.branch}"
    on = f"on top of {target.parent[:12]}" if target.parent else "as its first commit"
    message = f"Dry run: would commit {files} files to {where} {on}; nothing committed or pushed."
    message += _where(target, url, source)
    return DeployResult(committed=False, commit=None, files=files, pushed=False, message=message)


def published(
    commit: str, files: int, target: Target, source: Source, url: str | None
) -> DeployResult:
    """Committed and pushed."""
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
    """The commit the site was built from, its branch, and whether the tree was clean."""
    if source.commit is None:
        return "no commit yet (the site was built from uncommitted files)"
    on = f" on {source.branch}" if source.branch else " (detached HEAD)"
    changes = ", with uncommitted changes" if source.dirty else ", a clean tree"
    return f"{source.commit[:12]}{on}{changes}"
