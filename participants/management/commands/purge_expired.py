"""python manage.py purge_expired [--dry-run]: gallring of participants' personal data and old audit events."""

from django.conf import settings
from django.core.management.base import BaseCommand

from participants.retention import purge_expired


class Command(BaseCommand):
    help = (
        "Tar bort personuppgifter för deltagare vars sista avslut är äldre än RETENTION_YEARS år och "
        "logghändelser äldre än AUDIT_RETENTION_DAYS dagar. Med --dry-run visas bara vad som skulle tas bort."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Visa vad som skulle gallras utan att ändra något")

    def handle(self, *args, dry_run: bool, **options):
        result = purge_expired(dry_run=dry_run)
        verb = "Skulle gallras" if dry_run else "Gallrat"
        self.stdout.write(f"{verb}: deltagare med sista avslut före {result.cutoff:%Y-%m-%d} "
                          f"(RETENTION_YEARS={settings.RETENTION_YEARS})")
        for label, count in result.counts.items():
            self.stdout.write(f"  {label}: {count}")
        if result.participant_ids:
            self.stdout.write("  deltagar-id: " + ", ".join(str(pk) for pk in result.participant_ids))
        self.stdout.write(f"{verb}: logghändelser före {result.audit_cutoff:%Y-%m-%d %H:%M} "
                          f"(AUDIT_RETENTION_DAYS={settings.AUDIT_RETENTION_DAYS}): {result.audit_events}")
        if dry_run:
            self.stdout.write("Torrkörning: ingenting har ändrats.")
