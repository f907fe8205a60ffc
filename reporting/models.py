from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from organisations.models import Project


class ReportRun(models.Model):
    """One requested report. The row holds the state, so no Celery result backend is needed."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Månadsrapport till styrgruppen")
        FINAL = "final", _("Slutrapport genomförande")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kö")
        RUNNING = "running", _("Pågår")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Misslyckades")

    kind = models.CharField(_("typ"), max_length=10, choices=Kind.choices)
    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.CASCADE,
                                related_name="report_runs")
    period_start = models.DateField(_("period från"))
    period_end = models.DateField(_("period till"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("beställd av"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    error = models.TextField(_("fel"), blank=True)
    file = models.FileField(_("fil"), upload_to="reports/%Y/%m/", blank=True)
    figures = models.JSONField(_("nyckeltal"), null=True, blank=True)
    created_at = models.DateTimeField(_("beställd"), auto_now_add=True)
    started_at = models.DateTimeField(_("startad"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("senaste livstecken"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)
    notified_at = models.DateTimeField(_("styrgruppen meddelad"), null=True, blank=True)

    class Meta:
        verbose_name = _("rapportkörning")
        verbose_name_plural = _("rapportkörningar")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="report_period_ordered"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.project.slug} {self.period_start}–{self.period_end}"

    @property
    def is_final_state(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class FinalReportText(models.Model):
    """The project leader's narrative for one section of the final report (a saved draft)."""

    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.CASCADE,
                                related_name="final_report_texts")
    section = models.CharField(_("avsnitt"), max_length=40)
    body = models.TextField(_("text"), blank=True)
    could_have_been_better = models.TextField(_("vad kunde ha gjorts bättre"), blank=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ändrad av"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("slutrapporttext")
        verbose_name_plural = _("slutrapporttexter")
        constraints = [
            models.UniqueConstraint(fields=["project", "section"], name="final_report_text_unique_section"),
        ]

    def __str__(self):
        return f"{self.project.slug}: {self.section}"
