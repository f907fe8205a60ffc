"""waiting_for_placement_on (the starts in the state WAITING, found without each start's state) is the
definition's WAITING state on every day: before, on and after each date the data names."""

import datetime as dt

import pytest
from django.utils import timezone

from participants.models import ExitKind
from participants.selectors import WaitingState, waiting_for_placement_on, waiting_list_on
from participants.tests.factories import ExitFactory, ReferralFactory
from participants.tests.waiting import ONE_DAY, _dates_in_the_data
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

pytestmark = pytest.mark.django_db

D = dt.date
S = Assignment.Status


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _assignment(referral, *, created: dt.date, **fields):
    assignment = AssignmentFactory(referral=referral, **fields)
    Assignment.objects.filter(pk=assignment.pk).update(created_at=_at(created, 23))  # late: the local day counts
    return assignment


@pytest.fixture
def starts(project):
    def start(referred, **kwargs):
        return ReferralFactory(project=project, referral_date=referred, **kwargs)

    start(D(2026, 3, 1))                                                          # waiting all along
    asked = start(D(2026, 3, 1))                                                  # requested, then declined
    _assignment(asked, created=D(2026, 3, 5), status=S.DECLINED, start_date=D(2026, 4, 1),
                planned_end_date=D(2026, 5, 1), decided_at=_at(D(2026, 3, 9)))
    withdrawn = start(D(2026, 3, 2))                                              # requested, withdrawn
    _assignment(withdrawn, created=D(2026, 3, 6), status=S.WITHDRAWN, start_date=D(2026, 4, 1),
                planned_end_date=D(2026, 5, 1), withdrawn_on=D(2026, 3, 12))
    booked = start(D(2026, 3, 3))                                                 # booked, begun, completed
    _assignment(booked, created=D(2026, 3, 4), status=S.COMPLETED, start_date=D(2026, 3, 16),
                planned_end_date=D(2026, 3, 25), end_date=D(2026, 3, 24), decided_at=_at(D(2026, 3, 7)))
    confirmed = start(D(2026, 3, 3))                                              # confirmed, withdrawn later
    _assignment(confirmed, created=D(2026, 3, 4), status=S.WITHDRAWN, start_date=D(2026, 4, 2),
                planned_end_date=D(2026, 5, 1), decided_at=_at(D(2026, 3, 8)), withdrawn_on=D(2026, 3, 20))
    imported = start(D(2026, 2, 1))                                               # history: never a request
    _assignment(imported, created=D(2026, 3, 10), status=S.CONFIRMED, start_date=D(2026, 4, 3),
                planned_end_date=D(2026, 5, 1))
    ExitFactory(referral=start(D(2026, 3, 1)), exit_date=D(2026, 3, 18))          # exited
    ExitFactory(referral=start(D(2026, 3, 1)), exit_date=D(2026, 3, 18), kind=ExitKind.REGISTERED_IN_ERROR)


def test_the_starts_waiting_for_a_placement_are_the_definitions_on_every_day(starts):
    days = set()
    for day in _dates_in_the_data():
        days.update((day - ONE_DAY, day, day + ONE_DAY))
    states_seen = set()
    for day in sorted(days):
        defined = waiting_list_on(day)
        states_seen.update(defined.values_list("waiting_state", flat=True))
        expected = set(defined.filter(waiting_state=WaitingState.WAITING).values_list("pk", flat=True))
        assert set(waiting_for_placement_on(day).values_list("pk", flat=True)) == expected, day
    assert states_seen == set(WaitingState.values)  # every state occurs on some day
