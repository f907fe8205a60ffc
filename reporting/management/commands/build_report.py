"""Build a report without the web: python manage.py build_report monthly --project SLUG --from DATE --to DATE."""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from organisations.models import Project
from reporting.exports import figures_json
from reporting.selectors import final_figures, monthly_figures
from reporting.services import STOCKHOLM, build_report


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ogiltigt datum {value!r}: använd ÅÅÅÅ-MM-DD.") from exc


class Command(BaseCommand):
    help = "Bygger månadsrapporten eller slutrapporten som PDF eller JSON (siffrorna är inte maskerade)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["monthly", "final"])
        parser.add_argument("--project", required=True, help="projektets kortnamn (slug)")
        parser.add_argument("--from", dest="period_start", required=True, type=iso_date)
        parser.add_argument("--to", dest="period_end", required=True, type=iso_date)
        parser.add_argument("--format", choices=["pdf", "json"], default="pdf")
        parser.add_argument("--output", help="fil att skriva till (standard: standard ut)")

    def handle(self, *args, kind, project, period_start, period_end, format, output, **options):  # noqa: A002
        try:
            project_obj = Project.objects.get(slug=project)
        except Project.DoesNotExist as exc:
            raise CommandError(f"Inget projekt med kortnamnet {project!r}.") from exc
        if period_end < period_start:
            raise CommandError("--to kan inte vara före --from.")
        if format == "pdf":
            _figures, data = build_report(kind=kind, project=project_obj, period_start=period_start,
                                          period_end=period_end)
        else:
            builder = monthly_figures if kind == "monthly" else final_figures
            with timezone.override(STOCKHOLM):
                data = figures_json(builder(project_obj, period_start, period_end))
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            self.stderr.write(f"Skrev {len(data)} byte till {output}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
