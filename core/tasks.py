from celery import shared_task

from core import changelog
from core.audit import audit_log
from core.mail import send_email, send_pending_emails  # noqa: F401 - the tasks live beside the service
from core.models import AuditEvent


@shared_task(name="core.tasks.ping_database")
def ping_database(token: str) -> str:
    """Prove that a worker runs tasks against the application database: writes one harmless
    audit row (object type "healthcheck") carrying the caller's token."""
    audit_log(user=None, action=AuditEvent.Action.VIEW, object_type="healthcheck", object_id=token[:64],
              detail="Celery-arbetaren nådde databasen")
    return token


@shared_task(name="core.tasks.forget_old_data_changes")
def forget_old_data_changes() -> int:
    """The record of which transactions wrote (core.changelog), without what no kept figure can still ask of."""
    return changelog.forget_old()

# The import job tasks live beside their service; importing them here registers them with the worker.
from core.importjobs import purge_import_jobs, run_import_job  # noqa: E402, F401
