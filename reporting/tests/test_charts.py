"""Charts: SVG with a title, a text alternative with the numbers, and suppressed values not drawn."""

import importlib
import pickle
import re

import pytest
from django.core.cache import cache
from django.utils import translation

from reporting.charts import bar_chart, line_chart, monthly_charts
from reporting.selectors import monthly_figures
from reporting.suppression import suppress_small_counts

from .conftest import MARCH


def test_line_chart_has_svg_title_alt_and_table():
    chart = line_chart(key="t", title="Starter per månad", labels=["jan", "feb"], series={"Starter": [3, 7]})
    assert chart.svg.startswith("<svg") and "<title>Starter per månad</title>" in chart.svg
    assert 'role="img"' in chart.svg
    assert "jan 3" in chart.alt and "feb 7" in chart.alt
    assert chart.rows == [["jan", 3], ["feb", 7]]
    assert chart.data_uri.startswith("data:image/svg+xml;base64,")


def test_bar_chart_labels_suppressed_values_instead_of_drawing_them():
    chart = bar_chart(key="b", title="Avslut", labels=["Arbete", "Studier"], series={"Avslut": [12, "<5"]})
    assert "&lt;5" in chart.svg            # the label is drawn, the number is not
    assert "Studier: Avslut <5" in chart.alt


def test_line_chart_draws_suppressed_points_in_a_band():
    chart = line_chart(key="t", title="T", labels=["jan", "feb"], series={"Starter": [12, "<5"]})
    assert "&lt;5" in chart.svg and "feb <5" in chart.alt


def test_percent_bars_with_targets():
    chart = bar_chart(key="s", title="Enkät", labels=["1"], series={"Andel ja": [0.5]}, targets=[0.95],
                      percent=True)
    assert "50\u00a0%" in chart.alt and "mål 95\u00a0%" in chart.alt


@pytest.mark.django_db
def test_monthly_charts_from_figures_and_suppressed_figures(report_project, march_data):
    figures = monthly_figures(report_project, *MARCH)
    keys = [chart.key for chart in monthly_charts(figures)]
    assert keys == ["trend", "trend_stock", "goal", "gender", "exit_reasons", "agencies", "areas", "survey"]
    shown = monthly_charts(suppress_small_counts(figures))
    trend = shown[0]
    assert trend.rows[-1][1] == "<5"   # four starts in March are shown as <5 in the table too


def test_bar_labels_use_the_tables_percent_format():
    chart = bar_chart(key="s", title="Enkät", labels=["1"], series={"Andel ja": [10 / 11]}, percent=True)
    assert "91\u00a0%" in chart.svg and "90,9" not in chart.svg
    assert "Andel ja 91\u00a0%" in chart.alt


@pytest.mark.django_db
def test_stock_and_flows_are_on_separate_charts(report_project, march_data):
    charts = {chart.key: chart for chart in monthly_charts(monthly_figures(report_project, *MARCH))}
    assert charts["trend"].headers == ["Månad", "Starter", "Avslut"]
    assert charts["trend_stock"].headers == ["Månad", "Platser"]


def test_charts_have_no_style_element_and_ids_of_their_own():
    import re

    first = bar_chart(key="gender", title="A", labels=["a", "b"], series={"s": [1, 2]})
    second = bar_chart(key="agencies", title="B", labels=["a", "b"], series={"s": [1, 2]})
    trend = line_chart(key="trend", title="C", labels=["jan", "feb"], series={"Starter": [3, 7]})
    ids = [re.findall(r' id="([^"]+)"', chart.svg) for chart in (first, second, trend)]
    every = [name for names in ids for name in names]
    assert every and len(every) == len(set(every))          # no id twice on a page that shows all three
    assert all(name.startswith("chart-gender-") for name in ids[0])
    for chart in (first, second, trend):
        assert "<style" not in chart.svg
        targets = set(re.findall(r'url\(#([^)]+)\)', chart.svg)) | set(re.findall(r'href="#([^"]+)"', chart.svg))
        assert targets <= set(re.findall(r' id="([^"]+)"', chart.svg))   # every reference still resolves


