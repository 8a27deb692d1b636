"""The figures' charts: drawn on the server by pygal as SVG, readable without JavaScript.

One place draws every chart, for the dashboard and the PDF reports alike. What a chart shows
comes with it as a data table (`Chart.table`), which the page puts beside the chart for screen
readers and for anyone who wants the numbers, and which the CSV export writes out.

Inside the picture there is only what reads the same in every language: numbers, ISO periods
(2026-03, 2026-W11) and category codes. Names (the series, the title) are printed by the page
around the picture, in the reader's language and direction: WeasyPrint, which prints the PDF
reports, lays out SVG text without the bidirectional algorithm, so Arabic words inside the
picture would print in the wrong order.

The SVG goes inline into pages whose Content Security Policy allows no inline script or style
without the page's nonce: pygal's `<script>` element (its tooltips, which need JavaScript) and
its tooltip layer are taken out of the tree it builds, and its one `<style>` element is given
the nonce.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

import pygal
from pygal.style import Style

# Colour-blind-safe (Okabe and Ito), dark enough on white for bars and lines; the page's
# legend draws its swatches from the same list.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#222",
    foreground_subtle="#bbb",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family="DejaVu Sans, Verdana, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
)
WIDTH, HEIGHT = 720, 300


@dataclass(frozen=True)
class Series:
    name: str  # in the reader's language: shown in the legend and the table, never the SVG
    values: Sequence[float | int | None]


@dataclass(frozen=True)
class Chart:
    """A chart and its data: `svg` (inline-ready), `legend` (name, colour) and `table`."""

    title: str
    svg: str
    legend: list[tuple[str, str]]
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _inline_svg(chart: pygal.graph.graph.Graph, *, title: str, nonce: object, height: int) -> str:
    """The chart's SVG element, fit to go inline into a page with our CSP (see above)."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            # Comments (pygal's name, version and the date) have no string tag.
            tag = child.tag if isinstance(child.tag, str) else ""
            if not tag or tag.endswith("script") or "tooltip-overlay" in child.get("class", ""):
                parent.remove(child)
            elif tag.endswith("style") and nonce is not None:
                child.set("nonce", str(nonce))
    # The table beside the chart carries its content for screen readers; the picture is named.
    tree.set("role", "img")
    tree.set("aria-label", title)
    tree.set("width", str(WIDTH))
    tree.set("height", str(height))
    return ET.tostring(tree, encoding="unicode")


def _config(**extra: object) -> dict[str, object]:
    return {
        "style": _STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "js": [],
        "show_legend": False,
        "disable_xml_declaration": True,
        "print_values": False,
        "margin": 8,
        "min_scale": 2,
        "max_scale": 6,
        **extra,
    }


def bars(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_header: str,
    nonce: object = None,
    horizontal: bool = False,
) -> Chart:
    """Bars per label (a period, a category), one colour per series, with their table."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    return _chart(kind, title, labels, series, label_header, nonce, truncate_label=-1)


def lines(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_header: str,
    nonce: object = None,
) -> Chart:
    """A line per series over the labels (periods); a gap where a value is None."""
    return _chart(
        pygal.Line,
        title,
        labels,
        series,
        label_header,
        nonce,
        allow_interruptions=True,
        dots_size=2.5,
    )


def _chart(
    kind: type[pygal.graph.graph.Graph],
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    label_header: str,
    nonce: object,
    **options: object,
) -> Chart:
    horizontal = kind is pygal.HorizontalBar
    # Many periods: slanted labels, and only every few of them, so they never overlap.
    many = len(labels) > 16 and not horizontal
    # Horizontal bars (categories) take the height their number needs.
    height = max(120, 50 + 36 * len(labels)) if horizontal else HEIGHT
    chart = kind(
        **_config(
            height=height,
            x_label_rotation=45 if many else 0,
            show_minor_x_labels=not many,
            x_labels_major_every=max(1, len(labels) // 12) if many else None,
            **options,
        )
    )
    chart.x_labels = list(labels)
    values = [v for one in series for v in one.values if v is not None]
    if all(isinstance(v, int) for v in values):
        # Counts: whole numbers on the scale (pygal would mark 0.4, 0.8 ... under 2).
        chart.y_labels = count_ticks(int(max(values, default=0)))
    for one in series:
        # A series' name goes in the page's legend and table, never into the picture.
        chart.add("", list(one.values))
    return Chart(
        title=title,
        svg=_inline_svg(chart, title=title, nonce=nonce, height=height),
        legend=[(one.name, COLOURS[i % len(COLOURS)]) for i, one in enumerate(series)],
        header=[label_header, *(one.name for one in series)],
        rows=[[label, *(cell(one.values[i]) for one in series)] for i, label in enumerate(labels)],
    )


def count_ticks(most: int) -> list[int]:
    """Whole-number marks from 0 past `most`, about five of them, a step of 1, 2 or 5 times a
    power of ten."""
    step = 1
    while most / step > 5:
        for factor in (2, 5 / 2, 2):  # 1 -> 2 -> 5 -> 10 -> 20 ...
            step = round(step * factor)
            if most / step <= 5:
                break
    top = -(-max(most, 1) // step) * step
    return list(range(0, top + 1, step))


# What a table shows where there is no value (no duration in a period without any).
NO_VALUE = "\N{EN DASH}"


def cell(value: float | int | None) -> str:
    """A value as a table cell: counts as they are, hours to one decimal."""
    if value is None:
        return NO_VALUE
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
