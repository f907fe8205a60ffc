from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = _("Arbetsträningsplatser")

    def ready(self):
        from placements import panels  # noqa: F401, PLC0415 - registers the panels once the app registry is ready
