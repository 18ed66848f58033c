"""Trends at a glance: papers per month as inline SVG bar charts, drawn at build time.

No JavaScript: the SVG is an image (`role="img"`) named by its <title> and described by its
<desc>; every bar carries its month and count (`data-month`, `data-count`) and a <title>
tooltip, and the template puts the same numbers in a table beside it. Colours come from the
theme's CSS (classes `chart-*`), so a dark scheme recolours the chart too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .models import Paper

Month = tuple[int, int]
SVG = "http://www.w3.org/2000/svg"


@dataclass(frozen=True, slots=True)
class Trend:
    """One series: papers per month, and how many papers have no date at all."""

    name: str
    counts: tuple[tuple[Month, int], ...]
    undated: int = 0

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def trend(name: str, papers: Iterable[Paper]) -> Trend:
    """Papers per month by the date a paper is filed under; undated papers counted apart."""
    counts: Counter[Month] = Counter()
    undated = 0
    for paper in papers:
        if paper.published or (paper.listed and not paper.added):
            counts[(paper.date.year, paper.date.month)] += 1
        else:
            undated += 1
    return Trend(name, tuple(sorted(counts.items())), undated)


# Empty months drawn between two that hold papers; a longer stretch is cut out of the axis
# (papers dated 1900 and 2999 drew 13,000 months in each topic's chart: a 29 MB page).
LONGEST_GAP = 12


def month_span(trends: Sequence[Trend]) -> list[Month]:
    """The months that hold papers in any series, and the empty months between two of them
    unless more than LONGEST_GAP in a row."""
    out: list[Month] = []
    for month in sorted({m for t in trends for m, _ in t.counts}):
        gap = _months_between(out[-1], month) if out else []
        if len(gap) <= LONGEST_GAP:
            out.extend(gap)
        out.append(month)
    return out


def _months_between(first: Month, last: Month) -> list[Month]:
    between = []
    year, month = _next(first)
    while (year, month) < last:
        between.append((year, month))
        year, month = _next((year, month))
    return between


def _next(month: Month) -> Month:
    return (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)


def month_name(month: Month) -> str:
    return dt.date(month[0], month[1], 1).strftime("%B %Y")


def month_key(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _papers(n: int) -> str:
    return f"{n} paper{'s' if n != 1 else ''}"


def describe(trends: Sequence[Trend], months: Sequence[Month]) -> str:
    """The chart in a sentence or two: span, total, busiest month, undated papers."""
    if not months:
        return "No dated papers."
    total = sum(t.total for t in trends)
    by_month: Counter[Month] = Counter()
    for t in trends:
        by_month.update(dict(t.counts))
    busiest, most = max(by_month.items(), key=lambda item: (item[1], item[0]))
    text = (
        f"{_papers(total)} from {month_name(months[0])} to {month_name(months[-1])}; "
        f"the busiest month is {month_name(busiest)} with {_papers(most)}."
    )
    undated = sum(t.undated for t in trends)
    if undated:
        text += f" {_papers(undated)} without a date of their own are not shown."
    return text


# -- drawing ------------------------------------------------------------------------------------

WIDTH = 640
NARROW = 360  # a phone's width in CSS pixels, less the page's margins: drawn 1:1 there
PLOT_LEFT = 36
PLOT_RIGHT = 8
ROW_HEIGHT = 26
LABEL_WIDTH = 190
TOTAL_WIDTH = 44
YEAR_LABEL_WIDTH = 32  # "2024" at 11 px, and a gap


def fitted(draw: Callable[..., Markup], *args: object) -> Markup:
    """A chart drawn twice, for a wide screen and for a phone, the theme's CSS showing one:
    scaled down to a phone, the wide one's labels were 6 px (or it kept its width and
    scrolled inside its box, issue 20)."""
    return draw(*args) + draw(*args, width=NARROW)


def bar_chart(series: Trend, chart_id: str, title: str, width: int = WIDTH) -> Markup:
    """One series as bars over its months, with a y-axis maximum and year ticks."""
    months = month_span([series])
    height, top, bottom = (150 if width == WIDTH else 120), 14, 22
    peak = max((n for _, n in series.counts), default=0)
    plot = _Plot(PLOT_LEFT, width - PLOT_RIGHT, months)
    parts = [_open(chart_id, title, describe([series], months), height, width)]
    parts.append(
        _line("chart-axis", PLOT_LEFT, height - bottom, width - PLOT_RIGHT, height - bottom)
    )
    parts.append(_text("chart-label", PLOT_LEFT - 6, top + 4, str(peak), "end"))
    parts.append(_text("chart-label", PLOT_LEFT - 6, height - bottom, "0", "end"))
    parts.extend(plot.bars(dict(series.counts), top, height - bottom, peak))
    parts.extend(plot.year_ticks(height - bottom, height - 6))
    parts.append("</svg>")
    return Markup("".join(parts))


def small_multiples(
    trends: Sequence[Trend], chart_id: str, title: str, width: int = WIDTH
) -> Markup:
    """One row of bars per series on a shared time axis and a shared scale, so rows compare.
    Wide: the name on the left, the total on the right. Narrow (a phone): the name and the
    total above the row's bars, which take the whole width."""
    months = month_span(trends)
    wide = width == WIDTH
    top, axis = 6, 20
    row = ROW_HEIGHT if wide else 44
    height = top + row * len(trends) + axis
    peak = max((n for t in trends for _, n in t.counts), default=0)
    plot = _Plot(LABEL_WIDTH, width - TOTAL_WIDTH, months) if wide else _Plot(2, width - 2, months)
    parts = [_open(chart_id, title, describe(trends, months), height, width, "chart-rows")]
    for i, series in enumerate(trends):
        y0 = top + row * i
        base = y0 + row - 4
        parts.append(f'<g class="chart-row" data-series="{escape(series.name)}">')
        if wide:
            parts.append(_text("chart-name", LABEL_WIDTH - 8, base - 4, _short(series.name), "end"))
            parts.append(_text("chart-label", width - 4, base - 4, str(series.total), "end"))
            bars_top = y0 + 2
        else:
            parts.append(_text("chart-name", 2, y0 + 13, _short(series.name, 40), "start"))
            parts.append(_text("chart-label", width - 2, y0 + 13, str(series.total), "end"))
            bars_top = y0 + 18
        parts.append(_line("chart-axis", plot.left, base, plot.right, base))
        parts.extend(plot.bars(dict(series.counts), bars_top, base, peak, series.name))
        parts.append("</g>")
    parts.extend(plot.year_ticks(height - axis, height - 6))
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(name: str, limit: int = 26) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _Plot:
    """Months placed on the x axis between `left` and `right`."""

    left: float
    right: float
    months: Sequence[Month]

    @property
    def step(self) -> float:
        return (self.right - self.left) / max(len(self.months), 1)

    def x(self, i: int) -> float:
        return self.left + i * self.step

    def bars(
        self, counts: dict[Month, int], top: float, base: float, peak: int, series: str = ""
    ) -> list[str]:
        width = max(self.step * 0.8, 0.5)
        out = []
        for i, month in enumerate(self.months):
            n = counts.get(month, 0)
            h = (base - top) * n / peak if peak else 0.0
            tip = f"{month_name(month)}: {_papers(n)}" + (f" in {series}" if series else "")
            out.append(
                f'<rect class="chart-bar" x="{_num(self.x(i) + self.step * 0.1)}" '
                f'y="{_num(base - h)}" width="{_num(width)}" height="{_num(h)}" '
                f'data-month="{month_key(month)}" data-count="{n}">'
                f"<title>{escape(tip)}</title></rect>"
            )
        return out

    def year_ticks(self, axis: float, label_y: float) -> list[str]:
        """A tick and a label at each January, at the first month and after each cut (see
        month_span), thinned from the right so no two labels overlap (the first month's
        label gives way to a January just after it)."""
        months = self.months
        starts = [
            i
            for i, month in enumerate(months)
            if month[1] == 1 or i == 0 or _next(months[i - 1]) != month
        ]
        out = []
        last = float("inf")
        for i in reversed(starts):
            x = self.x(i)
            if last - x < YEAR_LABEL_WIDTH:
                continue
            last = x
            out.append(_line("chart-tick", x, axis, x, axis + 4))
            out.append(_text("chart-label", x, label_y, str(self.months[i][0]), "start"))
        return out


def _open(chart_id: str, title: str, desc: str, height: float, width: int, cls: str = "") -> str:
    """The <svg> start; the narrow drawing's ids end in `-narrow`, its class says which."""
    if width != WIDTH:
        chart_id += "-narrow"
    cls = f"chart {cls} {'chart-for-wide' if width == WIDTH else 'chart-for-narrow'}"
    return (
        f'<svg xmlns="{SVG}" class="{" ".join(cls.split())}" id="{chart_id}" '
        f'viewBox="0 0 {width} {_num(height)}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _line(cls: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line class="{cls}" x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}"/>'


def _text(cls: str, x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text class="{cls}" x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def _num(value: float) -> str:
    """Coordinates with at most two decimals, so the output is stable and short."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def table_rows(trends: Sequence[Trend]) -> list[tuple[str, str, list[int]]]:
    """The chart's numbers for a table: per month (name, key, count per series)."""
    months = month_span(trends)
    counts = [dict(t.counts) for t in trends]
    return [(month_name(m), month_key(m), [c.get(m, 0) for c in counts]) for m in months]
