"""Outgoing e-mail, one way for the whole application.

`email_queue` stores the message (core.models.OutgoingEmail) and hands its id to the Celery task
`core.tasks.send_email`, which sends it through Django's backend with settings.EMAIL_TIMEOUT and retries with
backoff; after EMAIL_MAX_ATTEMPTS the row is marked failed with the error, and the project leader sees it on
/mail/. With the broker down the row stays pending and the sweep (`core.tasks.send_pending_emails`, beat)
publishes it later. The task is published at once, not on commit: a worker that does not find the row yet
(the caller's transaction has not committed) retries, and a row that never appears (rolled back) is never sent.

`render_plain` renders a plain-text template without HTML escaping ("Kök & servering", not "Kök &amp; …").
"""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone

from core.models import OutgoingEmail

logger = logging.getLogger(__name__)


class EmailNotYetCommitted(Exception):
    """The row is not visible (yet): the transaction that queued it has not committed."""


def render_plain(template_name: str, context: dict) -> str:
    template = get_template(template_name).template  # the Django engine's Template
    return template.render(Context(context, autoescape=False))


def _publish(email_id: int) -> bool:
    if send_email.app.conf.task_always_eager:
        # In-process (embedded default, tests): the attempts run here at once, the errors stay in the row.
        for _attempt in range(settings.EMAIL_MAX_ATTEMPTS):
            try:
                if email_send(email_id=email_id) is None:
                    break
            except EmailNotYetCommitted:
                break
            except Exception:  # noqa: S112 - email_send recorded the error in the row and logged it
                continue
            break
        return True
    try:
        send_email.apply_async(args=[email_id])
    except Exception as exc:  # broker unreachable: the sweep publishes it later
        logger.warning("E-mail %s stays pending: broker unreachable (%s)", email_id, exc.__class__.__name__)
        return False
    return True


def email_queue(*, to: list[str], subject: str, body: str, reply_to: list[str] | None = None) -> OutgoingEmail | None:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return None
    email = OutgoingEmail.objects.create(to=recipients, subject=subject.strip()[:300], body=body,
                                         reply_to=list(reply_to or []))
    _publish(email.pk)
    return email


def email_send(*, email_id: int) -> OutgoingEmail | None:
    """Send one queued e-mail. Raises the backend's error so the task retries; marks the row failed when the
    attempts are used up. Returns None when there is nothing (more) to send."""
    claimed = OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.PENDING).update(
        attempts=F("attempts") + 1)
    if claimed != 1:
        if not OutgoingEmail.objects.filter(pk=email_id).exists():
            raise EmailNotYetCommitted(email_id)
        return None  # already sent or given up
    email = OutgoingEmail.objects.get(pk=email_id)
    message = EmailMessage(email.subject, email.body, None, email.to, reply_to=email.reply_to or None,
                           connection=get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT))
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        final = email.attempts >= settings.EMAIL_MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=email.pk).update(
            last_error=error, status=OutgoingEmail.Status.FAILED if final else OutgoingEmail.Status.PENDING)
        logger.warning("E-mail %s not sent (attempt %s of %s): %s", email.pk, email.attempts,
                       settings.EMAIL_MAX_ATTEMPTS, exc.__class__.__name__)
        raise
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.SENT, sent_at=timezone.now(),
                                                     last_error="")
    email.refresh_from_db()
    return email


def email_retry(*, email: OutgoingEmail) -> bool:
    """The project leader sends a failed e-mail again."""
    changed = OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.FAILED).update(
        status=OutgoingEmail.Status.PENDING, attempts=0)
    return changed == 1 and _publish(email.pk)


def emails_send_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """The sweep: publish rows left pending (broker was down), delete sent rows past their keeping time."""
    now = timezone.now()
    OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT,
                                 sent_at__lt=now - dt.timedelta(days=settings.SENT_EMAIL_KEEP_DAYS)).delete()
    published = 0
    pending = OutgoingEmail.objects.filter(Q(status=OutgoingEmail.Status.PENDING), created_at__lt=now - older_than)
    for email_id in pending.order_by("created_at").values_list("pk", flat=True)[:500]:
        if not _publish(email_id):
            break
        published += 1
    return published


@shared_task(
    name="core.tasks.send_email",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=None,  # bounded by EMAIL_MAX_ATTEMPTS in core.mail.email_send, which marks the row failed
    ignore_result=True,
)
def send_email(email_id: int) -> str:
    try:
        email = email_send(email_id=email_id)
    except EmailNotYetCommitted:
        if send_email.request.retries >= 5:
            return "gone"  # the transaction that queued it was rolled back
        raise
    except Exception:
        if not OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.PENDING).exists():
            return "failed"
        raise
    return "sent" if email is not None else "skipped"


@shared_task(name="core.tasks.send_pending_emails", ignore_result=True)
def send_pending_emails() -> int:
    return emails_send_pending()
