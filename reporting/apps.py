from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Rapporter")

    def ready(self):
        from reporting import panels  # noqa: F401, PLC0415 - registers the panels once the app registry is ready
        from reporting.indicators import install  # noqa: PLC0415 - the sections' models need the app registry

        install()
        from reporting.selectors import figures_code_digest  # noqa: PLC0415

        # The code's digest as this process imported it (≈ 40 ms): read at the first report instead, it could be
        # of files replaced since, and kept figures of this process's code would then pass for the new code's.
        figures_code_digest()
