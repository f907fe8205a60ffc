"""Property tests (hypothesis) for bad input.

Forms are posted through the test client with arbitrary text, numbers and dates (mixed with valid choices, so
the examples reach the services too): never a 500 (the test client re-raises server errors), and when the answer
is the form again (200) not one row was written; a success (302) writes at most one of the form's objects.
The import parsers get arbitrary bytes and arbitrary cell values: they return the documented errors or raise
ImportFileError / ImportRefused, and write nothing unless every row is valid.
"""

import datetime as dt

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from organisations.models import Organisation, Supervisor, Unit
from organisations.tests.factories import OccupationalAreaFactory, ProjectFactory, SupervisorFactory
from participants import imports as participant_imports
from participants.models import Activity, Exit, ExitKind, ExitReason, FollowUp90, Participant, Referral
from participants.tests.factories import ReferralFactory
from placements import imports as placement_imports
from placements.models import Assignment, Placement
from placements.tests.factories import PlacementFactory
from reporting.models import ReportRun

FORM_SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

WEIRD = [
    "", " ", "0", "-1", "1.5", "1e309", "NaN", "∞", "99999999999999999999999", "2026-02-30", "2026-13-01",
    "0001-01-01", "9999-12-31", "31/12/2026", "2026-1-1", "<script>alert(1)</script>", "'; DROP TABLE x;--",
    "\x00", "null", "None", "true", "Å" * 300, "١٢٣", "=cmd|' /C calc'!A0",
]
dates = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str)
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
anything = st.one_of(st.text(max_size=120), numbers, dates, st.sampled_from(WEIRD))


@st.composite
def form_data(draw, choices: dict[str, list]):
    """Plausible values for every field (some valid, some that only the service refuses), then up to three
    fields replaced by arbitrary input: examples reach the form's validation and the services behind it."""
    data = {name: str(draw(st.sampled_from(values))) for name, values in choices.items()}
    for name in draw(st.sets(st.sampled_from(sorted(choices)), max_size=3)):
        data[name] = draw(anything)
    return data


MODELS = (Placement, Supervisor, Organisation, Unit, Participant, Referral, Exit, FollowUp90, Assignment, ReportRun)


def _counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def _post_and_check(client: Client, url: str, data: dict, primary: type[models.Model]):
    before = _counts()
    response = client.post(url, data)
    after = _counts()
    assert response.status_code in (200, 302), response.status_code
    event(f"HTTP {response.status_code}")
    if response.status_code == 200:
        assert after == before, f"an error page wrote rows: {before} → {after}"
    else:
        assert after[primary.__name__] - before[primary.__name__] in (0, 1)


@pytest.fixture
def area(db):
    return OccupationalAreaFactory(code="hypotes", name="Yrkesområde")


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_placement_form(logged_in, manager_a, unit_a, unit_b, area):
    client = logged_in(manager_a)
    supervisor = SupervisorFactory(unit=unit_a)

    @FORM_SETTINGS
    @given(data=form_data({
        "title": ["Lagerarbete"], "unit": [unit_a.pk, unit_b.pk],
        "occupational_area": [area.pk], "tasks": [""], "capacity": [1, 2, 0],
        "available_from": ["2026-01-01"], "available_to": ["2026-12-31", ""],
        "supervisor": [supervisor.pk, ""], "code": [""], "attested": ["on"],
    }))
    def check(data):
        _post_and_check(client, reverse("placements:create"), data, Placement)

    check()


def test_supervisor_form(logged_in, manager_a, org_a, org_b, unit_a):
    client = logged_in(manager_a)

    @FORM_SETTINGS
    @given(data=form_data({
        "name": ["Hanna"], "organisation": [org_a.pk, org_b.pk], "unit": [unit_a.pk, ""],
        "email": ["h@example.test"], "phone": [""], "training_completed_on": ["2025-01-01", ""],
    }))
    def check(data):
        _post_and_check(client, reverse("placements:supervisor_create"), data, Supervisor)

    check()


def test_referral_form(logged_in, case_worker_af, project, agency_af, agency_fk):
    client = logged_in(case_worker_af)

    @FORM_SETTINGS
    @given(data=form_data({
        "project": [project.pk], "agency": [agency_af.pk, agency_fk.pk],
        "identity": ["pseudonymous", "anonymous", "identified"], "gender": ["kvinna", "man"],
        "referral_date": ["2026-02-01"], "start_date": ["", "2026-01-01", "2026-03-01"],
        "code": ["", "AF-1"], "birth_year": ["", "1990", "1899"], "consent": ["on", ""],
        "first_name": ["Anna", ""], "last_name": [""],
        "personal_number": ["", "19900101-0017", "19900101-0018"], "notes": [""],
        "wished_municipality": [""],
    }))
    def check(data):
        _post_and_check(client, reverse("participants:referral_create"), data, Referral)

    check()


def test_exit_form(logged_in, case_worker_af, project, agency_af):
    client = logged_in(case_worker_af)
    reason = ExitReason.objects.get_or_create(code="arbete", defaults={"name": "Arbete"})[0]
    activity = Activity.objects.get_or_create(code="arbete", defaults={"name": "Arbete"})[0]

    @FORM_SETTINGS
    @given(data=form_data({
        "exit_date": ["2026-03-01", "2025-01-01"], "kind": ExitKind.values,
        "reason": [reason.pk, ""], "activity_after": [activity.pk, ""],
    }))
    def check(data):
        referral = ReferralFactory(project=project, agency=agency_af, case_worker=case_worker_af,
                                   referral_date=dt.date(2026, 1, 5))  # a fresh open start for every example
        _post_and_check(client, reverse("participants:exit", args=[referral.pk]), data, Exit)
        # An exit and its 90-day follow-up are written together or not at all.
        assert Exit.objects.exclude(kind=ExitKind.REGISTERED_IN_ERROR).count() == FollowUp90.objects.count()

    check()


