"""Properties: whatever the bytes, the detector, the parsers and the ingest step raise nothing
but DigestError, and every paper they emit has a title and a safe slug."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config import load_config
from generator.errors import DigestError
from generator.ingest import ingest
from generator.listings import parse_bytes
from generator.records import dump_record, parse_record
from generator.slugs import MAX_LENGTH, slugify
from generator.titles import infer_title

REPO = Path(__file__).resolve().parents[1]
SEEDS = {p.name: p.read_bytes() for p in sorted((REPO / "content/listings").iterdir())}
SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PIECES = [
    "Apr 30", "Jun 4, 2024", "Feb 17 2", "Feb 29", "Sept 11", "  • 3 authors", "·", "1 author",
    "Abstract:", "Abstract:We propose TinyNet, a small net.", "new", "Subscribe", "Daily Papers",
    "Zhejiang University", "$R^2$-Tuning: Fast", "\\textbf{Bold} claim.", "https://github.com/a/b",
    "We propose X. It works well. It is long enough to be an abstract for sure, we hope.",
    "", " ", "\t", "\r", "\r\n", "\n", "\ufeff", "\x00", "\u2028", "\x85", "é", "模型", "..", "/",
    ".", ":", "???", "Abstract:.", "Abstract: ; ", "Abstract:\\emph{.}",
]  # fmt: skip
OPS = st.lists(
    st.tuples(st.sampled_from(["drop", "dup", "swap", "cut"]), st.integers(0, 9999), st.integers()),
    max_size=25,
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    """The seed with lines dropped, duplicated, swapped and truncated."""
    lines = data.split(b"\n")
    for op, i, j in ops:
        if not lines:
            break
        i %= len(lines)
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            k = j % len(lines)
            lines[i], lines[k] = lines[k], lines[i]
        else:
            lines[i] = lines[i][: j % (len(lines[i]) + 1)]
    return b"\n".join(lines)


listing_bytes = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(PIECES) | st.text(max_size=40), max_size=60).map(
        lambda parts: "\n".join(parts).encode("utf-8", "surrogatepass")
    ),
    st.tuples(st.sampled_from(sorted(SEEDS)), OPS).map(lambda s: mutate(SEEDS[s[0]], s[1])),
)


def assert_safe_slug(slug: str) -> None:
    assert SAFE_SLUG.fullmatch(slug) and len(slug) <= MAX_LENGTH, slug
    assert "/" not in slug and "\\" not in slug and ".." not in slug and slug[0] != "."


def check_listing(data: bytes, name: str) -> None:
    try:
        listing = parse_bytes(data, name)
    except DigestError:
        return
    lines = data.count(b"\n") + data.count(b"\r") + 1
    for diag in listing.diagnostics:
        assert diag.path == name and (diag.line is None or 1 <= diag.line <= lines), diag
    for entry in listing.entries:
        assert entry.title or entry.abstract
        title = entry.title or infer_title(entry.abstract)
        assert title.strip(), entry
        assert_safe_slug(slugify(title))


@settings(max_examples=300, deadline=None)
@given(listing_bytes)
def test_detector_and_parsers_take_any_bytes(data):
    check_listing(data, "fuzz.txt")


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(SEEDS)), OPS)
def test_parsers_take_damaged_seeds(name, ops):
    check_listing(mutate(SEEDS[name], ops), name)


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory, new_site):
    root = new_site(tmp_path_factory.mktemp("fuzz"), listings=None)
    config, _ = load_config(root / "digest.yaml")
    return root, config


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(listing_bytes, min_size=1, max_size=3))
def test_ingest_takes_any_listings(fuzz_site, files):
    root, config = fuzz_site
    paths = []
    for i, data in enumerate(files):
        path = root / "content/listings" / f"{i}.txt"
        path.write_bytes(data)
        paths.append(path)
    try:
        result = ingest(root, config, paths, dry_run=True)
    except DigestError:
        return
    assert not (root / "content/papers").exists()
    for slug, record in result.records.items():
        assert isinstance(record.meta["title"], str) and record.meta["title"].strip()
        assert_safe_slug(slug)
        text = dump_record(record)
        again, problems = parse_record(text, slug, f"{slug}.md")
        assert problems == [] and again is not None and again.meta == record.meta
    assert len(set(result.new)) == len(result.new) == len(result.records)
