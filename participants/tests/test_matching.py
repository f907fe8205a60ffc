import datetime as dt

import pytest

from organisations.tests.factories import UnitFactory
from participants import selectors
from placements.models import Assignment, Placement
from placements.tests.factories import AssignmentFactory, PlacementFactory

START, END = dt.date(2026, 3, 1), dt.date(2026, 5, 31)


@pytest.fixture
def wishes(referral_af, area_testvard, calm):
    referral_af.interests.add(area_testvard)
    referral_af.adaptation_needs.add(calm)
    referral_af.wished_municipality = "Visby"
    referral_af.save()
    return referral_af


def _suggest(user, referral, **kwargs):
    return selectors.placement_suggestions(user=user, referral=referral, start_date=START, planned_end_date=END,
                                           **kwargs)


def test_ranking_by_interest_municipality_and_adaptations(wishes, case_worker_af, org_a, area_testvard, area_it, calm):
    visby, slite = UnitFactory(organisation=org_a, municipality="Visby"), UnitFactory(organisation=org_a,
                                                                                       municipality="Slite")
    best = PlacementFactory(title="Bäst", unit=visby, occupational_area=area_testvard)
    best.adaptations.add(calm)
    interest_only = PlacementFactory(title="Intresse", unit=slite, occupational_area=area_testvard)
    town_only = PlacementFactory(title="Kommun", unit=visby, occupational_area=area_it)
    nothing = PlacementFactory(title="Inget", unit=slite, occupational_area=area_it)

    suggestions = _suggest(case_worker_af, wishes)
    assert [s.placement for s in suggestions] == [best, interest_only, town_only, nothing]
    assert suggestions[0].score > suggestions[1].score > suggestions[2].score > suggestions[3].score
    assert any("Lugn testmiljö" in r for r in suggestions[0].reasons)
    assert any("Saknar anpassning" in w for w in suggestions[1].warnings)
    assert any("Annan kommun: Slite" in w for w in suggestions[1].warnings)


def test_full_closed_and_unavailable_placements_are_left_out(wishes, case_worker_af, unit_a, area_testvard):
    full = PlacementFactory(unit=unit_a, occupational_area=area_testvard, capacity=1)
    AssignmentFactory(placement=full, status=Assignment.Status.ONGOING, start_date=dt.date(2026, 1, 1),
                      planned_end_date=dt.date(2026, 6, 30))
    PlacementFactory(unit=unit_a, occupational_area=area_testvard, status=Placement.Status.CLOSED)
    PlacementFactory(unit=unit_a, occupational_area=area_testvard, available_from=dt.date(2026, 4, 1))
    PlacementFactory(unit=unit_a, occupational_area=area_testvard, available_to=dt.date(2026, 4, 30))
    ok = PlacementFactory(unit=unit_a, occupational_area=area_testvard, capacity=2)
    AssignmentFactory(placement=ok, status=Assignment.Status.ONGOING, start_date=dt.date(2026, 1, 1),
                      planned_end_date=dt.date(2026, 6, 30))
    assert [s.placement for s in _suggest(case_worker_af, wishes)] == [ok]


def test_query_count_is_constant(wishes, case_worker_af, unit_a, area_testvard, calm, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            placement = PlacementFactory(unit=unit_a, occupational_area=area_testvard)
            placement.adaptations.add(calm)

    make(1)
    # interests, adaptation needs, placements with occupancy and scores, their adaptations (prefetch)
    with django_assert_num_queries(4):
        assert len(_suggest(case_worker_af, wishes)) == 1
    make(29)
    with django_assert_num_queries(4):
        assert len(_suggest(case_worker_af, wishes)) == 25  # the default limit
