import datetime as dt
from decimal import Decimal

import pytest

from organisations.models import Adaptation, OccupationalArea
from participants.models import Activity, ExitReason, SupportKind, SurveyStatement
from participants.tests.factories import ReferralFactory
from placements.tests.factories import PlacementFactory

STATEMENTS = [
    (1, "Jag har blivit väl bemött", 100), (2, "Jag står närmare arbetsmarknaden", 95),
    (3, "Deltagandet har varit positivt", 80), (4, "Jag är mer motiverad att söka arbete eller studier", 95),
    (5, "Jag har fått redskap för min personliga utveckling", 80),
]


@pytest.fixture
def categories(db):
    """The seed categories (created if a transactional test flushed the seeded rows)."""
    activities = {code: Activity.objects.get_or_create(code=code, defaults={"name": name, "is_work_or_studies": w})[0]
                  for code, name, w in [("arbete", "Arbete", True), ("studier", "Studier", True),
                                        ("arbetssökande", "Arbetssökande", False), ("annat", "Annat", False)]}
    reasons = {code: ExitReason.objects.get_or_create(code=code, defaults={"name": name, "is_work_or_studies": w})[0]
               for code, name, w in [("arbete", "Arbete", True), ("arbete-med-stod", "Arbete med stöd", True),
                                     ("studier", "Studier", True), ("annan-insats", "Annan insats", False),
                                     ("sjukdom", "Sjukdom", False), ("ovrigt", "Övrigt", False)]}
    supports = {code: SupportKind.objects.get_or_create(code=code, defaults={"name": name})[0]
                for code, name in [("a-kassa", "A-kassa"), ("sjukpenning", "Sjukpenning"),
                                   ("försörjningsstöd", "Försörjningsstöd")]}
    for number, text, target in STATEMENTS:
        SurveyStatement.objects.get_or_create(number=number, defaults={"text": text,
                                                                       "target_percent": Decimal(target)})
    return {"activities": activities, "reasons": reasons, "supports": supports}


@pytest.fixture
def area_testvard(db):
    """A test-only area (placements' `area_care` is a factory-made "Hälso- och sjukvård")."""
    return OccupationalArea.objects.get_or_create(code="test-vard", defaults={"name": "Testvård"})[0]


@pytest.fixture
def area_it(db):
    return OccupationalArea.objects.get_or_create(code="test-it", defaults={"name": "Test-IT"})[0]


@pytest.fixture
def calm(db):
    return Adaptation.objects.get_or_create(code="test-lugn", defaults={"name": "Lugn testmiljö"})[0]


@pytest.fixture
def one_place_a(unit_a, area_testvard):
    """A placement with ONE place at unit A (placements' own `placement_a` has two)."""
    return PlacementFactory(unit=unit_a, occupational_area=area_testvard, capacity=1,
                            available_from=dt.date(2025, 1, 1), code="PLATS-A")


@pytest.fixture
def referral_af(agency_af, project, case_worker_af):
    return ReferralFactory(agency=agency_af, project=project, case_worker=case_worker_af,
                           referral_date=dt.date(2026, 1, 5), participant__code="AF-TEST-1")


@pytest.fixture
def referral_fk(agency_fk, project, case_worker_fk):
    return ReferralFactory(agency=agency_fk, project=project, case_worker=case_worker_fk,
                           referral_date=dt.date(2026, 1, 5), participant__code="FK-TEST-1")
