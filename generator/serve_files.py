"""What a request names in the output folder: the file to send (never one outside the
folder) and its Content-Type.

Tests: tests/test_serve.py, tests/adversarial/test_hostile_output.py
"""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".bib": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".pagefind": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pf_filter": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".webmanifest": "application/manifest+json",
}


def content_type(path: Path | str) -> str:
    """The Content-Type of an output file; the table first, so it does not vary by system."""
    suffix = Path(path).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path), strict=False)
    return guessed or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Resolved:
    status: int  # 200, 301, 403 or 404
    file: Path | None = None
    location: str = ""


def resolve(root: Path, target: str) -> Resolved:
    """The file a request target names inside `root`. Anything that could leave `root`
    (`..` in any encoding, backslashes, NUL bytes, symlinks pointing out) is refused."""
    path, query = _split_target(target)
    if path is None:
        return Resolved(403)
    decoded = unquote(path, errors="replace")
    if "\x00" in decoded or "\\" in decoded:
        return Resolved(403)
    segments = [s for s in decoded.split("/") if s not in ("", ".")]
    if ".." in segments:
        return Resolved(403)
    if any(s.startswith(".") for s in segments):  # temp files of a build, caches: never served
        return Resolved(404)
    base = os.path.realpath(root)
    real = os.path.realpath(os.path.join(base, *segments))
    if not _inside(real, base):
        return Resolved(403)
    if os.path.isdir(real):
        if segments and not decoded.endswith("/"):
            location = "/" + "/".join(quote(s) for s in segments) + "/" + query
            return Resolved(301, location=location)
        real = os.path.realpath(os.path.join(real, "index.html"))
        if not _inside(real, base):
            return Resolved(403)
    return Resolved(200, Path(real)) if os.path.isfile(real) else Resolved(404)


def _inside(real: str, base: str) -> bool:
    return real == base or real.startswith(base + os.sep)


def _split_target(target: str) -> tuple[str | None, str]:
    """(path, "?query") of a request target, in origin form or absolute form."""
    for scheme in ("http://", "https://"):
        if target.lower().startswith(scheme):
            rest = target[len(scheme) :]
            target = rest[rest.find("/") :] if "/" in rest else "/"
    if not target.startswith("/"):
        return None, ""
    target = target.split("#", 1)[0]
    path, mark, query = target.partition("?")
    return path, mark + query
