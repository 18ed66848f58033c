"""The site's base_url: what a valid one is, which ones are only good on this machine, and the
GitHub Pages address a git remote implies."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

BASE_URL_HINT = "write the address the site is served from, e.g. https://USER.github.io/REPO/"
# Hosts that can never be where a published site lives (RFC 2606 and RFC 6761 names).
_EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_PLACEHOLDER = "user.github.io"  # the scaffold's example
_HOST = re.compile(r"^[\w-]+(\.[\w-]+)*\.?$")
# git@github.com:OWNER/REPO.git, ssh://git@github.com[:22]/OWNER/REPO, https://github.com/...
# (a string, compiled on first use by re's cache: only `digest deploy` needs it)
_GITHUB_REMOTE = (
    r"^(?:(?:https?|git|ssh|git\+ssh)://(?:[^@/]+@)?github\.com(?::\d+)?/|[^@/]+@github\.com:)"
    r"(?P<owner>[A-Za-z0-9-]+)/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?$"
)


def base_url_problem(value: str) -> str | None:
    """Why `value` cannot be a base_url, or None when it can."""
    bad = next((c for c in value if c.isspace() or unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        return f"base_url {value!r} contains {_name(bad)}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"base_url {value!r} is not a URL ({exc})"
    del port  # read only to check it
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"`{parts.scheme}:`" if parts.scheme else "no scheme"
        return f"base_url {value!r} has {scheme}; it must start with https:// or http://"
    host = parts.hostname or ""
    if not host or not _valid_host(host):
        return f"base_url {value!r} names no host"
    if parts.username is not None:
        return f"base_url {value!r} holds a user name; it is shown in every page"
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        return f"base_url {value!r} has a query or a fragment; give the folder only"
    return None


def is_local_url(url: str) -> bool:
    """Whether `url` only works on this machine or is a documentation example: never where a
    published site lives."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host in ("localhost", "") or host.endswith(_RESERVED_SUFFIXES):
        return True
    if host in _EXAMPLE_DOMAINS or host.endswith(tuple("." + d for d in _EXAMPLE_DOMAINS)):
        return True
    if host == _PLACEHOLDER:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def github_repository(remote_url: str) -> tuple[str, str] | None:
    """(owner, repository) of a GitHub remote URL, https or ssh, else None."""
    match = re.match(_GITHUB_REMOTE, remote_url.strip(), re.IGNORECASE)
    return (match["owner"], match["repo"]) if match else None


def pages_url(owner: str, repo: str) -> str:
    """Where GitHub Pages serves a repository's site without a custom domain."""
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host)) and "_" not in host


def _name(char: str) -> str:
    if char == " ":
        return "a space"
    return f"the character U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})"
