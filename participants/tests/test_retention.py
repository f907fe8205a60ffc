"""Gallring: who is purged, what is removed, what the reports still count, the dry run,
the command, the daily beat job, and the audit log's own retention."""

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from config.settings import base as base_settings
from core.audit import audit_log
from core.models import AuditEvent, Gender
from organisations.models import Adaptation, OccupationalArea
from organisations.tests.factories import ProjectFactory
from participants.models import (
    Assessment,
    Competence,
    Exit,
    FollowUp,
    FollowUp90,
    Participant,
    PlanStep,
    Referral,
)
from participants.retention import expired_participants, purge_expired, retention_cutoff
from participants.services import participant_erase
from participants.tests.factories import ExitFactory, ReferralFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory
from reporting.selectors import final_figures, monthly_figures
from reporting.tests.conftest import MARCH, build_march_dataset

# Far enough after March 2026 that every closed start of the data set is past RETENTION_YEARS.
LATER = dt.date(2026, 4, 2) + dt.timedelta(days=365 * settings.RETENTION_YEARS + 30)


def _private_text(referral: Referral, *, placement_reason: bool = True) -> None:
    """Free text about the person on every record a start can have."""
    referral.notes = "Berättar om sin depression"
    referral.wished_municipality = "Slite"
    referral.save()
    referral.adaptation_needs.add(Adaptation.objects.get_or_create(code="lugn-miljo", defaults={"name": "Lugn"})[0])
    referral.interests.add(OccupationalArea.objects.get_or_create(code="test-it", defaults={"name": "IT"})[0])
    Assessment.objects.create(referral=referral, obstacles="Ångest i grupp", resources="Noggrann")
    PlanStep.objects.create(referral=referral, description="Träffa psykolog varje vecka")
    Competence.objects.create(referral=referral, name="Truckkort", validated_on=dt.date(2026, 3, 1))
    FollowUp.objects.create(referral=referral, met_on=dt.date(2026, 3, 1), notes="Mådde dåligt")
    if placement_reason:
        AssignmentFactory(referral=referral, status=Assignment.Status.WITHDRAWN, decline_reason="Sjukskriven")


@pytest.fixture
def closed_person(db):
    """An identified participant with one closed start, exit 30 June 2026."""
    participant = Participant.objects.create(
        identity=Participant.Identity.IDENTIFIED, code="AF-2026-0001", gender=Gender.WOMAN, birth_year=1980,
        first_name="Anna", last_name="Andersson", personal_number="198001011234",
        consent_recorded_at=timezone.now(),
    )
    referral = ReferralFactory(participant=participant)
    _private_text(referral)
    exit = ExitFactory(referral=referral, exit_date=dt.date(2026, 6, 30))
    FollowUp90.objects.create(exit=exit, due_on=dt.date(2026, 9, 28), notes="Har fått jobb på Coop")
    return participant


def test_cutoff_follows_the_setting(settings):
    settings.RETENTION_YEARS = 2
    assert retention_cutoff(dt.date(2030, 5, 1)) == dt.date(2028, 5, 1)
    assert retention_cutoff(dt.date(2028, 2, 29)) == dt.date(2026, 2, 28)
    assert base_settings.RETENTION_YEARS == 2
    assert base_settings.AUDIT_RETENTION_DAYS == 3 * 365


def test_only_closed_starts_past_the_period_are_due(closed_person):
    exit_day = dt.date(2026, 6, 30)
    due_day = exit_day + dt.timedelta(days=365 * settings.RETENTION_YEARS + 2)
    assert closed_person not in expired_participants(today=exit_day + dt.timedelta(days=300))
    assert closed_person in expired_participants(today=due_day)
    # A new start that is still open keeps the person's data, however old the earlier exit.
    ReferralFactory(participant=closed_person, referral_date=dt.date(2029, 1, 1))
    assert closed_person not in expired_participants(today=due_day + dt.timedelta(days=1000))


def test_dry_run_lists_what_would_go_and_changes_nothing(closed_person):
    before = Participant.objects.values().get(pk=closed_person.pk)
    history_before = Referral.history.count()
    result = purge_expired(today=LATER + dt.timedelta(days=200), dry_run=True)
    assert result.participant_ids == [closed_person.pk]
    assert result.counts["deltagare"] == 1
    assert result.counts["steg i individuell plan (raderas)"] == 1
    assert result.counts["historik: starter (raderas)"] >= 1
    assert Participant.objects.values().get(pk=closed_person.pk) == before
    assert Referral.history.count() == history_before
    assert PlanStep.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()


