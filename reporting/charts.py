"""Charts made on the server with matplotlib (Agg/SVG), the same on the dashboard and in the PDF.

Each chart is a `Chart`: the SVG text, a text alternative, and the numbers as a table (headers and
rows) to show beside it, so screen-reader users and print get the figures too. Values suppressed
for the steering group ("<5") are not drawn as numbers: bars get a "<5" label at the base line and
trend lines a gap.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import io
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reporting import formats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ["#1f4e79", "#b3541e", "#2e7d32", "#6a1b9a", "#5d4037"]  # ≥ 4.5:1 against white
MARKERS = ["o", "s", "^", "D", "v"]
RC = {
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "svg.fonttype": "none",      # real text, not paths: small, sharp and searchable
    "svg.hashsalt": "sjalvklart",  # stable ids, so the same figures give the same SVG
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.labelcolor": "#222222",
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
}
FONT_STACK = "'Source Sans 3', 'DejaVu Sans', Arial, sans-serif"


@functools.cache
def _matplotlib():
    """matplotlib (≈40 MB and a third of a second) is loaded by the first chart a process draws, not by every
    web worker that imports the URLconf: only the dashboard and the report builds draw charts."""
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    return matplotlib


@dataclass
class Chart:
    """One chart: its text alternative and numbers at once, its drawing (`svg`) when first asked for. The page
    shows the table and loads the drawing from its own URL (reporting.views.dashboard_chart), so building the
    figures never waits for matplotlib; the PDF asks for `data_uri`. Pickled into the dashboard's cache as the
    arguments of the drawing, not the drawing."""

    key: str
    title: str
    alt: str
    headers: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    kind: str = ""  # how it is drawn: "line" or "bar" (_DRAWERS)
    arguments: dict = field(default_factory=dict)
    width: float = 0.0   # of the drawing, in points (for <img width height>: no jump when it arrives)
    height: float = 0.0
    _svg: str | None = field(default=None, repr=False, compare=False)

    @property
    def svg(self) -> str:
        if self._svg is None:
            self._svg = _drawn(self.kind, self.arguments, lambda: _DRAWERS[self.kind](**self.arguments))
        return self._svg

    @property
    def data_uri(self) -> str:
        """For <img src> in the PDF (WeasyPrint tags <img alt> as a figure with alternative text)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode("utf-8")).decode("ascii")

    @property
    def width_px(self) -> int:
        return round(self.width * 4 / 3)  # CSS pixels: 96 per inch, 72 points

    @property
    def height_px(self) -> int:
        return round(self.height * 4 / 3)

    def __getstate__(self):
        return {**self.__dict__, "_svg": None}  # the drawing lives in the chart cache, not in the figures'


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _fmt(value) -> str:
    return formats.count(value)


def _shown(value, percent: bool) -> str:
    """A bar's label and its text alternative, in the tables' format ("91 %", "1 234", "<5")."""
    if percent and _number(value) is not None:
        return formats.percent(value)
    return formats.count(value)


def _svg(fig: Figure, title: str, prefix: str) -> str:
    buffer = io.StringIO()
    _fixed_margins(fig)
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = svg.replace("font-family: 'DejaVu Sans'", f"font-family: {FONT_STACK}")
    svg = svg.replace("font-family:'DejaVu Sans'", f"font-family:{FONT_STACK}")
    svg = _without_style_element(svg)
    svg = _scoped_ids(svg, prefix)
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    svg = re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + f"<title>{escaped}</title>", svg, count=1)
    return svg


def _without_style_element(svg: str) -> str:
    """Drop matplotlib's <style> element (the CSP allows no style elements) and give the root the
    same two stroke defaults as presentation attributes, which every shape inherits."""
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", "", svg, count=1, flags=re.DOTALL)
    return svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)


