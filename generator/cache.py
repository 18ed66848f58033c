"""Pickled caches in .digest-cache/: each is a dict saved with a stamp (what it was made
with); a missing, damaged or differently stamped cache reads as empty, costing only time."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .records import open_atomic

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
    folder.mkdir(parents=True, exist_ok=True)
    try:  # streamed: at 100,000 papers the ingest cache pickles to hundreds of MB
        with open_atomic(folder / f"{name}.pickle", durable=False) as handle:
            pickle.dump((stamp, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError, TypeError):
        (folder / f"{name}.pickle").unlink(missing_ok=True)
