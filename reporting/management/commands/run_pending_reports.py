"""Build queued report runs in this process (e.g. after Redis was down): python manage.py run_pending_reports."""

from django.core.management.base import BaseCommand

from reporting import services


class Command(BaseCommand):
    help = "Bygger beställda rapporter som ligger kvar i kö (eller hängt sig), utan Celery."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true",
                            help="lägg dem i Celery-kön igen i stället för att bygga här")

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            count = services.report_runs_requeue_stale(older_than=services.dt.timedelta(0))
            self.stdout.write(f"{count} rapporter lades i kön igen.")
            return
        built = services.report_runs_build_pending()
        for run in built:
            self.stdout.write(f"{run.pk}: {run.get_kind_display()} {run.project.slug} → {run.get_status_display()}")
        self.stdout.write(f"{len(built)} rapporter byggdes.")