def _scoped_ids(svg: str, prefix: str) -> str:
    """Every chart on a page must have its own ids: matplotlib names each group figure_1, patch_1, …
    in every chart. Ids nothing refers to are dropped; the referenced ones (clip paths, markers)
    get the chart's key as prefix."""
    referenced = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'xlink:href="#([^"]+)"', svg))
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)

    def rename(match):
        name = match.group(1)
        return f' id="chart-{slug}-{name}"' if name in referenced else ""

    svg = re.sub(r' id="([^"]+)"', rename, svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#chart-{slug}-{m.group(1)})", svg)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#chart-{slug}-{m.group(1)}"', svg)


def _suppressed_top(label: str) -> float:
    """The largest hidden value for a label like "<5" (4), as the top of the grey band."""
    try:
        return float(int(label.lstrip("<")) - 1)
    except ValueError:
        return 4.0


WIDTH = 6.4  # inches, every chart


def _figure(width=WIDTH, height=2.8) -> Figure:
    _matplotlib()
    return importlib.import_module("matplotlib.figure").Figure(figsize=(width, height), dpi=72)


PAD = 4 / 72  # inches around the drawing, as constrained layout leaves


@functools.lru_cache(maxsize=4096)
def _text_size(text: str, size: float) -> tuple[float, float]:
    """Width and height in inches of one line of text in the charts' font (measured, not drawn)."""
    renderer = _measuring_renderer()
    properties = importlib.import_module("matplotlib.font_manager").FontProperties(family=RC["font.family"],
                                                                                   size=size)
    width, height, _descent = renderer.get_text_width_height_descent(text, properties, ismath=False)
    return width / 72, height / 72


@functools.cache
def _measuring_renderer():
    _matplotlib()
    return importlib.import_module("matplotlib.backends.backend_agg").RendererAgg(1, 1, 72)


def _tick_texts(axis) -> list[str]:
    low, high = sorted(axis.get_view_interval())
    locations = [loc for loc in axis.get_majorticklocs() if low - 1e-9 <= loc <= high + 1e-9]
    return [text for text in axis.get_major_formatter().format_ticks(locations) if text]


def _extent(texts, size: float, rotation: float = 0) -> tuple[float, float]:
    """The largest width and height (inches) of these labels, rotated by `rotation` degrees."""
    sine, cosine = abs(math.sin(math.radians(rotation))), abs(math.cos(math.radians(rotation)))
    widths, heights = [0.0], [0.0]
    for text in texts:
        for line in str(text).split("\n") or [""]:
            width, height = _text_size(line, size)
            widths.append(width * cosine + height * sine)
            heights.append(width * sine + height * cosine)
    return max(widths), max(heights)


def _fixed_margins(fig: Figure) -> None:
    """Place the axes with margins measured from its labels, the legend and the bar labels.

    Matplotlib's constrained layout (and `bbox_inches="tight"`) does the same by drawing the whole figure
    once more before the real drawing; measuring the few texts that sit outside the axes costs a fraction
    of that. The figure keeps its size, so every chart of one kind has the same size.
    """
    ax = fig.axes[0]
    size = RC["font.size"]
    width, height = fig.get_size_inches()
    tick = (3.5 + 3.5) / 72  # tick length and the gap to its label (matplotlib's defaults)
    label_gap = 4 / 72
    y_width = _extent(_tick_texts(ax.yaxis), size)[0]
    left = PAD + y_width + tick
    if ax.get_ylabel():
        left += _text_size(ax.get_ylabel(), size)[1] + label_gap
    x_rotation = max((label.get_rotation() for label in ax.get_xticklabels()), default=0)
    x_texts = _tick_texts(ax.xaxis)
    x_width, x_height = _extent(x_texts, size, x_rotation)
    bottom = PAD + x_height + tick
    if ax.get_xlabel():
        bottom += _text_size(ax.get_xlabel(), size)[1] + label_gap
    top = PAD + _text_size("0", size)[1] / 2
    right = PAD + (0 if x_rotation else x_width / 2)
    outside = []  # texts drawn right of the axes: the legend, the "<5" band's label, bar labels past the end
    legend = ax.get_legend()
    if legend is not None:
        entries = [text.get_text() for text in legend.get_texts()]
        # handle (2 em) + gap (0.8 em) + text + border padding (0.4 em each side) + gap to the axes (0.5 em)
        em = size / 72
        outside.append(_extent(entries, size)[0] + em * (2.0 + 0.8 + 0.8 + 0.5))
    for text in ax.texts:
        if hasattr(text, "xyann"):  # bar labels (annotations) are measured below
            continue
        x, _y = text.get_position()
        if x >= 1:
            outside.append(_text_size(text.get_text(), text.get_fontsize())[0] + 0.01 * width)
    bar_labels = bool(ax.containers)
    if bar_labels and ax.yaxis_inverted():  # horizontal bars: labels follow the bar ends
        labels = [text.get_text() for text in ax.texts if hasattr(text, "xyann")]
        outside.append(_extent(labels, 8)[0] + 2 / 72)
    right += max(outside, default=0)
    if bar_labels and not ax.yaxis_inverted():  # vertical bars: labels above the highest bar
        labels = [text.get_text() for text in ax.texts if hasattr(text, "xyann")]
        top += _extent(labels, 8)[1] + 2 / 72
    fig.subplots_adjust(left=min(left / width, 0.6), right=max(1 - right / width, 0.65),
                        bottom=min(bottom / height, 0.6), top=max(1 - top / height, 0.7))


# Part of every drawn chart's cache key: change it when the drawing changes, so no old drawing is served.
DRAWING_VERSION = 1


def _drawn(kind: str, arguments: dict, draw) -> str:
    """The chart's SVG from the cache when the same chart (kind, arguments, language) was drawn before, else
    drawn now and kept for settings.CHART_CACHE_SECONDS. Drawing is what costs (matplotlib, 20–50 ms a chart);
    the figures change far less often than the dashboard's cache of them expires, so most rebuilds and report
    builds find their charts drawn already. Suppressed figures are other arguments than the unsuppressed ones,
    so the steering group never gets a drawing of the leader's figures."""
    seconds = settings.CHART_CACHE_SECONDS
    if not seconds:
        return draw()
    digest = hashlib.sha256(repr((DRAWING_VERSION, kind, get_language(), sorted(arguments.items()))).encode())
    cache_key = f"reporting:chart:{digest.hexdigest()}"
    svg = cache.get(cache_key)
    if svg is None:
        svg = draw()
        cache.set(cache_key, svg, seconds)
    return svg


def line_chart(*, key: str, title: str, labels: list[str], series: dict[str, list], y_label: str = "",
               height: float = 2.8, integers: bool = True) -> Chart:
    arguments = {"key": key, "title": title, "labels": list(labels), "series": list(series.items()),
                 "y_label": y_label, "height": height, "integers": integers}
    headers = [_("Månad"), *series.keys()]
    rows = [[label, *[values[i] for values in series.values()]] for i, label in enumerate(labels)]
    parts = [f"{name}: " + ", ".join(f"{labels[i]} {_fmt(v)}" for i, v in enumerate(values))
             for name, values in series.items()]
    alt = _("Linjediagram: %(title)s.") % {"title": title} + " " + "; ".join(parts) + "."
    return Chart(key=key, title=title, alt=alt, headers=headers, rows=rows, kind="line", arguments=arguments,
                 width=WIDTH * 72, height=height * 72)


def _line_svg(*, key, title, labels, series, y_label, height, integers) -> str:
    series = dict(series)
    with _matplotlib().rc_context(RC):
        fig = _figure(height=height)
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        hidden = [v for values in series.values() for v in values if isinstance(v, str)]
        if hidden:
            # Suppressed values ("<5") lie somewhere in 1..4: draw that band and hollow markers in it.
            top = _suppressed_top(hidden[0])
            ax.axhspan(1, top, color="#ececec", zorder=0)
            ax.text(1.005, (1 + top) / 2, hidden[0], transform=ax.get_yaxis_transform(), va="center",
                    fontsize=8, color="#333333")
        for index, (name, values) in enumerate(series.items()):
            numbers = [_number(v) for v in values]
            middle = (1 + _suppressed_top(hidden[0])) / 2 if hidden else 0
            drawn = [middle if isinstance(v, str) else (float("nan") if n is None else n)
                     for v, n in zip(values, numbers, strict=True)]
            color = PALETTE[index % len(PALETTE)]
            marker = MARKERS[index % len(MARKERS)]
            ax.plot(positions, drawn, label=name, color=color, marker=marker, linewidth=2, markersize=4)
            suppressed_at = [p for p, v in zip(positions, values, strict=True) if isinstance(v, str)]
            if suppressed_at:
                ax.plot(suppressed_at, [middle] * len(suppressed_at), linestyle="none", marker=marker,
                        markersize=6, markerfacecolor="#ffffff", markeredgecolor=color, markeredgewidth=1.5)
        ax.set_xticks(positions, labels, rotation=45, ha="right")
        ax.set_ylim(bottom=0)
        if integers:
            ax.yaxis.get_major_locator().set_params(integer=True)
        if y_label:
            ax.set_ylabel(y_label)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig, title, key)


