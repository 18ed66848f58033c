"""Pickled caches in .digest-cache/: each is a dict saved with a stamp (what it was made
with); a missing, damaged or differently stamped cache reads as empty, costing only time.

Tests: tests/test_session.py, tests/test_ahead.py, tests/adversarial/test_hostile_files.py
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .atomic import open_atomic
from .errors import DigestError

CACHE_DIR = ".digest-cache"


def load_cache(root: Path, name: str, stamp: object) -> dict[Any, Any]:
    try:
        with (root / CACHE_DIR / f"{name}.pickle").open("rb") as handle:
            saved_stamp, data = pickle.load(handle)
    except Exception:  # any unreadable cache is as good as none
        return {}
    return data if saved_stamp == stamp and isinstance(data, dict) else {}


def save_cache(root: Path, name: str, stamp: object, data: dict[Any, Any]) -> None:
    """Save a cache; one that cannot be pickled (a record nested thousands of levels deep)
    is not saved, which costs the next build time, never its result."""
    folder = root / CACHE_DIR
    path = folder / f"{name}.pickle"
    try:  # streamed: at 100,000 papers the ingest cache pickles to hundreds of MB
        folder.mkdir(parents=True, exist_ok=True)
        with open_atomic(path, durable=False) as handle:
            pickle.dump((stamp, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError, TypeError):
        path.unlink(missing_ok=True)
    except OSError as exc:  # a full disk: the old cache is whole (open_atomic)
        raise unsaved(path, exc) from exc


def unsaved(path: Path, exc: OSError) -> DigestError:
    """The one-line error of a cache that cannot be saved (it printed a traceback)."""
    return DigestError.at(
        str(path),
        None,
        f"cannot save the build cache: {exc.strerror or exc}",
        "free some disk space; the site's files are whole",
    )
