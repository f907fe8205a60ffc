import datetime as dt

import factory

from core.models import Gender
from organisations.tests.factories import AgencyFactory, ProjectFactory
from participants.models import Exit, ExitKind, Participant, Referral
from participants.services import (
    participants_count_change,
    participants_refresh_latest_referral,
    referrals_refresh_closed_on,
    waiting_periods_refresh,
)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    code = factory.Sequence(lambda n: f"D-{n:05d}")
    gender = Gender.WOMAN
    birth_year = 1990

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        participant = super()._create(model_class, *args, **kwargs)
        participants_count_change(1)  # as the services do (the stored number of participants)
        return participant


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral
        skip_postgeneration_save = True

    participant = factory.SubFactory(ParticipantFactory)
    project = factory.SubFactory(ProjectFactory)
    agency = factory.SubFactory(AgencyFactory)
    referral_date = dt.date(2026, 1, 1)

    @factory.post_generation
    def latest_referral_date(referral, create, extracted, **kwargs):
        # The stored sort key, as the referral services keep it.
        if create:
            participants_refresh_latest_referral(participant_ids=[referral.participant_id])
            waiting_periods_refresh(referral_ids=[referral.pk])  # the stored waiting periods, likewise


class ExitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exit
        skip_postgeneration_save = True

    referral = factory.SubFactory(ReferralFactory)
    exit_date = dt.date(2026, 6, 30)
    kind = ExitKind.AS_PLANNED

    @factory.post_generation
    def closed_on(exit, create, extracted, **kwargs):
        # The start's stored exit date, as the exit services keep it.
        if create:
            referrals_refresh_closed_on(referral_ids=[exit.referral_id])
            waiting_periods_refresh(referral_ids=[exit.referral_id])