def bar_chart(*, key: str, title: str, labels: list[str], series: dict[str, list], horizontal: bool = False,
              percent: bool = False, targets: list | None = None, value_label: str = "") -> Chart:
    """Grouped bars; `targets` (same length as labels) draws a target mark per bar group."""
    arguments = {"key": key, "title": title, "labels": list(labels), "series": list(series.items()),
                 "horizontal": horizontal, "percent": percent, "targets": None if targets is None else list(targets),
                 "value_label": value_label}
    headers = [_("Kategori"), *series.keys()] + ([_("Mål")] if targets else [])
    rows = []
    for i, label in enumerate(labels):
        row = [label, *[values[i] for values in series.values()]]
        if targets:
            row.append(targets[i])
        rows.append(row)

    target_word = _("mål")  # outside the f-string, where makemessages finds it
    parts = [f"{label}: " + ", ".join(f"{name} {_shown(values[i], percent)}" for name, values in series.items())
             + (f", {target_word} {_shown(targets[i], percent)}" if targets else "") for i, label in enumerate(labels)]
    alt = _("Stapeldiagram: %(title)s.") % {"title": title} + " " + "; ".join(parts) + "."
    return Chart(key=key, title=title, alt=alt, headers=headers, rows=rows, kind="bar", arguments=arguments,
                 width=WIDTH * 72, height=_bar_height(labels, series, horizontal) * 72)


