import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse

from participants.tests.factories import ReferralFactory


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

