"""Search in the browser: time from a keystroke to the first result card, in Debian's
chromium, on a built site (median of 10 queries, each on a fresh page so nothing is cached
but what the browser caches over HTTP).

    python tests/perf/bench_keystroke.py SITE_OUTPUT      (a built site with its index)
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from chromium import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright
from static_host import serve

QUERIES = [
    "diffusion",
    "transformer",
    "language",
    "segmentation",
    "reinforcement",
    "retrieval",
    "quantization",
    "video",
    "benchmark",
    "graph",
]
# typed as a user would: the last key's input event starts the clock
TIMED = """async (word) => {
  const box = document.getElementById('site-search');
  box.value = word.slice(0, -1);
  const results = document.getElementById('search-results');
  const start = performance.now();
  const found = new Promise(resolve => {
    new MutationObserver((_, o) => {
      if (results.querySelector('.search-result')) { o.disconnect(); resolve(); }
    }).observe(results, { childList: true });
  });
  box.value = word;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  await found;
  return performance.now() - start;
}"""


def main(output: Path) -> None:
    with serve(output) as url, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        first: list[float] = []
        warm: list[float] = []
        for word in QUERIES:
            page = browser.new_page()
            page.goto(url + "search/")
            page.wait_for_selector(".facet", state="attached")  # the index is loaded
            first.append(page.evaluate(TIMED, word))
            page.evaluate("document.getElementById('site-search').value = ''")
            warm.append(page.evaluate(TIMED, word[:-1] + word[-1]))
            page.close()
        browser.close()
    print(
        f"keystroke to first result, {len(QUERIES)} queries: median {statistics.median(first):.0f} ms"
        f" (min {min(first):.0f}, max {max(first):.0f}); the same query again: median"
        f" {statistics.median(warm):.0f} ms (includes the box's 120 ms pause for typing)"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
