"""python manage.py import_placements FILE [--dry-run] [--user EMAIL] [--attested]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.models import User
from placements import imports


class Command(BaseCommand):
    help = "Importera arbetsträningsplatser från XLSX eller CSV (allt eller inget)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Visa vad som skulle hända utan att spara.")
        parser.add_argument("--user", help="E-post för den som importerar; dennes behörighet gäller och "
                                           "intygandet registreras på hen. Utan: systemimport med full behörighet.")
        parser.add_argument("--attested", action="store_true",
                            help="Platserna är intygade att inte tränga undan ordinarie anställningar.")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, attested: bool, **options):
        acting = None
        if user:
            acting = User.objects.filter(email__iexact=user, is_active=True).first()
            if acting is None:
                raise CommandError(f"Ingen aktiv användare med e-post {user}.")
        if acting is not None and not dry_run and not attested:
            raise CommandError("Ange --attested: den som importerar intygar att uppgifterna inte tränger undan "
                               "ordinarie anställningar.")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Filen kan inte läsas: {exc}") from exc
        try:
            header, rows, notices = imports.read_table(data)
        except imports.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for notice in notices:
            self.stderr.write(notice)
        if dry_run:
            plan = imports.plan_import(header, rows, user=acting, notices=notices)
            if not plan.ok:
                self._refuse(plan)
            for row in plan.rows:
                action = "ny" if row.action == "create" else "ändras"
                unit = f"{row.unit} (ny enhet)" if row.new_unit else row.unit
                self.stdout.write(f"rad {row.row}: {action}: {row.title} – {row.organisation}, {unit}")
            self.stdout.write(self.style.SUCCESS(self._summary(plan, "Torrkörning, inget sparat")))
            return
        try:
            plan = imports.apply_import(header, rows, user=acting, attested=attested,
                                        notices=notices)
        except imports.ImportRefused as refused:
            self._refuse(refused.plan)
        self.stdout.write(self.style.SUCCESS(self._summary(plan, "Importen är klar")))

    def _summary(self, plan, prefix: str) -> str:
        c = plan.counts
        return f"{prefix}: {c['create']} nya platser, {c['update']} ändrade, {c['new_units']} nya enheter."

    def _refuse(self, plan):
        for error in plan.errors:
            self.stderr.write(f"rad {error.row}, kolumn {error.column or '–'}: {error.message}")
        raise CommandError(f"Importen stoppades: {len(plan.errors)} fel. Ingenting sparades.")
