from celery import shared_task
from django.utils import timezone

from placements import selectors, services


@shared_task(name="placements.tasks.send_free_placements_digest", acks_late=True)
def send_free_placements_digest() -> int:
    """Weekly (CELERY_BEAT_SCHEDULE, Monday 07:00): free placements to case workers in their area."""
    return services.free_placements_digest_send()


@shared_task(name="placements.tasks.refresh_stale_idle", acks_late=True)
def refresh_stale_idle() -> int:
    """Daily (CELERY_BEAT_SCHEDULE, 00:10): renew the stored idle values a passed period end has made stale."""
    return services.placements_refresh_stale_idle()


@shared_task(name="placements.tasks.warm_organisation_totals", acks_late=True)
def warm_organisation_totals() -> int:
    """Daily (CELERY_BEAT_SCHEDULE, 00:20, after the idle refresh): sum the new day's organisation totals into the
    cache, with and without occupancy (the overview's two views), and the overview's levels from them, so that the
    day's first visitor does not wait for the whole country to be summed. Returns the number of organisations with
    placements."""
    today = timezone.localdate()
    for occupancy in (True, False):
        totals = selectors.organisation_totals_cached(on=today, occupancy=occupancy)
        selectors.organisation_overview_page(on=today, occupancy=occupancy)
    return len(totals["placements"])
