from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Deltagare")

    def ready(self):
        from participants import panels  # noqa: F401, PLC0415 - registers the panels once the app registry is ready
