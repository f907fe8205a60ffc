from celery import shared_task

from placements import services


@shared_task(name="placements.tasks.send_free_placements_digest", acks_late=True)
def send_free_placements_digest() -> int:
    """Weekly (CELERY_BEAT_SCHEDULE, Monday 07:00): free placements to case workers in their area."""
    return services.free_placements_digest_send()


@shared_task(name="placements.tasks.refresh_stale_idle", acks_late=True)
def refresh_stale_idle() -> int:
    """Daily (CELERY_BEAT_SCHEDULE, 00:10): renew the stored idle values a passed period end has made stale."""
    return services.placements_refresh_stale_idle()
