from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Konton och gemensamt")

    def ready(self):
        # Registers the system checks; they read the models, so only once the app registry is ready.
        # core.sessions connects the login signal.
        from core import changelog, checks, sessions  # noqa: F401, PLC0415

        # After every migrate (once, with this app as sender): every table, new ones too, records its writers.
        post_migrate.connect(changelog.install_after_migrate, sender=self)
