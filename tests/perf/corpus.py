"""Generate a digest of N papers from the seed listings, for the benchmarks.

Titles get a variant suffix, dates spread over several years, abstracts keep their real
length; listings hold 100 papers each, in the daily-with-metadata format.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "content" / "listings"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
VARIANTS = [
    "Revisited",
    "Scaled",
    "Robust",
    "Sparse",
    "Lightweight",
    "Unified",
    "Adaptive",
    "Efficient",
    "Deep",
    "Neural",
]


def seed_papers() -> list[tuple[str, str]]:
    sys.path.insert(0, str(REPO))
    from generator.listings import parse_bytes
    from generator.titles import infer_title

    papers = []
    for path in sorted(SEEDS.iterdir()):
        listing = parse_bytes(path.read_bytes(), path.name)
        for entry in listing.entries:
            papers.append((entry.title or infer_title(entry.abstract), entry.abstract))
    return papers


def make_site(target: Path, n: int, seed: int = 7, distinct: bool = False) -> Path:
    """A site folder with digest.yaml and listings for `n` papers (no records yet).
    The variants of a seed paper share its abstract unless `distinct`."""
    rng = random.Random(seed)
    papers = seed_papers()
    if target.exists():
        shutil.rmtree(target)
    listings = target / "content" / "listings"
    listings.mkdir(parents=True)
    shutil.copy(REPO / "digest.yaml", target / "digest.yaml")
    years: dict[str, int] = {}
    for start in range(0, n, 100):
        lines = ["Daily Papers", ""]
        year = 2019 + (start // 100) % 7
        month = (start // 100) % 12
        lines += [f"{MONTHS[month]} {1 + (start // 1200) % 28}", ""]
        for i in range(start, min(n, start + 100)):
            title, abstract = papers[i % len(papers)]
            variant = f"{title} ({VARIANTS[i % len(VARIANTS)]} {i // len(papers)})"
            if distinct:
                abstract = f"Variant {i}: {abstract}"
            day = rng.randint(1, 28)
            lines += [
                variant,
                "",
                abstract,
                "",
                f"  • {rng.randint(1, 20)} authors",
                "·",
                f"{MONTHS[month]} {day}, {year}",
                "",
            ]
        name = f"{start // 100:05d}.txt"
        (listings / name).write_text("\n".join(lines), encoding="utf-8")
        years[name] = year
    config = (target / "digest.yaml").read_text()
    config = _set_years(config, years)
    (target / "digest.yaml").write_text(config)
    return target


def _set_years(config: str, years: dict[str, int]) -> str:
    head, rest = config.split("listing_years:", 1)
    rest = rest.split("\n\n", 1)[1]
    block = "listing_years:\n" + "".join(f"  {k}: {v}\n" for k, v in years.items())
    return head + block + "\n" + rest


if __name__ == "__main__":
    site = make_site(Path(sys.argv[1]), int(sys.argv[2]))
    print(site)
