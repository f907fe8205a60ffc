from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import Gender, TimeStampedModel


class CategoryBase(models.Model):
    """A configurable category list entry (seed data, extendable in the admin)."""

    code = models.SlugField(_("kod"), max_length=60, unique=True, allow_unicode=True)
    name = models.CharField(_("namn"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sorteringsordning"), default=0)
    active = models.BooleanField(_("aktiv"), default=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class OccupationalArea(CategoryBase):
    ssyk_code = models.CharField(_("SSYK 2012-kod"), max_length=4, blank=True)

    class Meta(CategoryBase.Meta):
        verbose_name = _("yrkesområde")
        verbose_name_plural = _("yrkesområden")


class Adaptation(CategoryBase):
    class Meta(CategoryBase.Meta):
        verbose_name = _("anpassning")
        verbose_name_plural = _("anpassningar")


class Organisation(TimeStampedModel):
    """A host employer. A Region's förvaltningar are child organisations."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        MUNICIPALITY = "kommun", _("Kommun")
        STATE_AGENCY = "statlig myndighet", _("Statlig myndighet")
        COMPANY = "privat företag", _("Privat företag")
        NON_PROFIT = "idéburen organisation", _("Idéburen organisation")

    name = models.CharField(_("namn"), max_length=200, unique=True)
    kind = models.CharField(_("typ"), max_length=40, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("överordnad organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    employee_count = models.PositiveIntegerField(_("antal anställda"), null=True, blank=True)
    placement_target_percent = models.DecimalField(
        _("mål för platser (% av anställda)"), max_digits=5, decimal_places=2, default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    baseline_percent = models.DecimalField(
        _("utgångsläge (platser i % av anställda vid projektstart)"), max_digits=5, decimal_places=2, null=True,
        blank=True, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("värdorganisation")
        verbose_name_plural = _("värdorganisationer")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(placement_target_percent__gte=0) & Q(placement_target_percent__lte=100),
                name="organisation_target_percent_range",
            ),
        ]

    def __str__(self):
        return self.name


class Unit(TimeStampedModel):
    """A workplace (enhet/arbetsplats) within an organisation."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="units"
    )
    name = models.CharField(_("namn"), max_length=200)
    municipality = models.CharField(_("kommun"), max_length=100)
    address = models.CharField(_("adress"), max_length=200, blank=True)
    postal_code = models.CharField(_("postnummer"), max_length=10, blank=True)
    postal_town = models.CharField(_("postort"), max_length=100, blank=True)
    manager_name = models.CharField(_("chef"), max_length=200, blank=True)
    manager_email = models.EmailField(_("chefens e-post"), blank=True)
    manager_phone = models.CharField(_("chefens telefon"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unit_unique_name_per_organisation"),
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"


class Supervisor(TimeStampedModel):
    """A handledare who supervises participants on site."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="supervisors"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("enhet"), null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisors"
    )
    name = models.CharField(_("namn"), max_length=200)
    email = models.EmailField(_("e-post"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    training_completed_on = models.DateField(_("handledarutbildning genomförd"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("handledare")
        verbose_name_plural = _("handledare")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_trained(self) -> bool:
        return self.training_completed_on is not None


class Agency(CategoryBase):
    """A referring authority: Af, FK, IFO (more can be added)."""

    class Meta(CategoryBase.Meta):
        verbose_name = _("myndighet")
        verbose_name_plural = _("myndigheter")


class AgencyProgramme(models.Model):
    """An agency programme under which work training happens, with its maximum length."""

    agency = models.ForeignKey(Agency, verbose_name=_("myndighet"), on_delete=models.PROTECT,
                               related_name="programmes")
    name = models.CharField(_("namn"), max_length=120)
    max_months = models.PositiveSmallIntegerField(_("längsta tid (månader)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        ordering = ["agency__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="programme_unique_per_agency"),
            models.CheckConstraint(condition=Q(max_months__gte=1), name="programme_max_months_positive"),
        ]

    def __str__(self):
        return _("%(agency)s: %(name)s (%(months)s mån)") % {
            "agency": self.agency.name, "name": self.name, "months": self.max_months}


class Project(TimeStampedModel):
    """The funded effort (Finsam or ESF), with targets and budget figures."""

    slug = models.SlugField(_("kortnamn"), unique=True)
    name = models.CharField(_("namn"), max_length=200)
    owner = models.ForeignKey(
        Organisation, verbose_name=_("projektägare"), on_delete=models.PROTECT, related_name="owned_projects"
    )
    funder = models.CharField(_("finansiär"), max_length=200, blank=True)
    start_date = models.DateField(_("startdatum"))
    end_date = models.DateField(_("slutdatum"))
    target_participants = models.PositiveIntegerField(_("mål: antal deltagare"), default=0)
    target_work_or_studies_percent = models.DecimalField(
        _("mål: andel till arbete eller studier (%)"), max_digits=5, decimal_places=2, default=Decimal("30")
    )
    target_placements = models.PositiveIntegerField(_("mål: antal arbetsträningsplatser"), default=0)
    budget_total = models.DecimalField(_("total budget (kr)"), max_digits=12, decimal_places=0, default=0)
    budget_spent = models.DecimalField(_("utfall (kr)"), max_digits=12, decimal_places=0, default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("projekt")
        verbose_name_plural = _("projekt")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="project_dates_ordered"),
        ]

    def __str__(self):
        return self.name


class CostCategory(CategoryBase):
    """A budget's cost category (ESF: personal, externa tjänster, lokaler, …)."""

    class Meta(CategoryBase.Meta):
        verbose_name = _("kostnadsslag")
        verbose_name_plural = _("kostnadsslag")


class BudgetLine(models.Model):
    """The project's budget for one cost category, with the co-financing in cash and in kind."""

    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.CASCADE,
                                related_name="budget_lines")
    category = models.ForeignKey(CostCategory, verbose_name=_("kostnadsslag"), on_delete=models.PROTECT,
                                 related_name="budget_lines")
    amount = models.DecimalField(_("budget (kr)"), max_digits=12, decimal_places=0, default=0,
                                 validators=[MinValueValidator(Decimal("0"))])
    cash_co_financing = models.DecimalField(_("kontant medfinansiering (kr)"), max_digits=12, decimal_places=0,
                                            default=0, validators=[MinValueValidator(Decimal("0"))])
    in_kind_co_financing = models.DecimalField(_("medfinansiering i annat än pengar (kr)"), max_digits=12,
                                               decimal_places=0, default=0,
                                               validators=[MinValueValidator(Decimal("0"))])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("budgetpost")
        verbose_name_plural = _("budgetposter")
        ordering = ["category__sort_order", "category__name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "category"], name="budget_line_one_per_category"),
        ]

    def __str__(self):
        return f"{self.category}: {self.amount} kr"


class ProjectPartner(models.Model):
    class PartnerRole(models.TextChoices):
        OWNER = "owner", _("Projektägare")
        CO_FINANCIER = "co_financier", _("Medfinansiär")
        PARTNER = "partner", _("Samverkanspart")

    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.CASCADE,
                                related_name="partners")
    name = models.CharField(_("namn"), max_length=200)
    role = models.CharField(_("roll"), max_length=20, choices=PartnerRole.choices)
    contribution = models.TextField(_("bidrag"), blank=True)
    co_financing_amount = models.DecimalField(_("medfinansiering (kr)"), max_digits=12, decimal_places=0,
                                              default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("samverkanspart")
        verbose_name_plural = _("samverkansparter")
        ordering = ["role", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class ProjectGroupMember(models.Model):
    """A member of the steering group or reference group, or a contact person."""

    class Group(models.TextChoices):
        STEERING = "steering", _("Styrgrupp")
        REFERENCE = "reference", _("Referensgrupp")
        CONTACT = "contact", _("Kontaktperson")

    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.CASCADE,
                                related_name="group_members")
    group = models.CharField(_("grupp"), max_length=20, choices=Group.choices)
    name = models.CharField(_("namn"), max_length=200)
    represents = models.CharField(_("representerar"), max_length=200, blank=True)
    title = models.CharField(_("titel/roll"), max_length=200, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    gender = models.CharField(_("kön"), max_length=20, choices=Gender.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("gruppmedlem")
        verbose_name_plural = _("gruppmedlemmar")
        ordering = ["group", "name"]

    def __str__(self):
        return f"{self.name}, {self.get_group_display()}"


class ManagerScope(models.Model):
    """Binds a first-line manager to an organisation (all its units and sub-organisations) or one unit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("användare"), on_delete=models.CASCADE,
                             related_name="manager_scopes")
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE,
                                     related_name="manager_scopes")
    unit = models.ForeignKey(Unit, verbose_name=_("enhet (tom = hela organisationen)"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="manager_scopes")

    class Meta:
        verbose_name = _("chefsbehörighet")
        verbose_name_plural = _("chefsbehörigheter")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], condition=Q(unit__isnull=True),
                                    name="manager_scope_unique_organisation"),
            models.UniqueConstraint(fields=["user", "unit"], condition=Q(unit__isnull=False),
                                    name="manager_scope_unique_unit"),
        ]

    def __str__(self):
        return f"{self.user} → {self.unit or self.organisation}"


class AgencyMembership(models.Model):
    """Binds a case worker to exactly one agency."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("användare"), on_delete=models.CASCADE,
                                related_name="agency_membership")
    agency = models.ForeignKey(Agency, verbose_name=_("myndighet"), on_delete=models.PROTECT,
                               related_name="memberships")
    municipality = models.CharField(_("verksamhetsområde (kommun)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("handläggarkoppling")
        verbose_name_plural = _("handläggarkopplingar")

    def __str__(self):
        return f"{self.user} – {self.agency}"
