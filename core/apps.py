from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Konton och gemensamt")

    def ready(self):
        # Registers the system checks; they read the models, so only once the app registry is ready.
        # core.sessions connects the login signal.
        from core import checks, sessions  # noqa: F401, PLC0415
