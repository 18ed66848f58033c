"""Publish a built site to a GitHub Pages branch without touching the user's checkout.

Like Lektor's publisher, everything happens beside the user's work: the files
are hashed into the repository's object store, assembled in a throwaway index
(GIT_INDEX_FILE), committed on top of the fetched remote branch and pushed by
commit id. The working tree, the real index, HEAD, the branches and the stash
are never written.

A deploy first opens its target (the repository, the remote, the Pages branch as it is
there), so that it can refuse before building: a branch it did not make, an unreachable
remote, or a base_url that only works on this machine with no address to put in its place.

This module is the deploy's steps in order; each step's work is in its own module:
deploy_target.py (the repository, the remote and the Pages branch), deploy_output.py (the
built site's files), deploy_commit.py (the tree, the commit, the push), deploy_report.py
(what happened, in words) and deploy_git.py (running git).
"""

from __future__ import annotations

from pathlib import Path

from .deploy_commit import (
    Source,
    commit_message,
    make_commit,
    push,
    read_source,
    write_tree,
)
from .deploy_git import PRIVATE_REF, TRAILER_KEY, TRAILER_VALUE, git
from .deploy_output import (
    PAGES_SIZE_LIMIT,
    SiteFiles,
    normalise_cname,
    scan_output,
    size_diagnostics,
)
from .deploy_report import DeployResult, describe_source, dry_run, published, unchanged
from .deploy_target import DeployOptions, Target, open_target
from .errors import Diagnostic, DigestError, info
from .urls import github_repository, is_local_url, pages_url

__all__ = [
    "PAGES_SIZE_LIMIT",
    "PRIVATE_REF",
    "TRAILER_KEY",
    "TRAILER_VALUE",
    "DeployOptions",
    "DeployResult",
    "SiteFiles",
    "Source",
    "Target",
    "commit_message",
    "deploy",
    "describe_source",
    "normalise_cname",
    "open_target",
    "publish",
    "scan_output",
    "site_url",
    "size_diagnostics",
]


def deploy(
    repo_dir: Path, output: Path, options: DeployOptions, url: str | None = None
) -> tuple[DeployResult, list[Diagnostic]]:
    """Commit `output` on top of `options.remote`/`options.branch` and push it."""
    return publish(open_target(repo_dir, options), output, url)


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
    tree, files = write_tree(repo, site, parent, cname)
    if parent is not None and tree == git(repo, ["rev-parse", f"{parent}^{{tree}}"]):
        return unchanged(parent, files, target, url), diagnostics
    source = read_source(repo)
    if options.dry_run:
        return dry_run(files, target, source, url), diagnostics
    commit = make_commit(repo, tree, parent, source, options.branch, options.message)
    push(repo, commit, options)
    return published(commit, files, target, source, url), diagnostics