def _bar_height(labels, series, horizontal: bool) -> float:
    """The bar chart's height in inches: horizontal bars get room for every bar."""
    rows = len(labels) * max(1, len(series))
    return min(max(2.4, 0.2 * rows + 1.0), 8.5) if horizontal else 2.8


def _bar_svg(*, key, title, labels, series, horizontal, percent, targets, value_label) -> str:
    series = dict(series)
    with _matplotlib().rc_context(RC):
        fig = _figure(height=_bar_height(labels, series, horizontal))
        ax = fig.add_subplot()
        count = max(len(series), 1)
        width = 0.8 / count
        positions = list(range(len(labels)))
        scale = 100 if percent else 1
        for index, (name, values) in enumerate(series.items()):
            offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
            numbers = [_number(v) for v in values]
            heights = [0 if v is None else v * scale for v in numbers]
            color = PALETTE[index % len(PALETTE)]
            if horizontal:
                bars = ax.barh(offsets, heights, height=width, label=name, color=color)
            else:
                bars = ax.bar(offsets, heights, width=width, label=name, color=color)
            texts = [_shown(v, percent) for v in values]
            ax.bar_label(bars, labels=texts, padding=2, fontsize=8)
        if targets:
            for position, target in zip(positions, targets, strict=True):
                if target is None:
                    continue
                value = target * scale
                if horizontal:
                    ax.plot([value, value], [position - 0.45, position + 0.45], color="#000000", linewidth=2)
                else:
                    ax.plot([position - 0.45, position + 0.45], [value, value], color="#000000", linewidth=2)
            ax.plot([], [], color="#000000", linewidth=2, label=_("Mål"))
        if horizontal:
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
            if value_label:
                ax.set_xlabel(value_label)
        else:
            ax.set_xticks(positions, labels, rotation=30 if max((len(x) for x in labels), default=0) > 8 else 0,
                          ha="right" if max((len(x) for x in labels), default=0) > 8 else "center")
            if value_label:
                ax.set_ylabel(value_label)
        if percent:
            (ax.set_xlim if horizontal else ax.set_ylim)(0, 110)
        if len(series) > 1 or targets:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        return _svg(fig, title, key)


_DRAWERS = {"line": _line_svg, "bar": _bar_svg}


# --- the report's charts --------------------------------------------------------------------------




def _gender_labels():
    return {"kvinna": _("Kvinnor"), "man": _("Män"), "icke-binär": _("Icke-binära"), "okänd": _("Okänt")}


def _month_label(key: str) -> str:
    names = [_("jan"), _("feb"), _("mar"), _("apr"), _("maj"), _("jun"), _("jul"), _("aug"), _("sep"),
             _("okt"), _("nov"), _("dec")]
    year, month = key.split("-")
    return f"{names[int(month) - 1]} {year[2:]}"


