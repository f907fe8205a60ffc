"""The import job's page and its polled status partial. Only the person who uploaded the file sees them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.audit import no_participant_data
from core.importjobs import ImportPreview, import_job_progress
from core.models import ImportJob


def _context(request, token) -> dict:
    """The job, its progress and, once checked, its preview (shown by the template its app names in
    `params["preview_template"]`; a preview the upload page showed itself has none and is not shown here)."""
    job = get_object_or_404(ImportJob, token=token, user=request.user)
    done, total = import_job_progress(job)
    return {"job": job, "done": done, "total": total, "plan": ImportPreview.of(job), "token": job.token,
            "preview_template": job.params.get("preview_template") if job.status == ImportJob.Status.PREVIEW
            else None}


REASON = "the uploader's own file: counts, row numbers and error messages; the import logs what it wrote"


@no_participant_data(REASON)
@never_cache
@login_required
@require_GET
def import_job(request, token):
    return render(request, "core/import_job.html", _context(request, token))


@no_participant_data(REASON)
@never_cache
@login_required
@require_GET
def import_job_status(request, token):
    return render(request, "core/_import_job_status.html", _context(request, token))
