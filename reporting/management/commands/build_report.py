"""Build a report without the web, exactly as one audience gets it there:

python manage.py build_report {monthly,final} --project SLUG --from DATE --to DATE
    --format {pdf,json,xlsx} --audience {steering,leader} [--output FILE]

steering: small counts suppressed (primary and secondary), whole calendar months, quarters or years
that have ended only (reporting.suppression.steering_period_refusal, as on the web), the monthly report
only; leader: exact figures (the monthly PDF is the steering group's document and always suppressed, as
on the web).
"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from organisations.models import Project
from reporting.services import STOCKHOLM, report_output
from reporting.suppression import steering_period_refusal


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ogiltigt datum {value!r}: använd ÅÅÅÅ-MM-DD.") from exc


class Command(BaseCommand):
    help = ("Bygger månadsrapporten eller slutrapporten som PDF, JSON eller Excel, så som styrgruppen "
            "eller projektledaren får den.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["monthly", "final"])
        parser.add_argument("--project", required=True, help="projektets kortnamn (slug)")
        parser.add_argument("--from", dest="period_start", required=True, type=iso_date)
        parser.add_argument("--to", dest="period_end", required=True, type=iso_date)
        parser.add_argument("--format", choices=["pdf", "json", "xlsx"], default="pdf")
        parser.add_argument("--audience", choices=["steering", "leader"], default="leader",
                            help="steering: maskerade små tal, bara hela månader/kvartal/år som har tagit "
                                 "slut; leader: exakta tal")
        parser.add_argument("--output", help="fil att skriva till (standard: standard ut)")

    def handle(self, *args, kind, project, period_start, period_end, format, audience, output,  # noqa: A002
               **options):
        try:
            project_obj = Project.objects.get(slug=project)
        except Project.DoesNotExist as exc:
            raise CommandError(f"Inget projekt med kortnamnet {project!r}.") from exc
        if period_end < period_start:
            raise CommandError("--to kan inte vara före --from.")
        if audience == "steering":
            if kind != "monthly":
                raise CommandError("Styrgruppen får bara månadsrapporten (slutrapporten har exakta tal).")
            with translation.override("sv"), timezone.override(STOCKHOLM):
                refusal = steering_period_refusal(period_start, period_end)
            if refusal:
                raise CommandError(refusal)
        with translation.override("sv"), timezone.override(STOCKHOLM):
            data = report_output(kind=kind, project=project_obj, period_start=period_start,
                                 period_end=period_end, fmt=format, suppress=audience == "steering")
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
            self.stderr.write(f"Skrev {len(data)} byte till {output}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
