from celery import shared_task

from placements import services


@shared_task(name="placements.tasks.send_free_placements_digest", acks_late=True)
def send_free_placements_digest() -> int:
    """Weekly (CELERY_BEAT_SCHEDULE, Monday 07:00): free placements to case workers in their area."""
    return services.free_placements_digest_send()
