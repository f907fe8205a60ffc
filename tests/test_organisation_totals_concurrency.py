"""A reader of the organisation overview while a write is open, on PostgreSQL (each thread its own connection):
what it sums and caches then is under the tokens the write is about to replace, so the first request after the
commit shows the write, summing only the written tree again; and a unit moved while a writer of one of its
placements is open waits for that writer, so the tokens replaced are of where the placement's figures are."""

import datetime as dt
import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from organisations.services import unit_save
from organisations.tests.factories import OccupationalAreaFactory
from placements import services
from placements.selectors import organisation_roll_up, placements_on
from placements.tests.factories import PlacementFactory
from placements.tests.test_organisation_totals_cache import sums, trees_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_totals_summed_during_an_open_write_are_left_behind_by_its_commit(settings, leader, org_a, unit_a, unit_b,
                                                                          monkeypatch):
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 3600
    cache.clear()
    today = timezone.localdate()
    PlacementFactory(unit=unit_a, capacity=2, available_from=today - dt.timedelta(days=5))
    PlacementFactory(unit=unit_b, capacity=4, available_from=today - dt.timedelta(days=5))  # another tree
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
    cache.clear()  # nothing cached: this request sums now, under the tokens still committed
    assert organisation_roll_up(on=today)[org_a.pk].places == before
    read.set()
    writer.join(30)
    assert not writer.is_alive()
    with sums(monkeypatch) as calls:
        after = organisation_roll_up(on=today)
    assert calls == [trees_of({org_a.pk})]  # the written tree only; unit_b's from the cache
    assert after[org_a.pk].places == before + 3
    assert after == organisation_roll_up(on=today, days=placements_on(on=today))


def test_a_write_of_a_placement_whose_unit_is_being_moved_replaces_the_token_of_where_it_moved(
        settings, leader, org_a, org_b, unit_a, unit_b):
    """The unit is moved (not yet committed) when a writer of one of its placements begins: the writer waits for the
    move, then replaces the token of the organisation the unit moved to. Totals of that tree summed between the two
    commits (the unit there, the placement as it stood) are left behind by the writer's commit."""
    settings.ORGANISATION_TOTALS_CACHE_SECONDS = 3600
    cache.clear()
    today = timezone.localdate()
    PlacementFactory(unit=unit_b, capacity=4, available_from=today - dt.timedelta(days=5))
    paused = PlacementFactory(unit=unit_a, capacity=3, available_from=today - dt.timedelta(days=5))
    organisation_roll_up(on=today)
    moved, release_move, written, release_write = (threading.Event() for _ in range(4))

    def move():
        try:
            with transaction.atomic():
                unit_save(user=leader, unit=unit_a, organisation=org_b)
                moved.set()
                assert release_move.wait(30)
        finally:
            connection.close()

    def write():
        try:
            with transaction.atomic():
                services.placement_pause(user=leader, placement=paused)  # locks the placement, writes no unit
                written.set()
                assert release_write.wait(30)
        finally:
            connection.close()

    mover, writer = threading.Thread(target=move), threading.Thread(target=write)
    mover.start()
    assert moved.wait(30)
    writer.start()
    assert not written.wait(1)  # the writer waits for the move
    release_move.set()
    mover.join(30)
    assert written.wait(30)
    # The move committed, the pause not yet: org_b's tree is summed with the unit, the placement open, and cached.
    assert organisation_roll_up(on=today)[org_b.pk].free == 4 + 3
    release_write.set()
    writer.join(30)
    assert not writer.is_alive() and not mover.is_alive()
    after = organisation_roll_up(on=today)
    assert after == organisation_roll_up(on=today, days=placements_on(on=today))
    assert (after[org_b.pk].places, after[org_b.pk].free, after[org_a.pk].places) == (4 + 3, 4, 0)