def test_purge_removes_personal_data_text_and_history(closed_person):
    referral = closed_person.referrals.get()
    kept = ReferralFactory()  # someone still in the project
    _private_text(kept, placement_reason=False)
    assert Referral.history.filter(id=referral.pk).exists()
    assert Exit.history.filter(referral_id=referral.pk).exists()

    result = purge_expired(today=dt.date(2026, 6, 30) + dt.timedelta(days=365 * settings.RETENTION_YEARS + 2))

    assert result.participant_ids == [closed_person.pk]
    person = Participant.objects.get(pk=closed_person.pk)
    assert (person.code, person.first_name, person.last_name, person.personal_number) == (None, "", "", "")
    assert person.consent_recorded_by is None
    assert person.personal_data_purged_at is not None
    assert (person.gender, person.birth_year) == (Gender.WOMAN, 1980)  # the report's gender and age band
    referral.refresh_from_db()
    assert (referral.notes, referral.wished_municipality) == ("", "")
    assert not referral.adaptation_needs.exists()
    # Occupational interests are a category the reports count (need and supply per area), like gender.
    assert list(referral.interests.values_list("code", flat=True)) == ["test-it"]
    assessment = Assessment.objects.get(referral=referral)
    assert (assessment.obstacles, assessment.resources) == ("", "")
    assert not PlanStep.objects.filter(referral=referral).exists()
    assert not Competence.objects.filter(referral=referral).exists()
    assert FollowUp.objects.get(referral=referral).notes == ""
    assert FollowUp90.objects.get(exit__referral=referral).notes == ""
    assert Assignment.objects.get(referral=referral).decline_reason == ""
    # No old copy of the text survives in the history tables.
    assert not Referral.history.filter(id=referral.pk).exists()
    assert not Assessment.history.filter(referral_id=referral.pk).exists()
    assert not Exit.history.filter(referral_id=referral.pk).exists()
    assert not Assignment.history.filter(referral_id=referral.pk).exists()
    # The dates and categories are still there.
    assert Exit.objects.filter(referral=referral, exit_date=dt.date(2026, 6, 30)).exists()
    # Nobody else was touched.
    kept.refresh_from_db()
    assert kept.notes == "Berättar om sin depression"
    assert kept.participant.code is not None
    assert Referral.history.filter(id=kept.pk).exists()
    # The purge itself is in the audit log, with no personal data.
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_id=str(closed_person.pk))
    assert event.user is None and "Gallring" in event.detail and "Anna" not in event.detail


def test_purge_is_idempotent(closed_person):
    today = LATER + dt.timedelta(days=200)
    assert purge_expired(today=today).participant_ids == [closed_person.pk]
    assert purge_expired(today=today).participant_ids == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).count() == 1


def _without_timestamp(figures: dict) -> dict:
    return {**figures, "meta": {k: v for k, v in figures["meta"].items() if k != "generated_at"}}


def test_reports_show_the_same_figures_before_and_after_a_purge(db):
    project = ProjectFactory(slug="gallring", name="Gallringsprojekt", start_date=dt.date(2025, 1, 1),
                             end_date=dt.date(2026, 12, 31))
    data = build_march_dataset(project)
    for person in (data.c, data.d, data.e, data.f):  # closed starts: these are purged
        _private_text(person.referrals.first(), placement_reason=False)
    whole = (project.start_date, project.end_date)
    monthly_before = _without_timestamp(monthly_figures(project, *MARCH))
    final_before = _without_timestamp(final_figures(project, *whole))

    result = purge_expired(today=LATER)

    assert set(result.participant_ids) == {data.c.pk, data.d.pk, data.e.pk, data.f.pk}
    assert Participant.objects.filter(personal_data_purged_at__isnull=False).count() == 4
    assert _without_timestamp(monthly_figures(project, *MARCH)) == monthly_before
    assert _without_timestamp(final_figures(project, *whole)) == final_before


def test_audit_events_past_their_period_are_deleted_and_only_by_the_job(leader, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
                    object_id=1)
    recent = audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
                       object_id=2)
    # The test has to go around the append-only queryset to age an event.
    models.QuerySet.update(AuditEvent.objects.filter(pk=old.pk), at=timezone.now() - dt.timedelta(days=31))

    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=old.pk).delete()
    with pytest.raises(ValueError):
        AuditEvent.objects.filter(pk=old.pk).update(detail="x")
    with pytest.raises(ValueError):
        old.delete()

    assert purge_expired(dry_run=True).audit_events == 1
    assert AuditEvent.objects.filter(pk=old.pk).exists()
    assert purge_expired().audit_events == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


