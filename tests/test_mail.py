"""Outgoing e-mail: sent by a Celery task with a timeout and retries, failures kept and shown to the project
leader, plain text never HTML-escaped."""

import datetime as dt
import re
import smtplib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from core import mail as outgoing
from core.models import OutgoingEmail
from participants.tests.factories import ReferralFactory
from placements import services as placement_services
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db


class FlakyBackend(BaseEmailBackend):
    """Fails the first `failures` sends like a dead SMTP server; records the timeout it was opened with."""

    failures = 0
    timeouts: list = []
    sent: list = []

    def __init__(self, fail_silently=False, timeout=None, **kwargs):
        super().__init__(fail_silently=fail_silently)
        FlakyBackend.timeouts.append(timeout)

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out")
        FlakyBackend.sent.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.test_mail.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.timeouts, FlakyBackend.sent = 0, [], []
    return FlakyBackend


def test_an_assignment_mail_is_plain_text_with_the_title_unescaped(unit_a, case_worker_af, manager_a, agency_af,
                                                                django_capture_on_commit_callbacks):
    placement = PlacementFactory(unit=unit_a, title="Kök & servering", capacity=1,
                                 available_from=dt.date(2025, 1, 1))
    referral = ReferralFactory(agency=agency_af)
    with django_capture_on_commit_callbacks(execute=True):
        placement_services.assignment_request(user=case_worker_af, referral=referral, placement=placement,
                                   start_date=dt.date(2026, 1, 1), planned_end_date=dt.date(2026, 6, 30))
    [message] = mail.outbox
    assert message.subject == "Förfrågan om arbetsträningsplats: Kök & servering"
    assert 'platsen "Kök & servering"' in message.body
    assert "&amp;" not in message.body and "&quot;" not in message.body
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT


def test_render_plain_does_not_escape_but_html_pages_still_do(client, leader, unit_a):
    placement = PlacementFactory(unit=unit_a, title="Kök & <servering>")
    text = outgoing.render_plain("placements/email/requested_subject.txt",
                                 {"assignment": type("A", (), {"placement": placement})()})
    assert text.strip() == "Förfrågan om arbetsträningsplats: Kök & <servering>"
    client.force_login(leader)
    html = client.get(reverse("placements:detail", args=[placement.pk])).content.decode()
    assert "Kök &amp; &lt;servering&gt;" in html


def test_the_send_uses_the_timeout_and_retries_until_it_goes_out(flaky, settings):
    settings.EMAIL_TIMEOUT = 7
    flaky.failures = 2
    email = outgoing.email_queue(to=["a@example.test"], subject="Hej", body="Text")
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT and email.attempts == 3
    assert flaky.timeouts == [7, 7, 7]
    assert [m.subject for m in flaky.sent] == ["Hej"]


def test_a_mail_that_never_goes_out_is_kept_as_failed_and_shown_to_the_leader(flaky, settings, client, leader,
                                                                             case_worker_af):
    settings.EMAIL_MAX_ATTEMPTS = 3
    flaky.failures = 99
    email = outgoing.email_queue(to=["chef@example.test"], subject="Förfrågan: Kök & servering", body="Text")
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED and email.attempts == 3
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed: timed out"

    client.force_login(leader)
    response = client.get(reverse("core:outbox"))
    cells = response.context["page"].object_list
    assert [(e.subject, e.to, e.attempts) for e in cells] == [("Förfrågan: Kök & servering", ["chef@example.test"], 3)]
    html = response.content.decode()
    assert "<td>SMTPServerDisconnected: Connection unexpectedly closed: timed out</td>" in html
    assert "Misslyckades (1)" in html

    flaky.failures = 0
    client.post(reverse("core:outbox_retry", args=[email.pk]))
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT

    client.force_login(case_worker_af)
    assert client.get(reverse("core:outbox")).status_code == 403
    assert client.post(reverse("core:outbox_retry", args=[email.pk])).status_code == 403


def test_with_the_broker_down_the_mail_waits_and_the_sweep_sends_it(monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    app.conf.task_always_eager = False
    try:
        monkeypatch.setattr(outgoing.send_email, "apply_async", unreachable)
        email = outgoing.email_queue(to=["a@example.test"], subject="Hej", body="Text")
        email.refresh_from_db()
        assert email.status == OutgoingEmail.Status.PENDING and mail.outbox == []
        assert outgoing.emails_send_pending() == 0                  # too fresh, and the broker still down
        OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
        assert outgoing.emails_send_pending() == 0                  # still down: nothing lost
    finally:
        app.conf.task_always_eager = True
    assert outgoing.emails_send_pending() == 1
    assert [m.subject for m in mail.outbox] == ["Hej"]
    assert OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT


def test_a_row_from_a_rolled_back_transaction_is_never_sent(flaky, monkeypatch):
    monkeypatch.setattr(outgoing.send_email.request, "retries", 5)   # the last of its retries
    assert outgoing.send_email.run(987654) == "gone"
    assert flaky.sent == []


def test_sent_mail_is_deleted_after_its_keeping_time(settings):
    email = outgoing.email_queue(to=["a@example.test"], subject="Hej", body="Text")
    kept = outgoing.email_queue(to=["b@example.test"], subject="Hej", body="Text")
    OutgoingEmail.objects.filter(pk=email.pk).update(
        sent_at=timezone.now() - dt.timedelta(days=settings.SENT_EMAIL_KEEP_DAYS + 1))
    outgoing.emails_send_pending()
    assert list(OutgoingEmail.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_sweep_is_scheduled_and_the_task_is_registered():
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-pending-emails"]
    assert entry["task"] == "core.tasks.send_pending_emails" and entry["schedule"] <= 600
    assert "core.tasks.send_email" in app.tasks


def test_no_mail_is_sent_with_fail_silently_or_outside_core_mail():
    offenders = []
    for path in Path(django_settings.BASE_DIR).glob("*/*.py"):
        if path.parts[-2] in (".venv", "tests") or path.name == "mail.py":
            continue
        text = path.read_text()
        if "fail_silently=True" in text or re.search(r"(?<!def )\bsend_mail\(", text) or ".send()" in text:
            offenders.append(str(path))
    assert offenders == []


def test_allauths_password_reset_mail_goes_through_the_queue(client, leader):
    client.post(reverse("account_reset_password"), {"email": leader.email})
    [row] = OutgoingEmail.objects.all()
    assert row.to == [leader.email] and row.status == OutgoingEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [[leader.email]]
