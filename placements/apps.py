from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = _("Arbetsträningsplatser")

    def ready(self):
        from placements import imports, panels, services  # noqa: F401, PLC0415 - panels, import job runner, receivers

        post_migrate.connect(services.organisation_totals_migrated, sender=self,
                             dispatch_uid="organisation-totals-migrated")
