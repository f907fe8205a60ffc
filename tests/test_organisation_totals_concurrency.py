"""A reader of the organisation overview while a write is open, on PostgreSQL (each thread its own connection):
what it sums and caches then is under the token the write is about to replace, so the first request after the
commit shows the write."""

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from organisations.tests.factories import OccupationalAreaFactory
from placements import services
from placements.selectors import organisation_roll_up, placements_on
from placements.tests.factories import PlacementFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_totals_summed_during_an_open_write_are_left_behind_by_its_commit(settings, leader, org_a, unit_a):
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 3600
    cache.clear()
    today = timezone.localdate()
    PlacementFactory(unit=unit_a, capacity=2, available_from=today - dt.timedelta(days=5))
    area = OccupationalAreaFactory()
    before = organisation_roll_up(on=today)[org_a.pk].places
    written, read = threading.Event(), threading.Event()

    def write():
        try:
            with transaction.atomic():
                services.placement_create(user=leader, title="Ny plats", unit=unit_a, occupational_area=area,
                                          capacity=3, available_from=today, attested=True)
                written.set()
                assert read.wait(30)  # the reader sums while this transaction holds the new token uncommitted
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    assert written.wait(30)
    cache.clear()  # nothing cached: this request sums now, under the token still committed
    assert organisation_roll_up(on=today)[org_a.pk].places == before
    read.set()
    writer.join(30)
    assert not writer.is_alive()
    after = organisation_roll_up(on=today)
    assert after[org_a.pk].places == before + 3
    assert after == organisation_roll_up(on=today, days=placements_on(on=today))
