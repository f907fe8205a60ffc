import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import changelog
from organisations.models import Project
from participants.tests.factories import ReferralFactory
from reporting import selectors
from reporting.services import build_report
from reporting.tests.conftest import MARCH, build_march_dataset

# Queries of a cold dashboard request (session, user, project choices, latest runs and the month's figures);
# figures over the same rows are one query (before and after, outcomes with outcomes by gender, the first page's
# previous month with the month: its exits and outcomes in the month's queries, its placements' totals in one;
# outcomes per host and per area, by key, then the names of their organisations and areas in two small reads; the
# waiting list with its mean and median days; the starts per agency and the days to start per gender in one pass over
# the starts; the unique people, starts and anonymous ones per gender and the age bands in one row per person).
# The charts are drawn in requests of their own (reporting:dashboard_chart).
COLD_DASHBOARD_QUERIES = 48


@pytest.fixture
def dashboard_cache(settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_dashboard_figures_are_computed_once_then_served_from_cache(
    client, leader, report_project, march_data, dashboard_cache, django_assert_max_num_queries
):
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    first = client.get(url)
    assert first.status_code == 200
    starts = first.context["figures"]["participants"]["starts"]
    # A new start in March: the cached figures do not see it until the cache expires.
    ReferralFactory(project=report_project, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    # session, user, project choices, latest runs, session save; no figure queries
    with django_assert_max_num_queries(10):
        second = client.get(url)
    assert second.context["figures"]["participants"]["starts"] == starts
    cache.clear()
    assert client.get(url).context["figures"]["participants"]["starts"] == starts + 1
    assert "uppdateras var femte minut" in second.content.decode()


def test_steering_and_leader_get_separate_cache_entries(client, leader, steering, report_project, march_data,
                                                        dashboard_cache):
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    client.force_login(leader)
    client.get(url)
    client.force_login(steering)
    response = client.get(url)
    assert response.context["meta"]["suppressed"] is True



def _figures_html(response) -> str:
    """The dashboard's figures part (the project heading to the last chart), without the per-request tokens."""
    html = response.content.decode()
    start = html.index('<h2 class="h3">')
    end = html.index("Senaste rapporterna") if "Senaste rapporterna" in html else html.index("</main>")
    return re.sub(r'value="[A-Za-z0-9]{32,}"', "", html[start:end])


def test_the_figures_html_is_cached_apart_for_steering_and_leader_and_follows_new_figures(
        client, leader, steering, report_project, march_data, dashboard_cache, monkeypatch):
    # Both computed "at the same moment": only the rest of the key keeps their HTML apart.
    moment = timezone.now()
    monkeypatch.setattr("reporting.views.timezone.now", lambda: moment)
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    client.force_login(steering)
    steering_cold = _figures_html(client.get(url))
    cache.clear()
    client.force_login(leader)
    leader_html = _figures_html(client.get(url))
    assert _figures_html(client.get(url)) == leader_html  # served from the cache: the same HTML
    client.force_login(steering)
    # The steering group never gets the leader's exact figures from the cache, nor the leader theirs.
    assert _figures_html(client.get(url)) == steering_cold != leader_html
    assert "&lt;5" in steering_cold
    # New figures (the cache expired, computed later) are drawn anew, not served from the old HTML.
    monkeypatch.setattr("reporting.views.timezone.now", lambda: moment + dt.timedelta(minutes=6))
    ReferralFactory(project=report_project, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    client.force_login(leader)
    cache.delete(f"reporting:dashboard:{report_project.pk}:2026-03-01:2026-03-31:0:sv")  # the leader's figures
    assert _figures_html(client.get(url)) != leader_html


def _cold_dashboard_queries(client, url) -> tuple[int, object]:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def test_the_cold_dashboard_reads_each_day_once_and_its_queries_do_not_grow_with_the_data(
    client, leader, report_project, dashboard_cache, monkeypatch
):
    """A cache miss computes the month's figures: a fixed number of queries whatever the data (no per-row
    query), and the placements of a day read once, not by every section that uses them."""
    build_march_dataset(report_project)
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={report_project.pk}&month=2026-03"
    small, _response = _cold_dashboard_queries(client, url)
    for i in range(4):
        build_march_dataset(report_project, suffix=f"-{i}")
    days_read = []

    def placements_on(*, on, **kwargs):
        days_read.append(on)
        return real_placements_on(on=on, **kwargs)

    real_placements_on = selectors.placements_on
    monkeypatch.setattr(selectors, "placements_on", placements_on)
    large, response = _cold_dashboard_queries(client, url)
    assert response.context["figures"]["participants"]["starts"] == 20
    assert large == small
    # The period's last day (placements, supervisors, need and supply); the previous month's totals on the first
    # page are summed in the database, not read placement by placement.
    assert days_read == [dt.date(2026, 3, 31)]
    assert small == COLD_DASHBOARD_QUERIES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_cached_figures_are_computed_again_as_soon_as_anything_was_written(
        client, leader, committed_march, dashboard_cache, django_assert_max_num_queries):
    """While nothing was written the cached figures are served (one query asks whether anything was); after a
    write, the next request computes them again, well within the five minutes: the dashboard shows what a report
    built now would."""
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={committed_march.pk}&month=2026-03"
    first = client.get(url)
    starts = first.context["figures"]["participants"]["starts"]
    assert "räknas om när uppgifterna ändras" in first.content.decode()
    assert "var femte minut" not in first.content.decode()
    # session, user, project choices, latest runs, whether anything was written, session save; no figure queries
    with django_assert_max_num_queries(11):
        unchanged = client.get(url)
    assert unchanged.context["computed_at"] == first.context["computed_at"]
    ReferralFactory(project=committed_march, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    changed = client.get(url)
    assert changed.context["figures"]["participants"]["starts"] == starts + 1
    assert changed.context["computed_at"] > first.context["computed_at"]
    assert client.get(url).context["computed_at"] == changed.context["computed_at"]  # kept again



@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_entry_cached_by_the_version_before_is_served_until_it_expires(client, leader, committed_march,
                                                                         dashboard_cache):
    """Entries made before the figures carried their moment have none: after a deploy they are served, not a 500."""
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={committed_march.pk}&month=2026-03"
    first = client.get(url)
    key = f"reporting:dashboard:{committed_march.pk}:2026-03-01:2026-03-31:0:sv"
    earlier = cache.get(key)
    assert earlier["since"] is not None
    del earlier["since"]
    cache.set(key, earlier, 300)
    again = client.get(url)
    assert again.status_code == 200
    assert again.context["computed_at"] == first.context["computed_at"]
    assert again.context.get("since") is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chart_after_a_write_is_drawn_from_the_figures_of_its_page_not_computed_again(
        client, leader, committed_march, dashboard_cache, computed):
    """Each chart of the page is a request of its own: were each to see the write, each would compute the
    figures again, all at once. The next page computes them."""
    client.force_login(leader)
    query = {"project": committed_march.pk, "month": "2026-03"}
    page = client.get(reverse("reporting:dashboard"), query)
    assert computed["monthly"] == 1
    ReferralFactory(project=committed_march, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    for key in page.context["charts"]:
        chart = client.get(reverse("reporting:dashboard_chart", args=[key]), query)
        assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")
    assert page.context["charts"] and computed["monthly"] == 1
    assert client.get(reverse("reporting:dashboard"), query).context["computed_at"] > page.context["computed_at"]
    assert computed["monthly"] == 2


def _starts_cell(response, label="starter") -> str:
    """The number on the dashboard's key figure card "starter"."""
    return re.search(rf'<p class="stat-value mb-1">([^<]*)</p><p class="mb-0">{label}</p>',
                     response.content.decode()).group(1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dashboard_shows_the_months_report_figures_kept_by_a_build_without_computing_them(
        client, leader, committed_march, dashboard_cache, computed):
    """The dashboard's month and that month's report are one set of figures: what a build (or the figures
    computed ahead) kept since the last write is what the dashboard shows, not computed again beside it."""
    build_report(kind="monthly", project=committed_march, period_start=MARCH[0], period_end=MARCH[1], render=False)
    assert computed["monthly"] == 1
    key = selectors.report_figures_key("monthly", committed_march.pk, *MARCH)
    kept = cache.get(key)
    kept["figures"]["participants"]["starts"] = 987  # no data give this: the page can only have it from there
    cache.set(key, kept, 300)
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={committed_march.pk}&month=2026-03"
    with CaptureQueriesContext(connection) as queries:
        kept_page = client.get(url)
    assert _starts_cell(kept_page) == "987"
    assert computed["monthly"] == 1
    # The entry's moment is the kept figures' own: the data's moment is asked once, whether anything changed once.
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum("pg_current_snapshot()" in query for query in sql) == 1
    assert sum("pg_visible_in_snapshot" in query for query in sql) == 1
    assert kept_page.context["since"] == kept["since"]
    # After a write neither is current: the dashboard computes them, and keeps them for the build.
    ReferralFactory(project=committed_march, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    changed = client.get(url)
    starts = changed.context["figures"]["participants"]["starts"]
    assert _starts_cell(changed) == str(starts) != "987"
    assert computed["monthly"] == 2
    figures, _pdf = build_report(kind="monthly", project=committed_march, period_start=MARCH[0],
                                 period_end=MARCH[1], render=False)
    assert figures["participants"]["starts"] == starts
    assert computed["monthly"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dashboard_in_english_shows_the_figures_a_build_kept_in_swedish(
        client, leader, committed_march, dashboard_cache, computed):
    """A build is in Swedish; the figures hold no translated text, so the dashboard in English takes them too."""
    build_report(kind="monthly", project=committed_march, period_start=MARCH[0], period_end=MARCH[1], render=False)
    key = selectors.report_figures_key("monthly", committed_march.pk, *MARCH)
    kept = cache.get(key)
    kept["figures"]["participants"]["starts"] = 987
    cache.set(key, kept, 300)
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={committed_march.pk}&month=2026-03"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "en"
    assert _starts_cell(page, "starts") == "987"
    assert computed["monthly"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pages_charts_show_its_own_figures_after_a_later_page_computed_newer_ones(
        client, leader, committed_march, dashboard_cache):
    """A page's charts are requested after it: where a write and another page's request came between, they are
    still the charts of the numbers in the page's tables, not of the newer figures."""
    client.force_login(leader)
    query = {"project": committed_march.pk, "month": "2026-03"}
    first = client.get(reverse("reporting:dashboard"), query)
    ReferralFactory(project=committed_march, referral_date=dt.date(2026, 3, 15), start_date=dt.date(2026, 3, 15))
    second = client.get(reverse("reporting:dashboard"), query)
    assert second.context["chart_query"] != first.context["chart_query"]
    changed = [key for key, chart in first.context["charts"].items()
               if chart.rows != second.context["charts"][key].rows]
    assert changed
    for key in changed:
        url = reverse("reporting:dashboard_chart", args=[key])
        for page in (first, second):
            chart = client.get(f"{url}?{page.context['chart_query']}")
            assert chart.content.decode() == page.context["charts"][key].svg
    assert first.context["charts"]["trend"].svg != second.context["charts"]["trend"].svg


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reuse_seconds", [0, 3600])
def test_a_write_to_the_project_after_the_page_read_it_is_in_the_figures_or_makes_them_old(
        client, leader, committed_march, dashboard_cache, settings, monkeypatch, reuse_seconds):
    """The page reads the project before the figures' moment is taken: a write to it committed in between must be
    in the figures (or else be seen as a change), whether or not report figures are kept."""
    settings.REPORT_FIGURES_REUSE_SECONDS = reuse_seconds
    Project.objects.filter(pk=committed_march.pk).update(target_work_or_studies_percent=40)
    real_moment = changelog.moment
    written = []

    def moment_after_a_write(*args, **kwargs):
        if not written:
            written.append(Project.objects.filter(pk=committed_march.pk).update(target_work_or_studies_percent=70))
        return real_moment(*args, **kwargs)

    monkeypatch.setattr(changelog, "moment", moment_after_a_write)
    client.force_login(leader)
    url = reverse("reporting:dashboard") + f"?project={committed_march.pk}&month=2026-03"
    for _request in range(2):
        assert client.get(url).context["figures"]["outcomes"]["work_or_studies"]["target"] == 0.7
    assert written == [1]
