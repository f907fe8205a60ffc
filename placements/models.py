import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from organisations.models import Adaptation, OccupationalArea, Organisation, Supervisor, Unit

# Derived from the placement's assignments (see Placement.idle_last_end): not part of a placement's own record.
IDLE_STATE_FIELDS = ["idle_last_end", "idle_next_end", "idle_occupied_from"]


class Placement(TimeStampedModel):
    """An arbetsträningsplats a host unit offers: how many participants at once, when, doing what."""

    class Status(models.TextChoices):
        OPEN = "open", _("Öppen")
        PAUSED = "paused", _("Pausad")
        CLOSED = "closed", _("Stängd")

    code = models.CharField(_("platskod"), max_length=40, unique=True, null=True, blank=True,
                            help_text=_("Identifierar platsen vid ny import."))
    title = models.CharField(_("benämning"), max_length=200)
    unit = models.ForeignKey(Unit, verbose_name=_("enhet"), on_delete=models.PROTECT, related_name="placements")
    occupational_area = models.ForeignKey(OccupationalArea, verbose_name=_("yrkesområde"),
                                          on_delete=models.PROTECT, related_name="placements")
    tasks = models.TextField(_("arbetsuppgifter"), blank=True)
    capacity = models.PositiveSmallIntegerField(_("antal platser samtidigt"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    available_from = models.DateField(_("tillgänglig från"))
    available_to = models.DateField(_("tillgänglig till"), null=True, blank=True)
    supervisor = models.ForeignKey(Supervisor, verbose_name=_("handledare"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="placements")
    adaptations = models.ManyToManyField(Adaptation, verbose_name=_("anpassningar"), blank=True,
                                         related_name="placements")
    attested_no_displacement = models.BooleanField(
        _("intygat att uppgifterna inte tränger undan ordinarie anställningar"), default=False
    )
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("intygat av"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    attested_at = models.DateTimeField(_("intygat"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("skapad av"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_on = models.DateField(_("stängd datum"), null=True, blank=True)
    # "Idle since" and "nobody on it" for the days in (idle_last_end, idle_next_end], stored so that the list's
    # idle filter and "Ledig längst" read columns instead of the assignments: the last hosted period end before
    # the day the values were computed, the first one on or after it, and the first day of an occupying period
    # ending on or after it. Kept by placements.services.placements_refresh_idle (every writer of assignments
    # calls it), never set by hand; placements.selectors falls back to the assignments outside that range.
    idle_last_end = models.DateField(_("senaste avslutade period (lagrad)"), null=True, blank=True,
                                     editable=False)
    idle_next_end = models.DateField(_("nästa periodslut (lagrat)"), null=True, blank=True, editable=False)
    idle_occupied_from = models.DateField(_("upptagen från (lagrat)"), null=True, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[adaptations], excluded_fields=IDLE_STATE_FIELDS)

    class Meta:
        verbose_name = _("arbetsträningsplats")
        verbose_name_plural = _("arbetsträningsplatser")
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="placement_capacity_positive"),
            models.CheckConstraint(
                condition=Q(available_to__isnull=True) | Q(available_to__gte=F("available_from")),
                name="placement_availability_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "available_from"]),
            # The list's default order (ordering above): a page's keys are the first entries of the index, not a sort
            # of every placement; with the occupational area and status in front, the list's most common filter
            # (open placements in an area) reads its page and its count from the index alone.
            models.Index(fields=["title", "id"], name="placement_title_idx"),
            models.Index(fields=["occupational_area", "status", "title", "id"], name="placement_area_title_idx"),
            # The organisation page's placements (placements.views.organisation_detail): its page of keys and its count
            # read per unit of the tree from the index alone (a nested loop over the tree's units), not a scan of
            # every placement joined to the units.
            models.Index(fields=["unit", "status", "title", "id"], name="placement_unit_title_idx"),
            # "Ledig längst": idle_since from the stored values (placements.selectors.order_by_idle_since).
            models.Index(Greatest(F("available_from"), Coalesce(F("idle_last_end"), F("available_from"))), F("id"),
                         name="placement_idle_since_idx"),
            # The placements whose stored values are stale (placements.services.placements_refresh_stale_idle).
            models.Index(fields=["idle_next_end"], name="placement_idle_next_end_idx"),
            models.Index(fields=["idle_last_end"], name="placement_idle_last_end_idx"),
            # The idle filter (placements.selectors.idle_placements) on open placements: nobody on it
            # (idle_occupied_from empty, or later: an equality and a range) and idle since before the cut-off (a
            # range on the second column), so the COUNT and the keys read the idle placements' entries only. The
            # columns the rest of the filter reads are included: idle_placements_count reads the index alone.
            models.Index(F("idle_occupied_from"),
                         Greatest(F("available_from"), Coalesce(F("idle_last_end"), F("available_from"))),
                         include=["available_from", "available_to", "idle_last_end", "idle_next_end"],
                         condition=Q(status="open"), name="placement_open_idle_idx"),
        ]

    def __str__(self):
        return f"{self.title} – {self.unit.name}"

    def save(self, *args, **kwargs):
        """A save of the placement's own fields never writes the stored idle values: the copy in memory may be
        older than the assignments written since (placements_refresh_idle writes them with an UPDATE)."""
        if self.pk and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [f.attname for f in self._meta.concrete_fields
                                       if not f.primary_key and f.attname not in IDLE_STATE_FIELDS]
        super().save(*args, **kwargs)


def actual_last_day():
    """An assignment's actual last day: its actual end, or the last date there is while it is still running.
    One range on it ("≥ D") is "actual end empty or ≥ D" (placements.selectors.on_placement)."""
    return Coalesce("end_date", Value(dt.date.max), output_field=models.DateField())


class Assignment(TimeStampedModel):
    """A participant's period (placering) at a placement: requested → confirmed → ongoing → completed.

    It belongs here because "no overbooking" is the placement's invariant; it points to the
    referral (one start of a participant) by string reference so this app imports nothing to its right.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Förfrågad")
        CONFIRMED = "confirmed", _("Bekräftad")
        ONGOING = "ongoing", _("Pågående")
        COMPLETED = "completed", _("Avslutad")
        WITHDRAWN = "withdrawn", _("Återtagen")
        DECLINED = "declined", _("Avböjd")

    # Statuses that take a slot of the placement's capacity.
    OCCUPYING = (Status.CONFIRMED, Status.ONGOING)
    # A request the host declined or the case worker withdrew never brought the person to the unit: its
    # manager no longer sees it, nor the participant through it.
    HIDDEN_FROM_MANAGERS = (Status.DECLINED, Status.WITHDRAWN)
    # A start's assignment still in play: at most one at a time (assignment_one_open_per_referral).
    OPEN = (Status.REQUESTED, Status.CONFIRMED, Status.ONGOING)
    # Statuses of an assignment that has actually begun: its start_date is the actual first day.
    STARTED = (Status.ONGOING, Status.COMPLETED)

    placement = models.ForeignKey(Placement, verbose_name=_("plats"), on_delete=models.PROTECT,
                                  related_name="assignments")
    referral = models.ForeignKey("participants.Referral", verbose_name=_("start"),
                                 on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    start_date = models.DateField(_("startdatum"))
    planned_end_date = models.DateField(_("planerat slutdatum"))
    end_date = models.DateField(_("faktiskt slutdatum"), null=True, blank=True)
    supervisor = models.ForeignKey(Supervisor, verbose_name=_("handledare"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="assignments")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("förfrågad av"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("beslutad av"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("beslutad"), null=True, blank=True)
    decline_reason = models.TextField(_("skäl till avböjande"), blank=True)
    withdrawn_on = models.DateField(_("återtagen datum"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placering")
        verbose_name_plural = _("placeringar")
        ordering = ["-start_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end_date__gte=F("start_date")),
                                   name="assignment_planned_end_after_start"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="assignment_end_after_start"),
            models.UniqueConstraint(fields=["referral"], condition=Q(status__in=["requested", "confirmed", "ongoing"]),
                                    name="assignment_one_open_per_referral"),
        ]
        indexes = [
            models.Index(fields=["placement", "status"]),
            # "Idle since": a placement's last period end before a day is one backward step in this index
            # (placements.selectors.with_idle_since), not a sort of all its assignments.
            models.Index(F("placement"), Coalesce("end_date", "planned_end_date").desc(), F("status"),
                         name="assignment_placement_end_idx"),
            # Who is on a placement on a day (placements.selectors.on_placement): only the started assignments
            # (STARTED) still running that day are read, their start and placement from the index alone.
            models.Index(actual_last_day(), F("start_date"), F("placement"), F("end_date"),
                         condition=Q(status__in=["ongoing", "completed"]), name="assignment_on_placement_idx"),
        ]

    def __str__(self):
        return f"{self.placement.title}, {self.start_date:%Y-%m-%d}–{self.planned_end_date:%Y-%m-%d}"


class PlacementCountChange(models.Model):
    """How many placements were added (or removed, negative) on a day: the number of placements is the sum of every
    row, so that the unfiltered placement list counts its rows from a few rows per day of writing instead of
    counting every placement on every request (100,000 at national scale; more when the visibility map is stale).
    Kept by placements.services.placements_count_change, which every writer that adds or deletes placements calls
    (registering one, the import, the demo data and its reset; the admin adds and deletes none); the tests hold
    the sum equal to the number of placements after each of them."""

    day = models.DateField(_("dag"), unique=True)
    delta = models.IntegerField(_("förändring"))

    class Meta:
        verbose_name = _("förändring av antalet platser")
        verbose_name_plural = _("förändringar av antalet platser")

    def __str__(self):
        return f"{self.day}: {self.delta:+d}"


class OrganisationTotalsToken(models.Model):
    """One row per organisation: a token that every writer of the organisation's placements, their assignments,
    their pauses and its units replaces inside its transaction (placements.services.organisation_totals_changed).
    The totals of a day are cached per organisation tree (a top-level organisation and every organisation below
    it) under the tree's organisations and their tokens (placements.selectors.organisation_totals_cached): a new
    token leaves behind the cached totals of the one tree its organisation is in, and an organisation moved in the
    tree changes which organisations two trees hold. A random token, not a counter, so that a restored backup or a
    rolled-back test cannot bring back a value that named other data. An organisation without a row (none is
    written for it yet) has its tree summed on every request, never cached."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True,
                                        related_name="totals_token", verbose_name=_("organisation"))
    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("version av organisationssummor")
        verbose_name_plural = _("versioner av organisationssummor")

    def __str__(self):
        return str(self.token)
