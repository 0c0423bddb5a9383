"""Charts drawn on the server as inline SVG (pygal), with no script: the CSP forbids inline
scripts, and every chart's numbers are also shown in a table beside it.
"""

import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from markupsafe import Markup

from matchmaker.web.labels import wan

if TYPE_CHECKING:
    from pygal.style import Style

FONT = '"PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif'
STYLE = dict(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b2430",
    foreground_strong="#1b2430",
    foreground_subtle="#4a5565",
    colors=("#0b5cad", "#1d6b35", "#8a4b00", "#b3261e", "#5b3cc4"),
    # Every text in the chart in the site's Chinese-first font stack.
    **{
        f"{part}font_family": FONT
        for part in (
            "",
            "title_",
            "label_",
            "major_label_",
            "legend_",
            "value_",
            "value_label_",
            "tooltip_",
            "no_data_",
        )
    },
    title_font_size=20,
    label_font_size=16,
    major_label_font_size=16,
    legend_font_size=16,
    value_font_size=15,
    opacity="1",
    opacity_hover="1",
    transition="0s",
)

Series = Sequence[tuple[str, Sequence[float | int]]]
MARGIN = 20  # pygal's own margin around the plot, px


@cache
def _style() -> "Style":
    # pygal is imported when the first chart is drawn, not with the app (see test_startup).
    from pygal.style import Style

    return Style(**STYLE)


def _room_for(labels: Sequence[str]) -> int:
    """Pixels pygal leaves out for the widest label: it reckons every character 0.6 of the
    font size wide, and a Chinese one is a whole (西部科学城重庆高新区 was cut short)."""
    wide = (sum(unicodedata.east_asian_width(ch) in "WF" for ch in str(label)) for label in labels)
    return round(max(wide, default=0) * 0.4 * STYLE["label_font_size"])


_NO_AXES = {"show_x_labels": False, "show_y_labels": False, "show_y_guides": False}


def _config(title: str, labels: Sequence[str], series: Series) -> dict[str, Any]:
    return {
        "title": title,
        "style": _style(),
        # Self-contained SVG: no XML declaration (it sits inside HTML), no external scripts.
        "disable_xml_declaration": True,
        "js": [],
        "explicit_size": False,  # scales with the page through its viewBox
        "width": 800,
        "height": max(320, 60 + 28 * len(labels)) if len(labels) > 8 else 360,
        "show_legend": len(series) > 1,
        "legend_at_bottom": True,
        "truncate_label": -1,
        "truncate_legend": -1,
        "print_values": False,  # the numbers are in the table beside the chart
        # At most this many ticks on a value axis: pygal's default of 16 ran together.
        "max_scale": 7,
        "no_data_text": _("No data yet"),
        "tooltip_fancy_mode": False,
        # Axis labels grouped as the tables beside them are (12,000, not 12000).
        "value_formatter": wan,
        **_whole_numbers(series),
        **({} if series else _NO_AXES),
    }


def _with_data(labels: Sequence[str], series: Series) -> tuple[Sequence[str], Series]:
    """The labels and series to draw: none where every value is zero or missing, so that the
    chart says "No data yet" (pygal says it only for a chart without labels or series) and
    draws no axis of fractions of a pairing."""
    if not any(value for _, values in series for value in values):
        return [], []
    return labels, series


def _whole_numbers(series: Series) -> dict[str, Any]:
    """Counts up to ten get one label per whole number: pygal's own ticks would be 0.2, 0.4…
    (half a pairing). Larger counts and amounts keep pygal's ticks."""
    values = [value for _, values in series for value in values if value is not None]
    if not values or max(values) > 10 or not all(float(v).is_integer() for v in values):
        return {}
    return {"y_labels": list(range(int(max(values)) + 1))}


def _strip_scripts(root: Any) -> Any:
    """Remove pygal's inline configuration <script> (js=[] only drops the external ones)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    root.set("role", "img")
    return root


def render(chart: Any) -> Markup:
    """The chart as inline SVG markup (pygal escapes all text it places)."""
    chart.add_xml_filter(_strip_scripts)
    svg = chart.render(is_unicode=True)
    if "<script" in svg:  # the CSP would block it anyway; never send it
        raise ValueError("chart SVG contains a script")
    return Markup(svg)  # noqa: S704  (pygal's XML writer escapes all text)  # nosec B704


def bars(
    title: str,
    labels: Sequence[str],
    series: Series,
    *,
    horizontal: bool = False,
    logarithmic: bool = False,
) -> Markup:
    """A bar chart, one bar group per label, one bar colour per series; optionally on a
    logarithmic scale, where 10 still shows beside 8,295 (a zero has no bar there)."""
    labels, series = _with_data(labels, series)
    config = _config(title, labels, series)
    if logarithmic:
        config["logarithmic"] = True
        series = [(name, [value or None for value in values]) for name, values in series]
        # The axis starts below the smallest stage, or that stage's bar has no height at all.
        shown = [value for _, values in series for value in values if value]
        if shown:
            low, high = min(shown) / 2, max(shown)
            config["range"] = (low, high)
            config["zero"] = low
            # Powers of ten only: pygal labels all nine ticks of a decade, which run together.
            config["y_labels"] = [10**n for n in range(7) if low <= 10**n <= high]
    import pygal

    if horizontal:
        # pygal stacks horizontal bars bottom-up; reversed, they read top-down like the table.
        config["margin_left"] = MARGIN + _room_for(labels)
        chart = pygal.HorizontalBar(**config)
        chart.x_labels = list(reversed(labels))
        for name, values in series:
            chart.add(name, list(reversed(values)))
        return render(chart)
    chart = pygal.Bar(**config, margin_right=MARGIN + _room_for(labels))
    chart.x_labels = list(labels)
    if len(labels) > 6:
        chart.x_label_rotation = 30
    for name, values in series:
        chart.add(name, list(values))
    return render(chart)


def lines(title: str, labels: Sequence[str], series: Series) -> Markup:
    """A line chart over ordered labels (e.g. batches), one line per series."""
    import pygal

    labels, series = _with_data(labels, series)
    # The last label is centred on the right edge of the plot: half of it lies beyond
    # ("Batch 1 of 2026" was cut to "Batch 1 of 20").
    beyond = round(len(str(labels[-1])) * 0.3 * STYLE["label_font_size"]) if labels else 0
    chart = pygal.Line(
        **_config(title, labels, series), margin_right=MARGIN + _room_for(labels) + beyond
    )
    chart.x_labels = list(labels)
    if len(labels) > 6:
        chart.x_label_rotation = 30
    for name, values in series:
        chart.add(name, list(values))
    return render(chart)
