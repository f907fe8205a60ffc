"""Participant.latest_referral_date, the participant list's stored sort key, stays the date of the latest start
through every write of a referral or its date; the list sorts and cuts its page on it without reading referrals."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Gender
from participants import corrections, services
from participants.imports import participants_import, read_table
from participants.models import Participant, Referral
from participants.tests.factories import ExitFactory, ReferralFactory

D = dt.date(2026, 2, 1)


def _stored(participant) -> dt.date | None:
    return Participant.objects.values_list("latest_referral_date", flat=True).get(pk=participant.pk)


def _latest(participant) -> dt.date | None:
    return Referral.objects.filter(participant=participant).order_by("-referral_date").values_list(
        "referral_date", flat=True).first()


def test_referral_form_stores_the_date_and_a_later_start_moves_it(case_worker_af, agency_af, project):
    first = services.referral_create(user=case_worker_af, project=project, agency=agency_af, code="AF-X-1",
                                     identity=Participant.Identity.PSEUDONYMOUS, gender=Gender.WOMAN,
                                     referral_date=D).referral
    assert _stored(first.participant) == D
    ExitFactory(referral=first, exit_date=D + dt.timedelta(days=10))
    again = services.referral_create(user=case_worker_af, project=project, agency=agency_af, code="AF-X-1",
                                     identity=Participant.Identity.PSEUDONYMOUS, gender=Gender.WOMAN,
                                     referral_date=D + dt.timedelta(days=30)).referral
    assert again.participant_id == first.participant_id
    assert _stored(first.participant) == D + dt.timedelta(days=30)


def test_correcting_the_date_moves_it_both_ways(leader, agency_af, project):
    older = ReferralFactory(agency=agency_af, project=project, referral_date=D)
    newer = ReferralFactory(agency=agency_af, project=project, participant=older.participant,
                            referral_date=D + dt.timedelta(days=40))
    assert _stored(older.participant) == D + dt.timedelta(days=40)
    corrections.referral_correct(user=leader, referral=newer, correction_reason="Fel datum",
                                 referral_date=D + dt.timedelta(days=5))
    assert _stored(older.participant) == D + dt.timedelta(days=5) == _latest(older.participant)
    corrections.referral_correct(user=leader, referral=older, correction_reason="Fel datum",
                                 referral_date=D + dt.timedelta(days=20))
    assert _stored(older.participant) == D + dt.timedelta(days=20) == _latest(older.participant)


def test_history_import_stores_each_participants_latest_start(project, agency_af, categories):
    text = "\n".join([
        "participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
        "support_before,activity_before,activity_after,placement_code,followup_90_status",
        "P1,kvinna,1985,af,2025-01-10,,2025-04-30,enligt plan,Arbete,,,arbete,,",
        "P1,kvinna,1985,af,2025-09-01,,,,,,,,,",
        "P2,man,1990,af,2025-02-01,,,,,,,,,",
        ",kvinna,,af,2025-06-01,2025-06-03,,,,,,,,",
    ])
    headers, rows, _notices = read_table(text.encode())
    assert participants_import(user=None, project=project, headers=headers, rows=rows, dry_run=False).ok
    stored = dict(Participant.objects.values_list("code", "latest_referral_date"))
    assert stored == {"P1": dt.date(2025, 9, 1), "P2": dt.date(2025, 2, 1), None: dt.date(2025, 6, 1)}


def test_gallring_leaves_it_as_the_starts_it_keeps(agency_af, project):
    referral = ReferralFactory(agency=agency_af, project=project, referral_date=D)
    services.participants_purge(participant_ids=[referral.participant_id], now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert _stored(referral.participant) == D == _latest(referral.participant)


def test_list_is_sorted_by_the_latest_start_without_reading_referrals_for_the_page_keys(client, leader, agency_af,
                                                                                         project):
    late = ReferralFactory(agency=agency_af, project=project, participant__code="SEN", referral_date=D)
    early = ReferralFactory(agency=agency_af, project=project, participant__code="TIDIG",
                            referral_date=D - dt.timedelta(days=100))
    ReferralFactory(agency=agency_af, project=project, participant=early.participant,
                    referral_date=D + dt.timedelta(days=1))
    client.force_login(leader)
    client.get(reverse("participants:list"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("participants:list"))
    assert [p.code for p, _stage, _days in response.context["rows"]] == ["TIDIG", "SEN"]
    assert late.participant.pk
    # the page's keys: the participants' ids in the list's order (not the rows' query, which reads those ids)
    keys = [q["sql"] for q in ctx.captured_queries
            if ('SELECT "participants_participant"."id" AS "pk"' in q["sql"] or
                q["sql"].startswith('SELECT "participants_participant"."id" FROM'))
            and '"participants_participant"."id" IN (' not in q["sql"]]
    assert len(keys) == 1
    assert "participants_referral" not in keys[0]
    assert "latest_referral_date" in keys[0]