def test_deleting_a_user_with_audit_events_is_refused(leader):
    from django.db.models import ProtectedError

    event = audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="x", object_id=1)
    with pytest.raises(ProtectedError):
        leader.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.user == leader and event.user_email == "leader@example.test"


def test_command_dry_run_prints_ids_and_changes_nothing(closed_person, settings):
    settings.RETENTION_YEARS = -1  # every closed start is past the period
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"deltagar-id: {closed_person.pk}" in text
    assert "deltagare: 1" in text
    assert "Torrkörning: ingenting har ändrats." in text
    assert Participant.objects.get(pk=closed_person.pk).code == "AF-2026-0001"


def test_command_purges(closed_person, settings):
    settings.RETENTION_YEARS = -1  # every closed start is past the period
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert f"deltagar-id: {closed_person.pk}" in out.getvalue()
    assert Participant.objects.get(pk=closed_person.pk).personal_data_purged_at is not None


def test_daily_beat_job_runs_the_purge(closed_person, settings):
    from participants.tasks import purge_expired as task

    entry = next(e for e in base_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task.name)
    assert entry["schedule"].hour == {2}
    settings.RETENTION_YEARS = -1
    assert task.delay().get() == 1
    assert Participant.objects.get(pk=closed_person.pk).personal_data_purged_at is not None


# --- erasure on request (the same anonymisation, at once) ------------------------------------------


def test_leader_erases_at_once_with_a_reason(leader, closed_person):
    ReferralFactory(participant=closed_person)  # an open start does not stop an erasure on request
    participant_erase(user=leader, participant=closed_person, reason="Begäran från den registrerade")
    person = Participant.objects.get(pk=closed_person.pk)
    assert person.personal_data_purged_at is not None and person.personal_number == ""
    assert not PlanStep.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_id=str(person.pk))
    assert event.user == leader and "Begäran från den registrerade" in event.detail


def _labelled_with(*words) -> list[str]:
    return [repr_ for repr_ in AuditEvent.objects.values_list("object_repr", flat=True)
            if any(word.lower() in repr_.lower() for word in words)]


@pytest.mark.parametrize("how", ["erase", "purge"])
def test_erasure_and_purge_scrub_the_pseudonym_and_name_from_the_audit_log(client, leader, closed_person, settings,
                                                                          how):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from participants.services import _audit

    referral = closed_person.referrals.get()
    _audit(leader, AuditEvent.Action.UPDATE, referral, "Kartläggning")
    audit_log(user=leader, action=AuditEvent.Action.VIEW, obj=closed_person)
    LogEntry.objects.create(user=leader, content_type=ContentType.objects.get_for_model(Participant),
                            object_id=str(closed_person.pk), object_repr=str(closed_person), action_flag=CHANGE,
                            change_message="Ändrade kod")
    other = audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="participants.Participant",
                      object_id="999999", object_repr="FK-2026-0009")
    assert len(_labelled_with("AF-2026-0001", "Anna")) == 2
    before = AuditEvent.objects.filter(object_id=str(closed_person.pk)).count()

    if how == "erase":
        participant_erase(user=leader, participant=closed_person, reason="Begäran från den registrerade")
    else:
        settings.RETENTION_YEARS = -1
        purge_expired()

    assert _labelled_with("AF-2026-0001", "Anna", "Andersson") == []
    events = AuditEvent.objects.filter(object_id=str(closed_person.pk))
    assert events.count() == before + 1                  # nothing deleted; the erasure itself logged
    assert AuditEvent.objects.get(pk=other.pk).object_repr == "FK-2026-0009"   # others keep their labels
    entry = LogEntry.objects.get(object_id=str(closed_person.pk))
    assert (entry.object_repr, entry.change_message) == ("", "")
    # The leader's search in the admin finds nothing by the old code.
    User = type(leader)
    User.objects.filter(pk=leader.pk).update(is_staff=True, is_superuser=True)
    client.force_login(leader)
    assert client.get("/admin/core/auditevent/", {"q": "AF-2026-0001"}).context["cl"].result_count == 0
    assert client.get("/admin/core/auditevent/", {"q": "FK-2026-0009"}).context["cl"].result_count == 1


def test_erasure_needs_a_reason_and_the_leader(leader, case_worker_af, closed_person):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        participant_erase(user=leader, participant=closed_person, reason="  ")
    with pytest.raises(PermissionDenied):
        participant_erase(user=case_worker_af, participant=closed_person, reason="Vill")
    assert Participant.objects.get(pk=closed_person.pk).personal_data_purged_at is None
