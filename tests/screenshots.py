"""Full-page screenshots of the seed site to look at (a script, not a test).

    python tests/screenshots.py [OUT]        (default: test-artifacts/screenshots, git-ignored)

Builds the repository's listings (search index included) into a temporary folder, serves it
on 127.0.0.1, and takes home, a paper with math, an undated paper, a topic, a tag, the
archive, a month, a listing, search with results (typed, and from a URL with a topic and
the date sort, its filters opened on a phone) and the header box's results in place, at
1280 and 390 px, light and dark,
in Debian's chromium driven by Playwright.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from generator.build import build_site  # noqa: E402

PAGES = {
    "home": "",
    "paper-math": "papers/r-2-tuning-efficient-image-to-video-transfer-learning-for-video"
    "-temporal/",
    "paper-undated": "papers/l2cocc-a-lightweight-camera-centric-ssc-framework/",
    "topics": "topics/",
    "topic": "topics/vision/",
    "tag": "tags/llm/",
    "archive": "archive/",
    "month": "archive/2024/06/",
    "listing": "listings/001-c63e4098a0858a32/",
    "search": "search/",
    "search-filtered": "search/?q=model&topic=Vision&sort=date",
    "search-peek": "topics/",
}
SEARCH_QUERY = "diffusion"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "site"
        shutil.copytree(REPO / "content", root / "content")
        shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
        result = build_site(root)
        assert result.ok, [d.format() for d in result.diagnostics if d.level == "error"]
        handler = functools.partial(_Quiet, directory=str(result.output))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            shoot(f"http://127.0.0.1:{server.server_port}/", out)
        finally:
            server.shutdown()
    print(f"screenshots in {out}")


def shoot(base: str, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        for scheme in ("light", "dark"):
            for width in (1280, 390):
                context = browser.new_context(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                page = context.new_page()
                for name, path in PAGES.items():
                    page.goto(base + path)
                    if name == "search":
                        page.locator("#site-search").fill(SEARCH_QUERY)
                    if name in ("search", "search-filtered"):
                        page.wait_for_selector("#search-results[aria-busy=false]", state="attached")
                    if name == "search-peek":  # the header box's results in place
                        page.locator("#site-search").fill(SEARCH_QUERY)
                        page.locator(".peek-item").first.wait_for()
                    if name == "search-filtered" and width < 600:
                        page.locator("#search-filters-toggle").click()
                    page.screenshot(
                        path=str(out / f"{name}-{width}-{scheme}.png"),
                        full_page=name not in ("search-peek",),
                    )
                context.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "test-artifacts" / "screenshots")
