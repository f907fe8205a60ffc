from celery import shared_task

from participants import services
from participants.retention import purge_expired as purge


@shared_task(name="participants.tasks.send_followup90_reminders", acks_late=True)
def send_followup90_reminders() -> int:
    """Daily: e-mail the project leaders about 90-day follow-ups that have become due (once per follow-up)."""
    return services.followup90_send_reminders()


@shared_task(name="participants.tasks.send_followup6m_reminders", acks_late=True)
def send_followup6m_reminders() -> int:
    """Daily: e-mail the project leaders about 6-month follow-ups that have become due (once per follow-up)."""
    return services.followup6m_send_reminders()


@shared_task(name="participants.tasks.purge_expired", acks_late=True)
def purge_expired() -> int:
    """Daily gallring: anonymise participants past the retention period, delete expired audit events."""
    return len(purge().participant_ids)
