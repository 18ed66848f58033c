"""The seed site in a real browser: layout at desktop and phone widths, no errors or stray
requests, and no serious accessibility violations (axe-core) in light and dark schemes."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
AXE = REPO / "tests" / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
PAPER = "papers/r-2-tuning-efficient-image-to-video-transfer-learning-for-video-temporal/"
# the pages of issue 20's list (search has its own tests): each fits a phone and passes axe
PAGES = {
    "home": "",
    "paper": PAPER,
    "undated paper": "papers/l2cocc-a-lightweight-camera-centric-ssc-framework/",
    "topics": "topics/",
    "topic": "topics/vision/",
    "tag": "tags/llm/",
    "archive": "archive/",
    "month": "archive/2024/06/",
    "listing": "listings/001-c63e4098a0858a32/",
}


def no_horizontal_scroll(page) -> None:
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"the page scrolls sideways: {scroll}px wide in {inner}px"


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_and_loads_cleanly(name: str, width: int, seed_url: str, open_page) -> None:
    page, watch = open_page(seed_url + PAGES[name], width=width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name.replace(' ', '-')}-{width}.png"), full_page=True)
    no_horizontal_scroll(page)
    assert page.locator("h1").count() == 1
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert watch.problems() == []


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["topics/", "topics/vision/"])
def test_trend_charts_are_drawn_to_fit(path: str, width: int, seed_url: str, open_page) -> None:
    """One drawing of each chart is shown, as wide as its figure at most, not scrolling in
    its box, its labels at 10 px or more (a wide chart scaled down to a phone drew them at
    6 px; kept at its width, it scrolled inside its box)."""
    page, watch = open_page(seed_url + path, width=width)
    charts = page.eval_on_selector_all(
        ".trend figure",
        """figures => figures.map(f => {
            const svgs = [...f.querySelectorAll('svg.chart')];
            const shown = svgs.filter(s => s.getClientRects().length);
            const svg = shown[0];
            const wide = svg.getBoundingClientRect().width;
            const label = svg && svg.querySelector('text');
            return {
                shown: shown.length,
                fits: f.scrollWidth <= f.clientWidth && wide <= f.clientWidth,
                px: label ? label.getBoundingClientRect().height : 0,
            };
        })""",
    )
    assert charts, f"no chart on {path}"
    for chart in charts:
        assert chart["shown"] == 1 and chart["fits"], chart
        assert chart["px"] >= 10, f"labels drawn at {chart['px']:.1f} px"
    assert watch.problems() == []


def test_paper_math_renders_as_mathml(seed_url: str, open_page) -> None:
    page, watch = open_page(seed_url + PAPER)
    box = page.locator("h1 math").bounding_box()
    assert box is not None and box["width"] > 5 and box["height"] > 5
    assert watch.problems() == []


def test_the_404_page_works_from_a_deep_missing_path(seed_url: str, open_page) -> None:
    page, watch = open_page(seed_url + "no/such/paper/here/")
    assert page.locator("h1").inner_text() == "Page not found"
    problems = [p for p in watch.problems() if "404" not in p]  # the page's own status
    assert problems == []
    assert page.evaluate("document.styleSheets.length") >= 1
    page.locator("main a", has_text="home page").click()
    page.wait_for_load_state()
    assert page.url == seed_url


def test_slash_focuses_the_search_box(seed_url: str, open_page) -> None:
    page, _ = open_page(seed_url)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"


def serious_violations(page) -> list[str]:
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"][0]) for n in v["nodes"][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(name: str, seed_url: str, open_page) -> None:
    """axe-core in the light scheme, then again in the dark one on the same page."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (npm install --prefix tests/.tools axe-core@4)")
    page, watch = open_page(seed_url + PAGES[name])
    page.add_script_tag(path=str(AXE))
    found = {"light": serious_violations(page)}
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    found["dark"] = serious_violations(page)
    assert found == {"light": [], "dark": []}
    assert watch.problems() == []


@pytest.mark.parametrize("width", [1280, 390])
def test_compact_theme_rows(width: int, compact_url: str, open_page) -> None:
    page, watch = open_page(compact_url, width=width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"compact-home-{width}.png"))
    no_horizontal_scroll(page)
    heights = page.eval_on_selector_all(
        ".paper-row", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    line = page.eval_on_selector(".row-title", "a => parseFloat(getComputedStyle(a).lineHeight)")
    assert len(heights) >= 10
    if width >= 1000:  # one line per paper on a desktop; wrapped titles on a phone
        assert max(heights) < 2 * line
    assert watch.problems() == []
