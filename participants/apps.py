from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Deltagare")

    def ready(self):
        # Imported once the app registry is ready: panels and the category lists register themselves here.
        from organisations.categories import register_category_list  # noqa: PLC0415
        from participants import imports, panels  # noqa: F401, PLC0415 - register panels and the import job runner
        from participants.models import Activity, ExitReason, SupportKind  # noqa: PLC0415
        from placements.signals import assignments_changed  # noqa: PLC0415

        register_category_list("forsorjning", SupportKind)
        register_category_list("sysselsattning", Activity)
        register_category_list("avslutsorsaker", ExitReason)
        assignments_changed.connect(_refresh_waiting_periods, dispatch_uid="participants.waiting_periods")


def _refresh_waiting_periods(sender, referral_ids, **kwargs):
    """A start's assignments changed: its stored waiting periods follow (participants.models.WaitingPeriod)."""
    from participants.services import assignments_changed_received  # noqa: PLC0415

    assignments_changed_received(referral_ids=referral_ids)
