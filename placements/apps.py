from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = _("Arbetsträningsplatser")

    def ready(self):
        from placements import imports, panels  # noqa: F401, PLC0415 - register panels and the import job runner