def test_each_chart_is_drawn_once(monkeypatch):
    """Margins are measured from the labels, not found by drawing the figure an extra time (constrained
    layout and bbox_inches="tight" each cost one more full draw)."""
    figure_class = importlib.import_module("matplotlib.figure").Figure
    draws = []
    original = figure_class.draw
    monkeypatch.setattr(figure_class, "draw", lambda self, renderer: draws.append(self) or original(self, renderer))
    bar = bar_chart(key="a", title="Platser", labels=["Administration, ekonomi, juridik", "Data/IT"],
                    series={"Platser": [938, 170], "Belagda": [574, 104]}, horizontal=True)
    line = line_chart(key="t", title="Starter", labels=["jan 26", "feb 26"], series={"Starter": [12, "<5"]})
    assert draws == []  # the numbers and the text alternative need no drawing: it is made when asked for
    assert bar.svg and line.svg and bar.svg and line.svg
    assert len(draws) == 2


def test_labels_and_legend_stay_inside_the_figure():
    chart = bar_chart(key="a", title="Platser", labels=["Försäljning, inköp, marknadsföring", "Data/IT"],
                      series={"Platser (kapacitet)": [2650, 170], "Belagda": [1676, 104]}, horizontal=True)
    width = float(re.search(r'width="([\d.]+)pt"', chart.svg).group(1))
    texts = re.findall(r'<text style="font-size: ([\d.]+)px;[^"]*text-anchor: (\w+)[^"]*" x="(-?[\d.]+)"[^>]*>([^<]*)<',
                       chart.svg)
    assert len(texts) > 10
    for size, anchor, x, text in texts:
        extent = 0.5 * float(size) * len(text)  # about the average letter of DejaVu Sans
        left = {"start": float(x), "middle": float(x) - extent / 2, "end": float(x) - extent}[anchor]
        assert left >= 0 and left + extent <= width, text


def test_a_chart_drawn_for_the_same_figures_is_taken_from_the_cache(settings, monkeypatch):
    """Drawing is the costly part of a cold dashboard: the same chart (same figures, same language) is drawn once
    while it is cached; other figures, a suppressed value or another language are drawn anew."""
    settings.CHART_CACHE_SECONDS = 60
    cache.clear()
    figure_class = importlib.import_module("matplotlib.figure").Figure
    draws = []
    original = figure_class.draw
    monkeypatch.setattr(figure_class, "draw", lambda self, renderer: draws.append(self) or original(self, renderer))

    def starts(values, **kwargs):
        chart = line_chart(key="t", title="Starter", labels=["jan 26", "feb 26"], series={"Starter": values},
                           **kwargs)
        assert chart.svg
        return chart

    first = starts([12, 7])
    again = starts([12, 7])
    assert len(draws) == 1 and again.svg == first.svg
    assert starts([12, "<5"]).svg != first.svg          # the steering group's figures: their own drawing
    assert len(draws) == 2
    starts([12, 8])
    starts([12, 7], height=2.1)
    with translation.override("en"):
        starts([12, 7])
    assert len(draws) == 5
    bar = bar_chart(key="b", title="Platser", labels=["Data/IT"], series={"Platser": [3]})
    assert bar.svg and bar_chart(key="b", title="Platser", labels=["Data/IT"], series={"Platser": [3]}).svg == bar.svg
    assert len(draws) == 6
    cache.clear()


def test_a_pickled_chart_carries_its_numbers_and_how_to_draw_it_not_the_drawing(settings):
    """The dashboard caches its charts with the figures: the drawing stays out of that entry (it has its own) and is
    the same when the unpickled chart draws it."""
    settings.CHART_CACHE_SECONDS = 0
    chart = bar_chart(key="b", title="Avslut", labels=["Arbete", "Studier"], series={"Avslut": [12, "<5"]})
    drawn = chart.svg
    copy = pickle.loads(pickle.dumps(chart))  # noqa: S301 - our own pickle, as the cache stores it
    assert copy._svg is None and drawn not in pickle.dumps(chart).decode("latin-1")
    assert (copy.alt, copy.rows, copy.width_px, copy.height_px) == (chart.alt, chart.rows, 614, 269)
    assert copy.svg == drawn
    width, height = map(float, re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', drawn).groups())
    assert (round(width, 1), round(height, 1)) == (round(chart.width, 1), round(chart.height, 1))
