"""`manage.py seed_demo [--scale N] [--seed S] [--reset]`: fill a development or demo database."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.builder import (
    DEMO_ACCOUNTS,
    MAX_SCALE,
    MIN_SCALE,
    DemoBuilder,
    DemoDataError,
    demo_data_present,
    reset_demo_data,
    summary_lines,
)


class Command(BaseCommand):
    help = (
        "Skapar demodata: Region Gotland med förvaltningar, Norrvik kommun, statliga myndigheter, en idéburen "
        "organisation och ett företag; arbetsträningsplatser, projektet Självklart och deltagare i alla skeden "
        "under de senaste 14 månaderna, samt sju demokonton (lösenord settings.DEMO_PASSWORD). "
        "Körs inte om demodata redan finns: då avbryts kommandot med ett felmeddelande, om inte --reset anges, "
        "som först tar bort tidigare demodata (projektet Självklart med allt under det, organisationer med "
        "demonamn och deras platser, samt användare @demo.test; kategorilistor och andra konton lämnas kvar). "
        "Vägras när settings.ALLOW_DEMO_SEED är False (produktion)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=float, default=1.0,
            help=f"Volym: 1 ≈ 100 platser och 500 deltagare, 100 ≈ 10 000 platser och 50 000 deltagare "
                 f"({MIN_SCALE}–{MAX_SCALE}).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Slumpfrö; samma frö ger samma data (2026).")
        parser.add_argument("--reset", action="store_true",
                            help="Ta bort tidigare demodata först i stället för att avbryta.")

    def handle(self, *args, scale, seed, reset, **options):
        if not settings.ALLOW_DEMO_SEED:
            raise CommandError("Demodata får inte skapas i den här miljön (ALLOW_DEMO_SEED är avstängt).")
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise CommandError(f"--scale måste vara mellan {MIN_SCALE} och {MAX_SCALE}.")
        try:
            if demo_data_present():
                if not reset:
                    raise CommandError(
                        "Demodata finns redan i databasen. Kör med --reset för att ta bort den och skapa ny."
                    )
                self.stdout.write("Tar bort tidigare demodata …")
                reset_demo_data()
            result = DemoBuilder(scale=scale, seed=seed).build()
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(self.style.SUCCESS(
            f"Demodata skapad på {result.seconds:.1f} s (skala {scale:g}, frö {seed}):"
        ))
        for line in summary_lines(result):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"Demokonton (lösenord för alla: {settings.DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.email:<22} {account.first_name} {account.last_name}, {account.description}")
