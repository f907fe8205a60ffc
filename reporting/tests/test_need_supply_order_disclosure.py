"""Need and supply per area, biggest gap first: in the steering group's copy the order must not depend on a hidden
gap. Area A's 3 people waiting ("<5", its gap hidden) listed between B's gap 3 and C's gap 2 would say its gap is 3,
and with its free places shown, that 3 people wait."""

import datetime as dt

import pytest

from organisations.tests.factories import OccupationalAreaFactory, ProjectFactory
from participants.tests.factories import ReferralFactory
from placements.tests.factories import PlacementFactory
from reporting import selectors
from reporting.suppression import suppress_small_counts

pytestmark = pytest.mark.django_db
D = dt.date
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def _waiting(project, area, count):
    for _ in range(count):
        referral = ReferralFactory(project=project, referral_date=D(2026, 1, 1), start_date=D(2026, 1, 5))
        referral.interests.set([area])


def _published(project) -> list:
    steering = suppress_small_counts(selectors.monthly_report_figures(project, *MARCH))
    return steering["need_supply"]["by_area"]


def test_the_order_of_need_and_supply_does_not_give_back_a_hidden_gap():
    a, b, c = (OccupationalAreaFactory(name=f"Område {x}", code=f"omr{x.lower()}") for x in "ABC")
    PlacementFactory(occupational_area=b, capacity=7, available_from=D(2025, 1, 1))
    PlacementFactory(occupational_area=c, capacity=8, available_from=D(2025, 1, 1))
    published = []
    for waiting_in_a in (3, 2):
        project = ProjectFactory(start_date=D(2025, 1, 1), end_date=D(2026, 12, 31))
        _waiting(project, a, waiting_in_a)
        _waiting(project, b, 10)
        _waiting(project, c, 10)
        published.append(_published(project))
    ours = [[(row["name"], row["waiting_interested"], row["free"], row["gap"]) for row in rows
             if row["name"].startswith("Område ")] for rows in published]
    assert ("Område A", "<5", 0, None) in ours[0]
    assert ours[0] == ours[1]
    assert published[0] == published[1]
