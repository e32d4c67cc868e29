"""Charts drawn from one plain description, for the three places reports show them.

A ``Chart`` (title, bar or line, categories, named series, units) is the only input:

- ``svg(chart)`` draws it for pages as inline SVG markup. It is written here rather than by a
  plotting library because the pages' Content-Security-Policy forbids inline ``style``
  attributes (which library SVG is full of); presentation attributes are allowed. The markup is
  an accessible image (``role="img"``, ``<title>`` and ``<desc>`` with every figure), so a page
  need not repeat the data for screen readers, though a table beside it is still good practice.
- ``png(chart)`` renders it with matplotlib's Agg backend (a pip wheel, no system libraries)
  for fpdf2, which embeds raster images reliably.
- ``add_to_sheet(ws, chart, anchor)`` writes the data into the worksheet as numbers and adds a
  native openpyxl chart over them, so the spreadsheet's reader can re-plot or re-use them.

Values are numbers or ``None`` (no data: a gap, not a zero).
"""

import io
from dataclasses import dataclass, field
from html import escape
from typing import Literal

Kind = Literal["bar", "line"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and dark enough
# against white for the 3:1 contrast graphics need.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    title: str
    kind: Kind
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    units: str = ""
    # An optional horizontal reference line (a floor or a target), e.g. the 50 % review share.
    target: float | None = None
    target_label: str = ""
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("bar", "line"):
            raise ValueError(f"unknown chart kind {self.kind!r}")
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(
                    f"series {series.name!r} has {len(series.values)} values "
                    f"for {len(self.categories)} categories"
                )

    def maximum(self) -> float:
        values = [v for s in self.series for v in s.values if v is not None]
        if self.target is not None:
            values.append(self.target)
        return max(values, default=0.0)


def chart(
    title: str,
    kind: Kind,
    categories: list[str] | tuple[str, ...],
    series: dict[str, list[float | None]] | list[tuple[str, list[float | None]]],
    units: str = "",
    **options: object,
) -> Chart:
    """Build a ``Chart`` from plain lists and a ``{name: values}`` mapping (kept in order)."""
    pairs = series.items() if isinstance(series, dict) else series
    return Chart(
        title=title,
        kind=kind,
        categories=tuple(categories),
        series=tuple(Series(name, tuple(values)) for name, values in pairs),
        units=units,
        **options,  # type: ignore[arg-type]
    )


def format_value(value: float | None, units: str = "") -> str:
    """A figure as people read it in es-CO: decimal comma, no trailing ``,0``."""
    if value is None:
        return "sin datos"
    text = f"{value:,.1f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    if text.endswith(",0"):
        text = text[:-2]
    return f"{text} {units}".strip() if units else text


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axis_ceiling(chart: Chart) -> float:
    """The top of the value axis: 100 for percentages, a multiple of 4 for small counts (so the
    four grid steps fall on whole numbers), else a round number above the largest value."""
    top = chart.maximum()
    if chart.units == "%" and top <= 100:
        return 100.0
    values = [v for s in chart.series for v in s.values if v is not None]
    if values and all(float(v).is_integer() for v in values) and top <= 20:
        return float(max(4, 4 * -(-int(top) // 4)))
    return _nice_ceiling(top)


def _describe(chart: Chart) -> str:
    parts = [chart.description] if chart.description else []
    for series in chart.series:
        figures = "; ".join(
            f"{category}: {format_value(value, chart.units)}"
            for category, value in zip(chart.categories, series.values, strict=True)
        )
        parts.append(f"{series.name}: {figures}.")
    if chart.target is not None:
        parts.append(f"{chart.target_label or 'Referencia'}: {format_value(chart.target)}.")
    return " ".join(parts)


# SVG geometry (user units; the drawing scales to its container through viewBox).
_WIDTH, _HEIGHT = 560, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 16, 40, 76


def svg(chart: Chart, element_id: str = "") -> str:
    """Inline SVG markup for a page (safe to mark as ``Markup``: every text is escaped)."""
    ceiling = _axis_ceiling(chart)
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    count = max(len(chart.categories), 1)
    slot = plot_w / count

    def y_of(value: float) -> float:
        return _TOP + plot_h - (value / ceiling) * plot_h

    prefix = escape(element_id or "chart", quote=True)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{prefix}-title {prefix}-desc">',
        f'<title id="{prefix}-title">{escape(chart.title)}</title>',
        f'<desc id="{prefix}-desc">{escape(_describe(chart))}</desc>',
        f'<text x="{_LEFT}" y="22" font-size="17" font-weight="bold" fill="#1a1a1a">'
        f"{escape(chart.title)}</text>",
    ]
    # Grid and y axis labels.
    for step in range(5):
        value = ceiling * step / 4
        y = y_of(value)
        out.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="13" text-anchor="end" '
            f'fill="#333">{escape(format_value(value))}</text>'
        )
    if chart.units:
        out.append(
            f'<text x="12" y="{_TOP + plot_h / 2:.1f}" font-size="13" fill="#333" '
            f'transform="rotate(-90 12 {_TOP + plot_h / 2:.1f})" text-anchor="middle">'
            f"{escape(chart.units)}</text>"
        )
    # Category labels.
    for index, category in enumerate(chart.categories):
        x = _LEFT + slot * (index + 0.5)
        label = category if len(category) <= 12 else category[:11] + "…"
        out.append(
            f'<text x="{x:.1f}" y="{_TOP + plot_h + 16}" font-size="13" text-anchor="middle" '
            f'fill="#333">{escape(label)}</text>'
        )
    # Data.
    n_series = max(len(chart.series), 1)
    for s_index, series in enumerate(chart.series):
        colour = PALETTE[s_index % len(PALETTE)]
        if chart.kind == "bar":
            bar_w = slot * 0.8 / n_series
            for index, value in enumerate(series.values):
                if value is None:
                    continue
                x = _LEFT + slot * index + slot * 0.1 + bar_w * s_index
                y = y_of(value)
                out.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                    f'height="{_TOP + plot_h - y:.1f}" fill="{colour}"/>'
                )
        else:
            points = [
                (_LEFT + slot * (index + 0.5), y_of(value))
                for index, value in enumerate(series.values)
                if value is not None
            ]
            if len(points) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
                out.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
                )
            for x, y in points:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
    if chart.target is not None:
        y = y_of(chart.target)
        out.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#b00020" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    # Legend.
    legend = [(s.name, PALETTE[i % len(PALETTE)], "box") for i, s in enumerate(chart.series)]
    if chart.target is not None:
        legend.append((chart.target_label or "Referencia", "#b00020", "dash"))
    x = _LEFT
    y = _HEIGHT - 18
    for name, colour, shape in legend:
        if shape == "box":
            out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        else:
            out.append(
                f'<line x1="{x}" x2="{x + 12}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                f'stroke-width="2" stroke-dasharray="4 2"/>'
            )
        out.append(
            f'<text x="{x + 16}" y="{y}" font-size="13" fill="#1a1a1a">{escape(name)}</text>'
        )
        x += 30 + 7.5 * len(name)
    out.append("</svg>")
    return "".join(out)