def monthly_charts(figures: dict, only: frozenset[str] | None = None) -> list[Chart]:
    """The charts of the monthly report and the dashboard, from (possibly suppressed) figures.

    The trend chart is made only when the figures have a trend (the final report has none). With `only`, just
    the charts of those keys are drawn (a PDF shows fewer than the dashboard, and drawing is the costly part).
    """
    def wanted(*keys):
        return only is None or any(key in only for key in keys)

    charts = []
    trend = figures.get("trend")
    if trend and wanted("trend", "trend_stock"):
        months = [_month_label(key) for key in trend["months"]]
        # Flows (per month) and the stock (at each month's end) are different quantities: two charts.
        charts.append(line_chart(
            key="trend", title=_("Starter och avslut per månad, de senaste 12 månaderna"), labels=months,
            series={_("Starter"): trend["starts"], _("Avslut"): trend["exits"]}, height=2.3,
        ))
        charts.append(line_chart(
            key="trend_stock", title=_("Arbetsträningsplatser vid varje månads slut"), labels=months,
            series={_("Platser"): trend["placements"]}, height=2.1,
        ))
    goals = figures.get("goals")
    if goals and goals.get("overall") and wanted("goal"):
        overall = goals["overall"]

        def in_percent(value):
            return None if not isinstance(value, int | float) else round(value * 100, 1)

        series = {_("Platser i % av de anställda"): [in_percent(v) for v in overall["trend"]]}
        if overall.get("target") is not None:
            series[_("Mål")] = [in_percent(overall["target"])] * len(overall["trend"])
        charts.append(line_chart(
            key="goal", title=_("Målet: platser i procent av de anställda, de senaste 12 månaderna"),
            labels=[_month_label(key) for key in goals["months"]], series=series, y_label=_("procent"),
            height=2.3, integers=False,
        ))
    genders = _gender_labels()
    participants = figures["participants"]
    exits = figures["exits"]
    referrals = figures["referrals"]
    gender_keys = list(participants["by_gender"].keys())
    if wanted("gender"):
        charts.append(bar_chart(
            key="gender", title=_("Könsfördelning i flödena"), labels=[genders.get(g, g) for g in gender_keys],
            series={
                _("Anvisade"): [referrals["by_gender"].get(g, 0) for g in gender_keys],
                _("Deltagare (unika)"): [participants["by_gender"].get(g, 0) for g in gender_keys],
                _("Avslut"): [exits["by_gender"].get(g, 0) for g in gender_keys],
            },
        ))
    reason_names = figures["meta"].get("exit_reasons", {})
    reasons = list(exits["by_reason"].keys())
    if reasons and wanted("exit_reasons"):
        charts.append(bar_chart(
            key="exit_reasons", title=_("Avslut per orsak"), horizontal=True,
            labels=[reason_names.get(code, code) for code in reasons],
            series={_("Avslut"): [exits["by_reason"][code] for code in reasons]},
        ))
    agencies = figures["meta"].get("agencies", {})
    agency_codes = sorted(set(referrals["by_agency"]) | set(participants["by_agency"]))
    if agency_codes and wanted("agencies"):
        charts.append(bar_chart(
            key="agencies", title=_("Anvisningar och starter per myndighet"),
            labels=[agencies.get(code, code) for code in agency_codes],
            series={_("Anvisningar"): [referrals["by_agency"].get(code, 0) for code in agency_codes],
                    _("Starter"): [participants["by_agency"].get(code, 0) for code in agency_codes]},
        ))
    areas = figures["placements"]["by_area"]
    if areas and wanted("areas"):
        charts.append(bar_chart(
            key="areas", title=_("Platser per yrkesområde vid periodens slut"), horizontal=True,
            labels=[area["name"] for area in areas],
            series={_("Platser (kapacitet)"): [area["capacity"] for area in areas],
                    _("Belagda"): [area["occupied"] for area in areas]},
        ))
    statements = figures["survey"]["statements"]
    if statements and wanted("survey"):
        charts.append(bar_chart(
            key="survey", title=_("Enkäten: andel som svarat ja, mot målen"), horizontal=True, percent=True,
            labels=[_("Påstående %(n)s") % {"n": s["number"]} for s in statements],
            series={_("Andel ja"): [s["share"] for s in statements]},
            targets=[s["target"] for s in statements], value_label=_("procent"),
        ))
    return [chart for chart in charts if only is None or chart.key in only]
