import datetime as dt

import factory

from organisations.tests.factories import OccupationalAreaFactory, UnitFactory
from placements.models import Assignment, Placement
from placements.services import placements_count_change
from placements.signals import assignments_changed


class PlacementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Placement

    title = factory.Sequence(lambda n: f"Plats {n}")
    unit = factory.SubFactory(UnitFactory)
    occupational_area = factory.SubFactory(OccupationalAreaFactory)
    tasks = "Enkla arbetsuppgifter"
    capacity = 2
    available_from = dt.date(2025, 1, 1)
    attested_no_displacement = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        placement = super()._create(model_class, *args, **kwargs)
        placements_count_change(1)  # as the services do (the stored number of placements)
        return placement


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment
        skip_postgeneration_save = True

    placement = factory.SubFactory(PlacementFactory)
    referral = factory.SubFactory("participants.tests.factories.ReferralFactory")
    status = Assignment.Status.CONFIRMED
    start_date = dt.date(2026, 1, 1)
    planned_end_date = dt.date(2026, 6, 30)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Written as the services write an assignment: the placement's stored idle values follow."""
        from placements.services import placements_refresh_idle

        assignment = super()._create(model_class, *args, **kwargs)
        placements_refresh_idle(placement_ids=[assignment.placement_id])
        return assignment

    @factory.post_generation
    def waiting_periods(assignment, create, extracted, **kwargs):
        # What the assignment services send after a write (the participants' stored waiting periods follow).
        if create:
            assignments_changed.send(sender=Assignment, referral_ids=[assignment.referral_id])