def png(chart: Chart, width_in: float = 7.0, height_in: float = 3.4, dpi: int = 150) -> bytes:
    """PNG bytes for fpdf2 (``pdf.image(io.BytesIO(png(chart)), w=...)``)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=dpi)
    axes = figure.subplots()
    positions = list(range(len(chart.categories)))
    n_series = max(len(chart.series), 1)
    for s_index, series in enumerate(chart.series):
        colour = PALETTE[s_index % len(PALETTE)]
        if chart.kind == "bar":
            width = 0.8 / n_series
            xs = [p - 0.4 + width * (s_index + 0.5) for p in positions]
            heights = [v if v is not None else 0 for v in series.values]
            axes.bar(xs, heights, width=width, color=colour, label=series.name)
        else:
            xs = [p for p, v in zip(positions, series.values, strict=True) if v is not None]
            ys = [v for v in series.values if v is not None]
            axes.plot(xs, ys, marker="o", color=colour, linewidth=2, label=series.name)
    if chart.target is not None:
        axes.axhline(
            chart.target,
            color="#b00020",
            linestyle="--",
            linewidth=1.5,
            label=chart.target_label or "Referencia",
        )
    axes.set_title(chart.title, fontsize=11, loc="left", fontweight="bold")
    axes.set_xticks(positions, list(chart.categories), fontsize=8)
    if len(chart.categories) > 6:
        for label in axes.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    if chart.units:
        axes.set_ylabel(chart.units, fontsize=9)
    ceiling = _axis_ceiling(chart)
    axes.set_ylim(bottom=0, top=ceiling)
    axes.set_yticks([ceiling * step / 4 for step in range(5)])
    axes.grid(axis="y", color="#d0d0d0", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", labelsize=8)
    if chart.series or chart.target is not None:
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def add_to_sheet(ws, chart: Chart, anchor: str, data_row: int | None = None) -> int:
    """Write the chart's data as a table (categories down column A, one column per series,
    numbers as numbers) starting at ``data_row`` (default: the first empty row) and place a
    native openpyxl chart over it at ``anchor``. Returns the last row written."""
    from openpyxl.chart import BarChart, LineChart, Reference

    start = data_row if data_row is not None else ws.max_row + (2 if ws.max_row > 1 else 0)
    ws.cell(row=start, column=1, value=chart.title)
    header = start + 1
    ws.cell(row=header, column=1, value=chart.units or "")
    for s_index, series in enumerate(chart.series):
        ws.cell(row=header, column=2 + s_index, value=series.name)
    for c_index, category in enumerate(chart.categories):
        row = header + 1 + c_index
        ws.cell(row=row, column=1, value=category)
        for s_index, series in enumerate(chart.series):
            ws.cell(row=row, column=2 + s_index, value=series.values[c_index])
    last = header + len(chart.categories)
    target_col = 2 + len(chart.series)
    if chart.target is not None:
        ws.cell(row=header, column=target_col, value=chart.target_label or "Referencia")
        for row in range(header + 1, last + 1):
            ws.cell(row=row, column=target_col, value=chart.target)

    native = BarChart() if chart.kind == "bar" else LineChart()
    if chart.kind == "bar":
        native.type = "col"
    native.title = chart.title
    native.y_axis.title = chart.units or None
    native.width, native.height = 18, 8
    if chart.categories:
        categories = Reference(ws, min_col=1, min_row=header + 1, max_row=last)
        if chart.series:
            data = Reference(
                ws, min_col=2, max_col=1 + len(chart.series), min_row=header, max_row=last
            )
            native.add_data(data, titles_from_data=True)
        native.set_categories(categories)
        if chart.target is not None:
            reference = Reference(ws, min_col=target_col, min_row=header, max_row=last)
            if chart.kind == "bar":
                line = LineChart()
                line.add_data(reference, titles_from_data=True)
                line.set_categories(categories)
                native += line
            else:
                native.add_data(reference, titles_from_data=True)
    ws.add_chart(native, anchor)
    return last
