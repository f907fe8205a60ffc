"""Celery tasks. Each loads by id and calls one service; the ReportRun row holds all state."""

from celery import shared_task
from django.conf import settings

from reporting import services

# The limits are settings (config/settings/base.py), read from there only.
HARD_LIMIT = settings.CELERY_TASK_TIME_LIMIT
SOFT_LIMIT = settings.CELERY_TASK_SOFT_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,                 # a worker killed mid-run leaves the message for another worker
    reject_on_worker_lost=True,
    autoretry_for=services.TRANSIENT_ERRORS,
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=services.MAX_ATTEMPTS - 1,
    soft_time_limit=SOFT_LIMIT,
    time_limit=HARD_LIMIT,
)
def build_report_run(self, run_id: int) -> str:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    run = services.report_run_build(run_id=run_id, redelivered=redelivered)
    return run.status if run is not None else "skipped"


@shared_task(ignore_result=True)
def requeue_stale_report_runs() -> int:
    return services.report_runs_requeue_stale()


@shared_task(acks_late=True, ignore_result=True, time_limit=HARD_LIMIT * 4)
def build_monthly_reports() -> int:
    return len(services.monthly_reports_schedule())


# Its beat entry expires before the next one is sent: a worker busy with builds does not pile them up. The soft
# limit stops a run in time to note that it was looked at (the hard one kills the process, the lock left to expire).
@shared_task(ignore_result=True, soft_time_limit=services.KEEP_CURRENT_TIME_LIMIT - 30,
             time_limit=services.KEEP_CURRENT_TIME_LIMIT)
def keep_report_figures_current() -> int:
    return services.report_figures_keep_current()
