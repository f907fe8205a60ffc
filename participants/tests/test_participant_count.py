"""The stored number of participants (ParticipantCountChange): equal to the participants there are after every
writer that adds or deletes them, and what the leader's unfiltered participant list shows as its hit count, read
without counting the participants."""

import importlib
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Gender
from participants import services
from participants.imports import participants_import, read_table
from participants.models import Participant, ParticipantCountChange
from participants.selectors import participants_count_stored
from participants.tests.factories import ReferralFactory


def _stored_is_the_count():
    assert participants_count_stored() == Participant.objects.count()


def test_the_referral_form_adds_a_new_participant_and_not_a_known_one(case_worker_af, agency_af, project):
    refer = {"user": case_worker_af, "project": project, "agency": agency_af, "gender": Gender.WOMAN}
    _stored_is_the_count()
    result = services.referral_create(**refer, identity=Participant.Identity.PSEUDONYMOUS, code="AF-KÄND",
                                      referral_date=project.start_date)
    assert participants_count_stored() == 1
    services.referral_create(**refer, identity=Participant.Identity.PSEUDONYMOUS, code="AF-KÄND",
                             referral_date=project.start_date.replace(day=20))  # the same person again
    assert participants_count_stored() == 1 and result.referral.participant.referrals.count() == 2
    services.referral_create(**refer, identity=Participant.Identity.ANONYMOUS, referral_date=project.start_date)
    assert participants_count_stored() == 2
    _stored_is_the_count()


def test_the_history_import_adds_its_new_participants(project, agency_af, agency_fk, one_place_a, categories):
    ReferralFactory(agency=agency_af, project=project, participant__code="P1")  # already known: no new person
    text = "\n".join([
        "participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
        "support_before,activity_before,activity_after,placement_code,followup_90_status",
        "P1,kvinna,1985,af,2025-09-01,,,,,,,,,",
        "P2,man,1990,af,2025-02-01,,,,,,,,,",
        "P3,man,1990,fk,2025-02-01,,,,,,,,,",
    ])
    headers, rows, _notices = read_table(text.encode())
    result = participants_import(user=None, project=project, headers=headers, rows=rows, dry_run=False)
    assert result.ok, result.errors
    _stored_is_the_count()
    assert participants_count_stored() >= 3


def test_the_migration_fills_it(agency_af, project):
    for _ in range(3):
        ReferralFactory(agency=agency_af, project=project)
    ParticipantCountChange.objects.all().delete()
    importlib.import_module("participants.migrations.0015_participant_count_change").fill_participant_count(
        apps, SimpleNamespace(connection=connection))
    _stored_is_the_count()


def _list(client, query: str = "") -> tuple[str, list[str]]:
    url = reverse("participants:list") + query
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    return html, [q["sql"] for q in captured.captured_queries]


def test_the_leaders_unfiltered_list_counts_from_the_stored_number(client, leader, case_worker_af, agency_af,
                                                                     agency_fk, project):
    for agency in (agency_af, agency_af, agency_fk):
        ReferralFactory(agency=agency, project=project)
    client.force_login(leader)
    html, queries = _list(client)
    assert "<p>3 deltagare</p>" in html
    assert not [q for q in queries if q.startswith('SELECT COUNT(*) AS "__count" FROM "participants_participant"')]
    assert [q for q in queries if "participants_participantcountchange" in q]
    html, queries = _list(client, "?page=1")  # a page number narrows nothing
    assert "<p>3 deltagare</p>" in html and not [q for q in queries if "COUNT(*)" in q]
    html, queries = _list(client, f"?agency={agency_fk.pk}")  # narrowed: counted
    assert "<p>1 deltagare</p>" in html and [q for q in queries if "COUNT(*)" in q]
    client.force_login(case_worker_af)  # a case worker's list is their agency's: counted
    html, queries = _list(client)
    assert "<p>2 deltagare</p>" in html and [q for q in queries if "COUNT(*)" in q]