def test_report_request_form(logged_in, leader, project):
    client = logged_in(leader)

    @FORM_SETTINGS
    @given(data=form_data({
        "kind": ["monthly", "final"], "project": [project.pk],
        "period_start": ["2026-03-01"], "period_end": ["2026-03-31", "2026-02-01"],
    }))
    def check(data):
        _post_and_check(client, reverse("reporting:run_list"), data, ReportRun)

    check()


# --- import parsers ------------------------------------------------------------------------------

PARSER_SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture])

# Bytes that look like the formats the readers sniff for, then go wrong.
file_bytes = st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=2000).map(lambda tail: b"PK\x03\x04" + tail),
    st.binary(max_size=2000).map(lambda tail: b"\xef\xbb\xbf" + tail),
    st.binary(max_size=2000).map(lambda tail: b"\xff\xfe" + tail),
    st.lists(st.lists(st.text(max_size=20), max_size=8), max_size=20).map(
        lambda rows: "\n".join(";".join(row) for row in rows).encode("utf-8")),
)


@PARSER_SETTINGS
@given(data=file_bytes)
def test_placement_reader_accepts_or_refuses_any_bytes(data):
    try:
        headers, rows, notices = placement_imports.read_table(data)
    except placement_imports.ImportFileError as exc:
        assert str(exc)
    else:
        assert isinstance(headers, list) and isinstance(rows, list) and isinstance(notices, list)


@PARSER_SETTINGS
@given(data=file_bytes)
def test_participant_reader_accepts_or_refuses_any_bytes(data):
    try:
        headers, rows, _notices = participant_imports.read_table(data)
    except participant_imports.ImportFileError as exc:
        assert str(exc)
    else:
        assert all(isinstance(cell, str) for row in rows for cell in row)
        assert all(isinstance(header, str) for header in headers)


def _cells(valid):
    return st.one_of(anything, st.sampled_from(valid))


def test_participant_import_with_arbitrary_cells_writes_all_or_nothing(leader, agency_af, unit_a, area):
    project = ProjectFactory(slug="import-hypotes")
    PlacementFactory(unit=unit_a, occupational_area=area, code="P-1")
    ExitReason.objects.get_or_create(code="arbete", defaults={"name": "Arbete"})
    headers = list(participant_imports.COLUMNS)
    valid = {
        "participant_ref": ["", "R-1", "R-2"], "gender": ["kvinna", "man", "Icke-binär", "x"],
        "birth_year": ["", "1990", "1800"], "agency": ["af", "AF", "xx"],
        "referral_date": ["2026-01-01", "", "2026-02-30"], "start_date": ["", "2026-01-02"],
        "end_date": ["", "2026-03-01"], "exit_kind": ["", "enligt plan", "felregistrering"],
        "exit_reason": ["", "arbete"], "support_before": [""], "activity_before": [""], "activity_after": [""],
        "placement_code": ["", "P-1", "P-9"], "followup_90_status": [""],
        "education_level": ["", "gymnasial", "okänd"], "labour_market_status": [""],
    }
    row = st.tuples(*[_cells(valid[key]) for key in headers]).map(list)

    @PARSER_SETTINGS
    @given(rows=st.lists(row, min_size=1, max_size=5), dry_run=st.booleans())
    def check(rows, dry_run):
        before = _counts()
        result = participant_imports.participants_import(user=leader, project=project, headers=headers, rows=rows,
                                                         dry_run=dry_run)
        after = _counts()
        if result.errors or dry_run:
            assert after == before
            assert not result.saved
        else:
            assert result.saved and result.starts == len(rows)
            assert after["Referral"] - before["Referral"] == len(rows)

    check()


def test_placement_import_with_arbitrary_cells_writes_all_or_nothing(leader, org_a, unit_a, area):
    headers = list(placement_imports.COLUMNS)
    valid = {
        "code": ["", "K-1"], "title": ["Lager", ""], "organisation": [org_a.name, "Finns inte"],
        "unit": [unit_a.name, "Ny enhet"], "municipality": ["Visby", ""], "occupational_area": [area.name, ""],
        "tasks": [""], "capacity": ["1", "0", "-3", "x"], "available_from": ["", "2026-01-01"],
        "available_to": ["", "2025-01-01"], "supervisor_email": ["", "ingen@example.test"], "adaptations": [""],
    }
    row = st.tuples(*[_cells(valid[key]) for key in headers]).map(list)

    @PARSER_SETTINGS
    @given(rows=st.lists(row, min_size=1, max_size=5))
    def check(rows):
        before = _counts()
        plan = placement_imports.plan_import(headers, rows, user=leader)
        assert _counts() == before  # planning never writes
        try:
            applied = placement_imports.apply_import(headers, rows, user=leader, attested=True)
        except placement_imports.ImportRefused as refused:
            assert refused.plan.errors
            assert _counts() == before
        else:
            assert plan.ok and applied.ok
            created = _counts()["Placement"] - before["Placement"]
            assert created == applied.counts["create"]

    check()
