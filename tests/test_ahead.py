"""ahead.Ahead: the classifications and related papers a cold build starts on the records
as read, before the merge, give the site a build without them gives; when the merge
changes the papers, the related papers are computed again from the merged records."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import ahead
from generator.build import build_site
from generator.cache import load_cache
from generator.config import load_config
from generator.incremental import taxonomy_stamp


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _cold_build(root: Path, out: Path, removed: dict[Path, str]) -> None:
    """A build from nothing but the records, with `removed` records missing (the merge makes
    them again from their listings)."""
    shutil.rmtree(root / ".digest-cache", ignore_errors=True)
    for record in removed:
        record.unlink(missing_ok=True)
    result = build_site(root, output=out, search=False, jobs=1)
    assert not [d for d in result.diagnostics if d.level == "error"]


@pytest.mark.parametrize("merge_changes", [False, True], ids=["records-kept", "records-made"])
def test_work_started_ahead_gives_the_site_a_build_without_it_gives(
    tmp_path: Path,
    new_site: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    merge_changes: bool,
) -> None:
    root = new_site(tmp_path / "s", search=False)
    build_site(root, output=tmp_path / "first", search=False)  # makes the records
    records = sorted((root / "content" / "papers").glob("*.md"))
    removed = {r: r.read_text() for r in records[5:8]} if merge_changes else {}

    started: list[tuple[bool, bool, int]] = []
    start = ahead.Ahead.start

    def spied(self: ahead.Ahead, found: dict) -> None:  # type: ignore[type-arg]
        start(self, found)
        started.append((self.classes is not None, self.pending is not None, len(found)))

    monkeypatch.setattr(ahead.Ahead, "start", spied)
    monkeypatch.setattr(ahead, "CLASSIFY_FROM", 1)
    _cold_build(root, tmp_path / "ahead", removed)
    assert started == [(True, True, len(records) - len(removed))]
    config, _ = load_config(root / "digest.yaml")
    classes = load_cache(root, "classes", taxonomy_stamp(config))
    assert len(classes) >= len(records) - len(removed)  # saved for the next build

    monkeypatch.setattr(ahead.Ahead, "start", lambda self, found: None)
    _cold_build(root, tmp_path / "plain", removed)
    assert _digests(tmp_path / "ahead") == _digests(tmp_path / "plain")
    for record, text in removed.items():
        assert record.read_text() == text  # made again by the merge


def test_a_failed_build_stops_what_it_started(
    tmp_path: Path, new_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import incremental

    root = new_site(tmp_path / "s", search=False)
    build_site(root, search=False)
    shutil.rmtree(root / ".digest-cache")
    monkeypatch.setattr(ahead, "CLASSIFY_FROM", 1)
    made: list[ahead.Ahead] = []
    monkeypatch.setattr(incremental, "Ahead", lambda *a: made.append(ahead.Ahead(*a)) or made[-1])

    def fails(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(incremental, "save_ingest", fails)
    with pytest.raises(OSError):
        build_site(root, search=False)
    assert made and made[0].classes is None and made[0].pending is None
