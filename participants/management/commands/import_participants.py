"""python manage.py import_participants FILE --project SLUG [--dry-run]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from organisations.models import Project
from participants.imports import ImportFileError, participants_import, read_table


class Command(BaseCommand):
    help = "Importerar deltagarhistorik (en rad per start) från CSV eller XLSX. Allt eller inget."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--project", required=True, help="Projektets kortnamn (slug)")
        parser.add_argument("--dry-run", action="store_true", help="Kontrollera filen utan att spara")

    def handle(self, *args, file: Path, project: str, dry_run: bool, **options):
        try:
            project_obj = Project.objects.get(slug=project)
        except Project.DoesNotExist:
            raise CommandError(f"Inget projekt med kortnamnet {project!r}.") from None
        try:
            headers, rows, notices = read_table(file.read_bytes())
        except OSError as exc:
            raise CommandError(f"Kan inte läsa {file}: {exc}") from None
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        for notice in notices:
            self.stderr.write(notice)
        result = participants_import(user=None, project=project_obj, headers=headers, rows=rows, dry_run=dry_run)
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"Rad {error.row}, kolumn {error.column}: {error.message}")
            raise CommandError(f"{len(result.errors)} fel; inget importerades.")
        verb = "Skulle importera" if dry_run else "Importerade"
        self.stdout.write(
            f"{verb} {result.starts} starter: {result.new_participants} nya deltagare, "
            f"{result.known_participants} redan kända, {result.anonymous_participants} anonyma, "
            f"{result.exits} avslut, {result.assignments} placeringar."
        )
