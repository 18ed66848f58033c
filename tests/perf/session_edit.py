"""One-record edits in a running session (what `digest serve` does on each save), timed.

    python tests/perf/session_edit.py SITE        (run by bench.py; prints JSON)

The site is built once, then one record is edited and rebuilt, and the edit undone and
rebuilt, ROUNDS times per kind of edit: its notes, its tags (front matter: the paper leaves
its tag lists and joins a new one), its title (which also changes every list showing it
and, from 500 papers, starts related papers computing in the background). Each figure is
the build time in milliseconds, from the edit being known to the output files written:
the median (`kind`) and the fastest (`kind fastest`, what this machine's noise spares).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from generator.session import BuildSession

ROUNDS = 7


def timed(session: BuildSession, record: Path, text: str) -> float:
    record.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    session.build([str(record)])
    return (time.perf_counter() - start) * 1000


def main(site: Path) -> dict[str, float]:
    session = BuildSession(site, site / "digest.yaml", site / "site")
    session.build()
    records = sorted((site / "content" / "papers").glob("*.md"))
    record = records[len(records) // 2]
    original = record.read_text(encoding="utf-8")
    front, body = original.split("---\n", 2)[1:]
    meta = yaml.safe_load(front)

    def with_field(name: str, value: object) -> str:
        dumped = yaml.safe_dump({**meta, name: value}, sort_keys=False, allow_unicode=True)
        return f"---\n{dumped}---\n{body}"

    out: dict[str, float] = {}
    edits = {
        "notes": lambda i: f"---\n{front}---\n{body}\nA note, take {i}.\n",
        "tags": lambda i: with_field("tags", [f"Benchmark {i}"]),
        "title": lambda i: with_field("title", f"{meta['title']} (edit {i})"),
    }
    try:
        for name, make in edits.items():
            times = []
            for i in range(ROUNDS):
                times.append(timed(session, record, make(i)))
                timed(session, record, original)
            out[name] = statistics.median(times)
            out[f"{name} fastest"] = min(times)
    finally:
        record.write_text(original, encoding="utf-8")
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
