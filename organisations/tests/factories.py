import datetime as dt

import factory

from core.models import Role, User
from organisations.models import (
    Adaptation,
    Agency,
    AgencyMembership,
    AgencyProgramme,
    ManagerScope,
    OccupationalArea,
    Organisation,
    Project,
    Supervisor,
    Unit,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = "Test"
    role = Role.STEERING
    password = factory.django.Password("test-losen-123")


class OccupationalAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OccupationalArea
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Yrkesområde {n}")


class AdaptationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Adaptation
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"adaptation-{n}")
    name = factory.Sequence(lambda n: f"Anpassning {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ["code"]

    code = "af"
    name = "Arbetsförmedlingen"


class AgencyProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyProgramme

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    max_months = 6


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.REGION
    employee_count = 1000


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Enhet {n}")
    municipality = "Gotland"


class SupervisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervisor

    organisation = factory.SelfAttribute("unit.organisation")
    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"Handledare {n}")
    email = factory.Sequence(lambda n: f"handledare{n}@example.test")
    training_completed_on = dt.date(2025, 3, 1)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    slug = factory.Sequence(lambda n: f"projekt-{n}")
    name = factory.Sequence(lambda n: f"Projekt {n}")
    owner = factory.SubFactory(OrganisationFactory)
    start_date = dt.date(2025, 1, 1)
    end_date = dt.date(2027, 12, 31)
    target_participants = 100


def make_manager(*, organisation=None, unit=None, **kwargs) -> User:
    user = UserFactory(role=Role.MANAGER, **kwargs)
    ManagerScope.objects.create(user=user, organisation=organisation or unit.organisation, unit=unit)
    return user


def make_case_worker(*, agency, **kwargs) -> User:
    user = UserFactory(role=Role.CASE_WORKER, **kwargs)
    AgencyMembership.objects.create(user=user, agency=agency)
    return user
