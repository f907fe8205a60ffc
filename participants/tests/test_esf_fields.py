"""ESF+ and Finsam fields: education level and labour-market status at referral, income source after
at exit and at the follow-ups, and the 6-month follow-up (due date, reminder, recorded outcome)."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import Gender
from participants import services
from participants.imports import participants_import, read_table
from participants.models import (
    EducationLevel,
    Exit,
    ExitKind,
    FollowUp6Months,
    LabourMarketStatus,
    Participant,
    Referral,
)
from participants.tests.factories import ExitFactory, ReferralFactory


def test_referral_stores_education_level_and_status_at_entry(case_worker_af, agency_af, project):
    result = services.referral_create(
        user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.PSEUDONYMOUS,
        gender=Gender.WOMAN, referral_date=dt.date(2026, 2, 1), education_level=EducationLevel.ISCED_3_4,
        labour_market_status=LabourMarketStatus.LONG_TERM_UNEMPLOYED)
    referral = Referral.objects.get(pk=result.referral.pk)
    assert referral.education_level == "isced_3_4"
    assert referral.labour_market_status == "långtidsarbetslös"


def test_referral_refuses_an_unknown_education_level(case_worker_af, agency_af, project):
    with pytest.raises(ValidationError) as error:
        services.referral_create(
            user=case_worker_af, project=project, agency=agency_af, identity=Participant.Identity.PSEUDONYMOUS,
            gender=Gender.WOMAN, referral_date=dt.date(2026, 2, 1), education_level="isced_9")
    assert error.value.message_dict == {"education_level": ["Välj en utbildningsnivå i listan."]}


def test_referral_form_offers_the_esf_fields_as_optional(client, case_worker_af, project, categories):
    client.force_login(case_worker_af)
    response = client.post(reverse("participants:referral_create"), {
        "project": project.pk, "referral_date": "2026-01-10", "identity": "pseudonymous", "gender": "man",
        "code": "", "education_level": "isced_0_2", "labour_market_status": "inaktiv"})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.education_level, referral.labour_market_status) == ("isced_0_2", "inaktiv")
    page = client.get(reverse("participants:detail", args=[referral.participant_id])).content.decode()
    assert "Förgymnasial (ISCED 0–2)</dd>" in page


def test_exit_schedules_the_6_month_follow_up_and_stores_income_after(case_worker_af, referral_af, categories):
    result = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 8, 31),
                                  kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"],
                                  support_after=categories["supports"]["a-kassa"])
    exit = Exit.objects.get(pk=result.exit.pk)
    assert exit.support_after == categories["supports"]["a-kassa"]
    assert exit.followup_90.due_on == dt.date(2026, 11, 29)
    assert exit.followup_6m.due_on == dt.date(2027, 2, 28)  # six calendar months, clipped to the month's end


def test_exit_in_error_has_no_6_month_follow_up(case_worker_af, referral_af):
    services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 2, 1),
                         kind=ExitKind.REGISTERED_IN_ERROR)
    assert not FollowUp6Months.objects.exists()


def test_6_month_follow_up_is_recorded_through_its_page(client, case_worker_af, referral_af, categories):
    exit = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 2, 1),
                                kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"]).exit
    followup = exit.followup_6m
    client.force_login(case_worker_af)
    listed = client.get(reverse("participants:followup6m_list"))
    assert list(listed.context["followups"]) == [followup]
    assert listed.context["title"] == "6-månadersuppföljningar"
    response = client.post(reverse("participants:followup6m_edit", args=[followup.pk]), {
        "done_on": "2026-08-03", "activity": categories["activities"]["studier"].pk,
        "support": categories["supports"]["försörjningsstöd"].pk, "notes": ""})
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.done_on == dt.date(2026, 8, 3)
    assert followup.activity == categories["activities"]["studier"]
    assert followup.support == categories["supports"]["försörjningsstöd"]


def test_6_month_follow_up_needs_an_activity(case_worker_af, referral_af, categories):
    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 1, 31))
    followup = FollowUp6Months.objects.create(exit=exit, due_on=dt.date(2026, 7, 31))
    with pytest.raises(ValidationError) as error:
        services.followup6m_record(user=case_worker_af, followup=followup, done_on=dt.date(2026, 8, 1),
                                   activity=None)
    assert error.value.message_dict == {"activity": ["Välj sysselsättning efter sex månader."]}


def test_90_day_follow_up_stores_income_after(case_worker_af, referral_af, categories):
    exit = services.exit_record(user=case_worker_af, referral=referral_af, exit_date=dt.date(2026, 2, 1),
                                kind=ExitKind.AS_PLANNED, reason=categories["reasons"]["arbete"]).exit
    services.followup90_record(user=case_worker_af, followup=exit.followup_90, done_on=dt.date(2026, 5, 2),
                               activity=categories["activities"]["arbete"], support=categories["supports"]["a-kassa"])
    exit.followup_90.refresh_from_db()
    assert exit.followup_90.support == categories["supports"]["a-kassa"]


def test_6_month_reminder_is_sent_once(leader, referral_af):
    exit = ExitFactory(referral=referral_af, exit_date=dt.date(2026, 1, 31))
    FollowUp6Months.objects.create(exit=exit, due_on=dt.date(2026, 7, 31))
    not_due = ExitFactory(referral=ReferralFactory())
    FollowUp6Months.objects.create(exit=not_due, due_on=dt.date(2026, 12, 1))
    assert services.followup6m_send_reminders(today=dt.date(2026, 8, 1)) == 1
    assert services.followup6m_send_reminders(today=dt.date(2026, 8, 1)) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Självklart: 1 6-månadersuppföljning att göra"
    assert "/participants/follow-up-6m/" in mail.outbox[0].body


HEADER = "participant_ref,gender,agency,referral_date,start_date,end_date,exit_kind,exit_reason,education_level," \
         "labour_market_status"


def test_import_reads_education_level_and_status(project, agency_af, categories, leader):
    text = "\n".join([
        HEADER,
        "P1,kvinna,af,2025-01-10,2025-01-20,2025-04-30,enligt plan,Arbete,Gymnasial,långtidsarbetslös",
        "P2,man,af,2025-01-10,2025-01-20,,,,ISCED 5-8,Inaktiv",
        "P3,man,af,2025-01-10,2025-01-20,,,,,",
    ])
    headers, rows, _notices = read_table(text.encode())
    result = participants_import(user=leader, project=project, headers=headers, rows=rows)
    assert result.errors == []
    values = dict(Referral.objects.values_list("participant__code", "education_level"))
    assert values == {"P1": "isced_3_4", "P2": "isced_5_8", "P3": ""}
    statuses = dict(Referral.objects.values_list("participant__code", "labour_market_status"))
    assert statuses == {"P1": "långtidsarbetslös", "P2": "inaktiv", "P3": ""}
    assert FollowUp6Months.objects.get().due_on == dt.date(2025, 10, 30)


def test_import_names_an_unknown_education_level(project, agency_af, categories, leader):
    text = HEADER + "\nP1,kvinna,af,2025-01-10,2025-01-20,,,,högskola,arbetslös"
    headers, rows, _notices = read_table(text.encode())
    result = participants_import(user=leader, project=project, headers=headers, rows=rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "education_level")]
    assert not Referral.objects.exists()
