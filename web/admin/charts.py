"""Charts drawn on the server as plain SVG (no script, no inline style): the geometry is
computed here and ``admin/_charts.html`` writes the elements. Every chart is shown with a
table of the same figures for people who do not see it."""

from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext as _

# Colours with at least 3:1 contrast against white, told apart by the legend and the table.
COLOURS = ("#0b5cab", "#b35c00", "#1b7a2f", "#6b3fa0")


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # the value in words, shown as a tooltip


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    width: int
    height: int
    title: str
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)


def percent(value: float) -> str:
    return f"{format_decimal(round(value), format='#,##0')} %"


def grouped_percentages(
    title: str, groups: list[str], series: list[tuple[str, list[float | None]]]
) -> Chart:
    """Vertical bars, one group per x label (a week), one bar per series, 0–100 %."""
    width, height, left, bottom, top = 720, 300, 48, 40, 36
    plot_h = height - bottom - top
    chart = Chart(width, height, title)
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        chart.lines.append((left, y, width - 8, y))
        chart.labels.append(Label(left - 6, y + 4, f"{tick} %", "end"))
    slot = (width - left - 8) / max(1, len(groups))
    bar_w = min(22.0, (slot - 10) / max(1, len(series)))
    for i, group in enumerate(groups):
        x0 = left + i * slot + (slot - bar_w * len(series)) / 2
        for j, (name, values) in enumerate(series):
            value = values[i]
            if value is None:
                continue
            bar_h = plot_h * value / 100
            chart.bars.append(
                Bar(
                    x0 + j * bar_w,
                    top + plot_h - bar_h,
                    bar_w - 2,
                    max(bar_h, 1.0),
                    COLOURS[j % len(COLOURS)],
                    f"{name}, {group}: {percent(value)}",
                )
            )
        chart.labels.append(Label(left + i * slot + slot / 2, height - bottom + 18, group))
    chart.legend = [(COLOURS[j % len(COLOURS)], name) for j, (name, _v) in enumerate(series)]
    return chart


def horizontal_counts(title: str, rows: list[tuple[str, int]]) -> Chart:
    """One horizontal bar per row (e.g. open tasks per group), scaled to the largest."""
    row_h, left, top = 26, 230, 10
    width = 720
    height = top + row_h * max(1, len(rows)) + 10
    chart = Chart(width, height, title)
    largest = max((count for _name, count in rows), default=0) or 1
    for i, (name, count) in enumerate(rows):
        y = top + i * row_h
        bar_w = (width - left - 60) * count / largest
        chart.bars.append(
            Bar(left, y + 4, max(bar_w, 1.0), row_h - 8, COLOURS[0], f"{name}: {count}")
        )
        short = name if len(name) <= 30 else name[:29] + "…"  # fits the 222 px left of the bars
        chart.labels.append(Label(left - 8, y + row_h / 2 + 4, short, "end"))
        chart.labels.append(Label(left + bar_w + 6, y + row_h / 2 + 4, str(count), "start"))
    return chart


def age_text(hours: float) -> str:
    """An age or a duration in words: minutes, hours or days."""
    if hours < 1:
        return _("%(n)s min", n=max(0, round(hours * 60)))
    if hours < 48:
        return _("%(n)s h", n=format_decimal(round(hours, 1), format="#,##0.#"))
    return _("%(n)s días", n=format_decimal(round(hours / 24, 1), format="#,##0.#"))
