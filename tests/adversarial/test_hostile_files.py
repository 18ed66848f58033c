"""Listings and records that are not plain files of the site: links leading out of it, a
FIFO, /dev/zero, a file too big to read, and `-c` pointing at them. Each is one error
naming it, nothing of it is published, and the rest of the site builds (issue 19)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import Tally, guarded_build, make_root, time_limit

from generator.cli import main
from generator.reading import MAX_BYTES

SECRET = "TOPSECRET-4c1d"
SECRET_LISTING = f"Daily Papers\n\nApr 30\n\nThe {SECRET} Paper\n\nAn abstract of {SECRET}.\n"
SECRET_RECORD = f"---\ntitle: The {SECRET} Record\nabstract: {SECRET}\n---\n{SECRET} notes\n"


def _outside(root: Path, text: str) -> Path:
    secret = root.parent / f"secret-{len(text)}.txt"
    secret.write_text(text)
    return secret


def link_out(path: Path, root: Path) -> None:
    text = SECRET_RECORD if path.suffix == ".md" else SECRET_LISTING
    path.symlink_to(_outside(root, text))


def link_zero(path: Path, root: Path) -> None:
    path.symlink_to("/dev/zero")


def fifo(path: Path, root: Path) -> None:
    os.mkfifo(path)


def too_big(path: Path, root: Path) -> None:
    with path.open("wb") as file:  # sparse: no disk used
        file.truncate(MAX_BYTES + 1)


def link_proc(path: Path, root: Path) -> None:
    path.symlink_to("/proc/self/environ")


MAKERS: list[Callable[[Path, Path], None]] = [link_out, link_zero, fifo, too_big, link_proc]


@pytest.mark.parametrize("kind", ["content/listings/bad.txt", "content/papers/bad.md"])
@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_a_file_that_is_not_the_sites_own_is_one_error_and_skipped(
    kind: str, make: Callable[[Path, Path], None], tmp_path: Path, tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root")
    make(root / kind, root)
    tally.tried()
    started = time.monotonic()
    try:
        with time_limit(60):
            result = guarded_build(root, tally)
    except Exception:
        tally.note("hangs", f"{kind} made by {make.__name__}: the build did not finish")
        raise
    name = Path(kind).name
    errors = [d for d in result.diagnostics if d.level == "error"]
    assert [d.path.rsplit("/", 1)[-1] for d in errors] == [name], [d.format() for d in errors]
    assert time.monotonic() - started < 60
    published = [
        p for p in (root / "site").rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()
    ]
    assert published == [], f"{kind} ({make.__name__}) was published"
    assert (root / "site" / "index.html").is_file() and result.papers > 10


def test_a_link_inside_the_site_is_followed(tmp_path: Path, tally: Tally) -> None:
    root = make_root(tmp_path / "site-root", records={"kept.md": SECRET_RECORD})
    (root / "content" / "papers" / "linked.md").symlink_to(root / "content" / "papers" / "kept.md")
    tally.tried()
    result = guarded_build(root, tally)
    assert not [d.format() for d in result.diagnostics if d.level == "error"]


@pytest.mark.parametrize("make", [link_zero, fifo, too_big], ids=lambda f: f.__name__)
def test_a_config_that_is_not_a_file_is_a_one_line_error(
    make: Callable[[Path, Path], None], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_root(tmp_path / "site-root")
    config = root / "other.yaml"
    make(config, root)
    with time_limit(30):
        code = main(["build", "-c", str(config)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and "configuration" in err, err


# -- bad input that still crashed or hung (item 9) -----------------------------------------

BOMB = "\n".join(
    ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
)


def _config_with(root: Path, old: str, new: str, head: str = "") -> Path:
    config = root / "digest.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(head + text.replace(old, new, 1))
    return config


def _one_line_error(args: list[str], capsys: pytest.CaptureFixture[str], code: int = 1) -> str:
    with time_limit(30):
        found = main([*args, "-q"])  # only the errors: no stage lines
    err = capsys.readouterr().err.strip()
    assert found == code and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("description: ", "description: *l8\nold_description: "),  # a scalar
        ("keywords:\n", "keywords: *l8\n    old_keywords:\n"),  # a topic's list
    ],
)
def test_a_billion_laughs_in_digest_yaml_is_a_one_line_error(
    old: str, new: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root", seed=False)
    config = _config_with(root, old, new, head=BOMB + "\n")
    tally.tried()
    err = _one_line_error(["build", "-c", str(config)], capsys)
    assert "aliases" in err


def test_a_50_mb_description_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root", seed=False)
    config = _config_with(root, "description: ", "description: " + "x" * (50 << 20) + "\nx: ")
    tally.tried()
    _one_line_error(["build", "-c", str(config)], capsys)


@pytest.mark.parametrize("port", ["-1", "65536", "99999999999999999999"])
def test_a_port_out_of_range_is_a_one_line_usage_error(
    port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root", seed=False)
    tally.tried()
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "-c", str(root / "digest.yaml"), "--port", port])
    usage, err = capsys.readouterr().err.strip().splitlines()  # the usage, then what was wrong
    assert exit_info.value.code == 2 and usage.startswith("usage: digest serve"), err
    assert err.startswith("digest serve: error: argument --port:") and "65535" in err


def test_a_full_disk_while_saving_the_ingest_cache_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally, monkeypatch
) -> None:
    import errno

    from generator import cache

    root = make_root(tmp_path / "site-root")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "open_atomic", full)
    tally.tried()
    err = _one_line_error(["build", "-c", str(root / "digest.yaml")], capsys)
    assert "No space left on device" in err and ".pickle" in err


def test_an_invalid_date_in_a_record_is_reported_at_its_line(tmp_path: Path, tally: Tally) -> None:
    text = "---\ntitle: Bad Day\nabstract: x\ntags:\n- a\npublished: 2024-02-30\n---\nNotes\n"
    root = make_root(tmp_path / "site-root", records={"bad-day.md": text})
    tally.tried()
    result = guarded_build(root, tally)
    found = [d for d in result.diagnostics if d.path == "content/papers/bad-day.md"]
    assert [(d.level, d.line) for d in found] == [("error", 6)], [d.format() for d in found]


def test_a_record_that_links_inside_the_site_is_updated_through_the_link(
    tmp_path: Path, tally: Tally
) -> None:
    root = make_root(tmp_path / "site-root")
    guarded_build(root, tally)
    papers = root / "content" / "papers"
    record = sorted(papers.glob("*.md"))[0]
    kept = root / "notes" / record.name  # the user keeps the file elsewhere in the site
    kept.parent.mkdir()
    record.rename(kept)
    record.symlink_to(Path("..", "..", "notes", record.name))
    listings = root / "content" / "listings"
    seed = next(listings.iterdir())
    shutil.copy2(seed, listings / "again.txt")  # a second source for every paper
    tally.tried()
    guarded_build(root, tally)
    assert record.is_symlink(), "the link was replaced by a plain file"
    assert "again.txt" in kept.read_text(encoding="utf-8")
