"""Referral.closed_on, the stored date of a start's exit that the waiting list filters on, stays the date of its
exit through every write of an exit or its date; the waiting list on any day is still the one the dates give."""

import datetime as dt

from django.utils import timezone

from participants import corrections, services
from participants.imports import participants_import, read_table
from participants.models import ExitKind, Referral
from participants.selectors import waiting_list_on
from participants.tests.factories import ReferralFactory

D = dt.date(2026, 2, 1)


def _stored(referral) -> dt.date | None:
    return Referral.objects.values_list("closed_on", flat=True).get(pk=referral.pk)


def _waiting_on(referral, day) -> bool:
    return waiting_list_on(day, Referral.objects.filter(pk=referral.pk)).exists()


def test_recording_an_exit_stores_its_date(case_worker_af, referral_af, categories):
    assert _stored(referral_af) is None
    services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                         reason=categories["reasons"]["arbete"])
    assert _stored(referral_af) == D
    assert _waiting_on(referral_af, D - dt.timedelta(days=1)) and not _waiting_on(referral_af, D)


def test_correcting_the_exit_date_moves_it_both_ways(case_worker_af, leader, referral_af, categories):
    exit_ = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                                 reason=categories["reasons"]["arbete"]).exit
    later = D + dt.timedelta(days=20)
    corrections.exit_correct(user=leader, exit=exit_, correction_reason="Fel datum", exit_date=later)
    assert _stored(referral_af) == later
    assert _waiting_on(referral_af, later - dt.timedelta(days=1)) and not _waiting_on(referral_af, later)
    exit_.refresh_from_db()
    earlier = D - dt.timedelta(days=10)
    corrections.exit_correct(user=leader, exit=exit_, correction_reason="Fel datum", exit_date=earlier)
    assert _stored(referral_af) == earlier
    assert not _waiting_on(referral_af, earlier)


def test_an_exit_corrected_to_registered_in_error_counts_nowhere(case_worker_af, leader, referral_af, categories):
    exit_ = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                                 reason=categories["reasons"]["arbete"]).exit
    assert _waiting_on(referral_af, referral_af.referral_date)
    corrections.exit_correct(user=leader, exit=exit_, correction_reason="Felregistrerad",
                             kind=ExitKind.REGISTERED_IN_ERROR)
    assert _stored(referral_af) == D  # still its exit's date; the kind is read from the exit
    for day in (referral_af.referral_date, D - dt.timedelta(days=1), D, D + dt.timedelta(days=30)):
        assert not _waiting_on(referral_af, day), day


def test_an_exit_recorded_in_error_counts_nowhere(case_worker_af, referral_af):
    services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.REGISTERED_IN_ERROR)
    assert _stored(referral_af) == D
    assert not _waiting_on(referral_af, referral_af.referral_date)


def test_history_import_stores_each_starts_exit_date(project, agency_af, categories):
    text = "\n".join([
        "participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
        "support_before,activity_before,activity_after,placement_code,followup_90_status",
        "P1,kvinna,1985,af,2025-01-10,,2025-04-30,enligt plan,Arbete,,,arbete,,",
        "P1,kvinna,1985,af,2025-09-01,,,,,,,,,",
        "P2,man,1990,af,2025-02-01,,2025-03-15,felregistrering,,,,,,",
    ])
    headers, rows, _notices = read_table(text.encode())
    assert participants_import(user=None, project=project, headers=headers, rows=rows, dry_run=False).ok
    stored = set(Referral.objects.values_list("participant__code", "referral_date", "closed_on"))
    assert stored == {("P1", dt.date(2025, 1, 10), dt.date(2025, 4, 30)), ("P1", dt.date(2025, 9, 1), None),
                      ("P2", dt.date(2025, 2, 1), dt.date(2025, 3, 15))}
    assert set(waiting_list_on(dt.date(2025, 3, 1)).values_list("participant__code", flat=True)) == {"P1"}


def test_erasure_and_gallring_leave_it(case_worker_af, leader, referral_af, categories):
    services.exit_record(user=case_worker_af, referral=referral_af, exit_date=D, kind=ExitKind.AS_PLANNED,
                         reason=categories["reasons"]["arbete"])
    services.participant_erase(user=leader, participant=referral_af.participant, reason="Begäran")
    assert _stored(referral_af) == D
    services.participants_purge(participant_ids=[referral_af.participant_id], now=timezone.now())
    assert _stored(referral_af) == D


def test_a_start_without_exit_stays_open(agency_af, project):
    referral = ReferralFactory(agency=agency_af, project=project, referral_date=D)
    assert _stored(referral) is None
    assert _waiting_on(referral, D) and _waiting_on(referral, D + dt.timedelta(days=400))
