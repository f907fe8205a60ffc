import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import Gender, TimeStampedModel
from organisations.models import Adaptation, Agency, AgencyProgramme, CategoryBase, OccupationalArea, Project


class SupportKind(CategoryBase):
    """Försörjning before the start (SCB's measure), grouped as ohälsa / arbetsmarknadsstöd / ekonomiskt bistånd."""

    class Group(models.TextChoices):
        ILL_HEALTH = "ohälsa", _("Ohälsa")
        LABOUR_MARKET = "arbetsmarknadsstöd", _("Arbetsmarknadsstöd")
        FINANCIAL_AID = "ekonomiskt bistånd", _("Ekonomiskt bistånd")
        OTHER = "övrigt", _("Övrigt")

    group = models.CharField(_("grupp"), max_length=30, choices=Group.choices, default=Group.OTHER)

    class Meta(CategoryBase.Meta):
        verbose_name = _("försörjning")
        verbose_name_plural = _("försörjningar")


class Activity(CategoryBase):
    """Sysselsättning before the start, at exit and 90 days after."""

    is_work_or_studies = models.BooleanField(_("räknas som arbete eller studier"), default=False)

    class Meta(CategoryBase.Meta):
        verbose_name = _("sysselsättning")
        verbose_name_plural = _("sysselsättningar")


class ExitReason(CategoryBase):
    is_work_or_studies = models.BooleanField(_("räknas som arbete eller studier"), default=False)

    class Meta(CategoryBase.Meta):
        verbose_name = _("avslutsorsak")
        verbose_name_plural = _("avslutsorsaker")


class SurveyStatement(models.Model):
    number = models.PositiveSmallIntegerField(_("nummer"), unique=True)
    text = models.CharField(_("påstående"), max_length=200)
    target_percent = models.DecimalField(
        _("mål (% ja)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("enkätpåstående")
        verbose_name_plural = _("enkätpåståenden")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number}. {self.text}"


class EducationLevel(models.TextChoices):
    """Highest completed education at entry, in the ESF+ indicator's ISCED groups."""

    ISCED_0_2 = "isced_0_2", _("Förgymnasial (ISCED 0–2)")
    ISCED_3_4 = "isced_3_4", _("Gymnasial (ISCED 3–4)")
    ISCED_5_8 = "isced_5_8", _("Eftergymnasial (ISCED 5–8)")


class LabourMarketStatus(models.TextChoices):
    """Labour-market status at entry (ESF+): long-term unemployed is a subset of unemployed."""

    UNEMPLOYED = "arbetslös", _("Arbetslös")
    LONG_TERM_UNEMPLOYED = "långtidsarbetslös", _("Långtidsarbetslös")
    INACTIVE = "inaktiv", _("Inaktiv (varken arbetar eller söker arbete)")
    EMPLOYED = "sysselsatt", _("Sysselsatt")


class Participant(TimeStampedModel):
    """A person referred to a project, recorded with as little personal data as possible.

    Pseudonymous by default (a code whose key the referring agency keeps); anonymous keeps only
    gender and start year; name and personal identity number only after recorded consent.
    """

    class Identity(models.TextChoices):
        PSEUDONYMOUS = "pseudonymous", _("Pseudonym (kod)")
        ANONYMOUS = "anonymous", _("Anonym")
        IDENTIFIED = "identified", _("Med namn (samtycke)")

    identity = models.CharField(_("identifiering"), max_length=20, choices=Identity.choices,
                                default=Identity.PSEUDONYMOUS)
    code = models.CharField(_("deltagarkod"), max_length=40, unique=True, null=True, blank=True)
    gender = models.CharField(_("kön"), max_length=20, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("födelseår"), null=True, blank=True)
    first_name = models.CharField(_("förnamn"), max_length=100, blank=True)
    last_name = models.CharField(_("efternamn"), max_length=100, blank=True)
    personal_number = models.CharField(_("personnummer"), max_length=13, blank=True)
    consent_recorded_at = models.DateTimeField(_("samtycke registrerat"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("samtycke registrerat av"),
                                            null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    personal_data_purged_at = models.DateTimeField(_("personuppgifter gallrade"), null=True, blank=True)
    # The date of the participant's latest start, stored so that the participant list sorts and cuts its page on
    # an index instead of grouping every referral. Kept by the services that write a referral or its date
    # (participants.services.participants_refresh_latest_referral); never set by hand.
    latest_referral_date = models.DateField(_("senaste anvisningsdatum"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("deltagare")
        verbose_name_plural = _("deltagare")
        ordering = ["pk"]
        indexes = [
            # The participant list's order: newest start first, then pk (a participant without a start, which the
            # services never leave behind, first: PostgreSQL's default for DESC, so this index serves it).
            models.Index(F("latest_referral_date").desc(), F("id"),
                         name="participant_latest_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(identity="identified") | (Q(first_name="") & Q(last_name="") & Q(personal_number="")),
                name="participant_names_only_when_identified",
            ),
            models.CheckConstraint(
                condition=~Q(identity="identified") | Q(consent_recorded_at__isnull=False),
                name="participant_identified_needs_consent",
            ),
            models.CheckConstraint(
                condition=~Q(identity="anonymous") | Q(code__isnull=True),
                name="participant_anonymous_has_no_code",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="participant_birth_year_plausible",
            ),
        ]

    def __str__(self):
        return self.pseudonym_of(pk=self.pk, identity=self.identity, code=self.code)

    @classmethod
    def pseudonym_of(cls, *, pk, identity: str, code: str | None) -> str:
        """The participant's pseudonym (str) from the columns it reads."""
        if identity == cls.Identity.ANONYMOUS:
            return _("Anonym deltagare #%(pk)s") % {"pk": pk}
        return code or _("Deltagare #%(pk)s") % {"pk": pk}

    @property
    def display_name(self) -> str:
        """Name when consented and recorded, otherwise the pseudonym. Never the personal number."""
        return self.display_name_of(pk=self.pk, identity=self.identity, code=self.code, first_name=self.first_name,
                                    last_name=self.last_name)

    @classmethod
    def display_name_of(cls, *, pk, identity: str, code: str | None, first_name: str, last_name: str) -> str:
        """display_name from the columns it reads (for rows fetched as plain values)."""
        if identity == cls.Identity.IDENTIFIED and (first_name or last_name):
            return f"{first_name} {last_name}".strip()
        return cls.pseudonym_of(pk=pk, identity=identity, code=code)


class Referral(TimeStampedModel):
    """An anvisning from an agency to a project: one *start* of a participant."""

    participant = models.ForeignKey(Participant, verbose_name=_("deltagare"), on_delete=models.CASCADE,
                                    related_name="referrals")
    project = models.ForeignKey(Project, verbose_name=_("projekt"), on_delete=models.PROTECT,
                                related_name="referrals")
    agency = models.ForeignKey(Agency, verbose_name=_("anvisande myndighet"), on_delete=models.PROTECT,
                               related_name="referrals")
    programme = models.ForeignKey(AgencyProgramme, verbose_name=_("program"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="referrals")
    case_worker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handläggare"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="referrals")
    referral_date = models.DateField(_("anvisningsdatum"), db_index=True)
    start_date = models.DateField(_("startdatum i projektet"), null=True, blank=True, db_index=True)
    support_before = models.ForeignKey(SupportKind, verbose_name=_("försörjning före start"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")
    activity_before = models.ForeignKey(Activity, verbose_name=_("sysselsättning före start"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    education_level = models.CharField(_("utbildningsnivå"), max_length=20, choices=EducationLevel.choices,
                                       blank=True)
    labour_market_status = models.CharField(_("ställning på arbetsmarknaden vid start"), max_length=20,
                                            choices=LabourMarketStatus.choices, blank=True)
    interests = models.ManyToManyField(OccupationalArea, verbose_name=_("yrkesintressen"), blank=True,
                                       related_name="+")
    adaptation_needs = models.ManyToManyField(Adaptation, verbose_name=_("behov av anpassning"), blank=True,
                                              related_name="+")
    wished_municipality = models.CharField(_("önskad kommun"), max_length=100, blank=True)
    notes = models.TextField(_("anteckningar"), blank=True)
    # The referral form's one-time key: the same form sent twice (double click, reload) makes one referral.
    submission_key = models.UUIDField(_("formulärnyckel"), null=True, blank=True, unique=True, editable=False)
    # The date of this start's exit (its Exit.exit_date, whatever the exit's kind), null while it has none: stored
    # so that the waiting list and the participant list find the starts open on a day on an index instead of
    # looking up every exit. Kept by the services that write an exit or its date
    # (participants.services.referrals_refresh_closed_on); never set by hand. Not in the change history: the
    # exit's own history has the date.
    closed_on = models.DateField(_("avslutsdatum"), null=True, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[interests, adaptation_needs],
                                excluded_fields=["submission_key", "closed_on"])

    class Meta:
        verbose_name = _("start")
        verbose_name_plural = _("starter")
        ordering = ["-referral_date", "pk"]
        indexes = [
            # The starts open on a day (closed_on IS NULL OR closed_on > day), for everyone or one agency.
            models.Index(fields=["closed_on", "agency"], name="referral_closed_on_idx"),
            # The waiting list's page keys, oldest first, of one agency or all: the exit date (and agency) in the
            # index, so the starts closed by then are passed over in the index without reading their rows.
            models.Index(fields=["agency", "referral_date", "id"], include=["closed_on"],
                         name="referral_open_keys_idx"),
            models.Index(fields=["referral_date", "id"], include=["closed_on", "agency"],
                         name="referral_open_keys_all_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__isnull=True) | Q(start_date__gte=F("referral_date")),
                                   name="referral_start_not_before_referral"),
        ]

    def __str__(self):
        return f"{self.participant}, {self.agency.code} {self.referral_date:%Y-%m-%d}"


class WaitingPeriod(models.Model):
    """A run of days on which a start is on the waiting list in one state: participants.selectors.waiting_list_on
    stored from the day it was written on (days before that are not kept), so that the waiting-list page counts
    its starts by state without working out every open start's state on every request. Written only by
    participants.services.waiting_periods_refresh, which asks waiting_list_on itself on each day a start's answer
    can change; every writer of a start, its assignments or its exit calls it (the services, the imports, the
    demo builder), and the tests hold the stored periods equal to the definition after each of them. The
    definition stays waiting_list_on."""

    # `until` of a period that nothing has ended yet (its start still waits, as far as anything written says).
    OPEN_END = dt.date.max

    # PROTECT: a start is deleted only after participants.services.waiting_periods_delete has taken its periods
    # out of the stored counts (WaitingCountChange), which a cascade would leave counting it.
    referral = models.ForeignKey(Referral, verbose_name=_("start"), on_delete=models.PROTECT,
                                 related_name="waiting_periods")
    # The start's agency, copied (a start's agency never changes): the case worker's and the filter's scope.
    agency = models.ForeignKey(Agency, verbose_name=_("anvisande myndighet"), on_delete=models.PROTECT,
                               related_name="+")
    # The start's referral date, copied (written with the periods, which a correction of the date rewrites): the
    # waiting list's order, so that a page's keys are read from the periods' index in that order. Empty only in a
    # period written before the column existed (migration 0010's copy of the refresh), until 0014 fills it.
    referral_date = models.DateField(_("anvisningsdatum"), null=True)
    state = models.CharField(_("läge"), max_length=10)  # a participants.selectors.WaitingState value
    first_day = models.DateField(_("första dag"))
    until = models.DateField(_("till (inte med)"))  # the first day it no longer holds; OPEN_END if none yet

    class Meta:
        verbose_name = _("period på väntelistan")
        verbose_name_plural = _("perioder på väntelistan")
        indexes = [
            # A page of the waiting list today (participants.selectors.waiting_keys_stored), per agency and for all:
            # the periods in the list's order (referral date, start), the ones not holding today passed over inside
            # the index (first_day and until are its own columns), so that a deep page skips index entries only.
            models.Index(fields=["agency", "referral_date", "referral"], include=["first_day", "until"],
                         name="waiting_period_agency_key_idx"),
            models.Index(fields=["referral_date", "referral"], include=["first_day", "until", "agency"],
                         name="waiting_period_key_idx"),
            # The periods holding on a day (first_day <= day < until), per agency and for all: the page's counts
            # read the index alone (until, then first_day and state from the index's own columns).
            models.Index(fields=["agency", "until"], include=["first_day", "state"], name="waiting_period_agency_idx"),
            models.Index(fields=["until"], include=["first_day", "state"], name="waiting_period_until_idx"),
        ]

    def __str__(self):
        return f"{self.referral_id} {self.state} {self.first_day}–{self.until}"


class WaitingCountChange(models.Model):
    """How many more (or fewer) of one agency's starts are on the waiting list in one state from a day on: +1 for
    each stored period (WaitingPeriod) that begins that day, -1 for each that ends. The count in a state on a day
    is the sum of the changes up to it, so the page's counts read a few rows per day of history whatever the
    number of starts. Kept with the periods by participants.services.waiting_periods_refresh alone."""

    agency = models.ForeignKey(Agency, verbose_name=_("anvisande myndighet"), on_delete=models.PROTECT,
                               related_name="+")
    state = models.CharField(_("läge"), max_length=10)
    day = models.DateField(_("dag"))
    delta = models.IntegerField(_("förändring"))

    class Meta:
        verbose_name = _("förändring på väntelistan")
        verbose_name_plural = _("förändringar på väntelistan")
        constraints = [
            models.UniqueConstraint(fields=["agency", "state", "day"], name="waiting_count_change_unique"),
        ]

    def __str__(self):
        return f"{self.agency_id} {self.state} {self.day}: {self.delta:+d}"


class ParticipantCountChange(models.Model):
    """How many participants were added (or removed, negative) on a day: the number of participants is the sum of
    every row, so that the project leader's unfiltered participant list counts its rows from a few rows per day of
    writing instead of counting every participant on every request (500,000 at national scale). Kept by
    participants.services.participants_count_change, which every writer that adds or deletes participants calls
    (the referral form, the history import, the demo data and its reset); the tests hold the sum equal to the
    number of participants after each of them."""

    day = models.DateField(_("dag"), unique=True)
    delta = models.IntegerField(_("förändring"))

    class Meta:
        verbose_name = _("förändring av antalet deltagare")
        verbose_name_plural = _("förändringar av antalet deltagare")

    def __str__(self):
        return f"{self.day}: {self.delta:+d}"


class Assessment(TimeStampedModel):
    """Kartläggning: obstacles and resources, interests, wished municipality."""

    referral = models.OneToOneField(Referral, verbose_name=_("start"), on_delete=models.CASCADE,
                                    related_name="assessment")
    obstacles = models.TextField(_("hinder"), blank=True)
    resources = models.TextField(_("resurser"), blank=True)
    completed_on = models.DateField(_("genomförd"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kartläggning")
        verbose_name_plural = _("kartläggningar")

    def __str__(self):
        return _("Kartläggning för %(referral)s") % {"referral": self.referral}


class PlanStep(TimeStampedModel):
    """A step in the individual plan toward work."""

    referral = models.ForeignKey(Referral, verbose_name=_("start"), on_delete=models.CASCADE,
                                 related_name="plan_steps")
    description = models.CharField(_("steg"), max_length=300)
    due_on = models.DateField(_("klart senast"), null=True, blank=True)
    done_on = models.DateField(_("klart"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("steg i individuell plan")
        verbose_name_plural = _("steg i individuell plan")
        ordering = ["due_on", "pk"]

    def __str__(self):
        return self.description


class Competence(TimeStampedModel):
    """A validated general competence on the participant's competence card."""

    referral = models.ForeignKey(Referral, verbose_name=_("start"), on_delete=models.CASCADE,
                                 related_name="competences")
    name = models.CharField(_("kompetens"), max_length=200)
    description = models.TextField(_("beskrivning"), blank=True)
    validated_on = models.DateField(_("validerad"))
    validated_by = models.CharField(_("validerad av"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kompetens")
        verbose_name_plural = _("kompetenskort")
        ordering = ["validated_on", "pk"]

    def __str__(self):
        return self.name


class FollowUp(TimeStampedModel):
    """A follow-up meeting during the work-training period, with notes."""

    referral = models.ForeignKey(Referral, verbose_name=_("start"), on_delete=models.CASCADE,
                                 related_name="follow_ups")
    assignment = models.ForeignKey("placements.Assignment", verbose_name=_("placering"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="follow_ups")
    met_on = models.DateField(_("datum"))
    notes = models.TextField(_("anteckningar"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("skriven av"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("uppföljning")
        verbose_name_plural = _("uppföljningar")
        ordering = ["-met_on", "pk"]

    def __str__(self):
        return _("Uppföljning %(date)s") % {"date": self.met_on}


class ExitKind(models.TextChoices):
    AS_PLANNED = "enligt plan", _("Enligt plan")
    INTERRUPTED = "avbruten", _("Avbruten")
    REGISTERED_IN_ERROR = "felregistrering", _("Felregistrering")


class Exit(TimeStampedModel):
    """Avslut of one start. Exits registered in error are excluded from every figure."""

    referral = models.OneToOneField(Referral, verbose_name=_("start"), on_delete=models.CASCADE,
                                    related_name="exit")
    exit_date = models.DateField(_("avslutsdatum"), db_index=True)
    kind = models.CharField(_("typ av avslut"), max_length=20, choices=ExitKind.choices)
    reason = models.ForeignKey(ExitReason, verbose_name=_("avslutsorsak"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="exits")
    activity_after = models.ForeignKey(Activity, verbose_name=_("sysselsättning vid avslut"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")
    support_after = models.ForeignKey(SupportKind, verbose_name=_("försörjning vid avslut"), null=True,
                                      blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registrerad av"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("avslut")
        verbose_name_plural = _("avslut")
        ordering = ["-exit_date"]
        indexes = [
            # "Registered in error counts nowhere": the few such exits, looked up by every waiting-list query.
            models.Index(fields=["referral"], condition=Q(kind=ExitKind.REGISTERED_IN_ERROR),
                         name="exit_in_error_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.exit_date:%Y-%m-%d}"


class FollowUp90(TimeStampedModel):
    """Uppföljning 90 dagar efter avslut."""

    exit = models.OneToOneField(Exit, verbose_name=_("avslut"), on_delete=models.CASCADE,
                                related_name="followup_90")
    due_on = models.DateField(_("ska göras"), db_index=True)
    done_on = models.DateField(_("gjord"), null=True, blank=True)
    activity = models.ForeignKey(Activity, verbose_name=_("sysselsättning efter 90 dagar"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    support = models.ForeignKey(SupportKind, verbose_name=_("försörjning efter 90 dagar"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("anteckningar"), blank=True)
    reminder_sent_at = models.DateTimeField(_("påminnelse skickad"), null=True, blank=True)

    class Meta:
        verbose_name = _("90-dagarsuppföljning")
        verbose_name_plural = _("90-dagarsuppföljningar")
        constraints = [
            models.CheckConstraint(condition=Q(done_on__isnull=True) | Q(activity__isnull=False),
                                   name="followup90_done_has_activity"),
        ]

    def __str__(self):
        return _("90-dagarsuppföljning %(date)s") % {"date": self.due_on}


class FollowUp6Months(TimeStampedModel):
    """Uppföljning sex månader efter avslut (ESF+'s longer-term result), made like the 90-day one."""

    exit = models.OneToOneField(Exit, verbose_name=_("avslut"), on_delete=models.CASCADE,
                                related_name="followup_6m")
    due_on = models.DateField(_("ska göras"), db_index=True)
    done_on = models.DateField(_("gjord"), null=True, blank=True)
    activity = models.ForeignKey(Activity, verbose_name=_("sysselsättning efter 6 månader"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    support = models.ForeignKey(SupportKind, verbose_name=_("försörjning efter 6 månader"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("anteckningar"), blank=True)
    reminder_sent_at = models.DateTimeField(_("påminnelse skickad"), null=True, blank=True)

    class Meta:
        verbose_name = _("6-månadersuppföljning")
        verbose_name_plural = _("6-månadersuppföljningar")
        constraints = [
            models.CheckConstraint(condition=Q(done_on__isnull=True) | Q(activity__isnull=False),
                                   name="followup6m_done_has_activity"),
        ]

    def __str__(self):
        return _("6-månadersuppföljning %(date)s") % {"date": self.due_on}


class SurveyInvitation(TimeStampedModel):
    """A one-time link for the exit survey. Only a hash of the token is stored."""

    exit = models.OneToOneField(Exit, verbose_name=_("avslut"), on_delete=models.CASCADE,
                                related_name="survey_invitation")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("giltig till"))
    answered_at = models.DateTimeField(_("besvarad"), null=True, blank=True)

    class Meta:
        verbose_name = _("enkätinbjudan")
        verbose_name_plural = _("enkätinbjudningar")

    def __str__(self):
        return _("Enkät för %(exit)s") % {"exit": self.exit}


class SurveyAnswer(models.Model):
    invitation = models.ForeignKey(SurveyInvitation, verbose_name=_("inbjudan"), on_delete=models.CASCADE,
                                   related_name="answers")
    statement = models.ForeignKey(SurveyStatement, verbose_name=_("påstående"), on_delete=models.PROTECT,
                                  related_name="answers")
    agrees = models.BooleanField(_("ja"))

    class Meta:
        verbose_name = _("enkätsvar")
        verbose_name_plural = _("enkätsvar")
        constraints = [
            models.UniqueConstraint(fields=["invitation", "statement"], name="survey_one_answer_per_statement"),
        ]

    def __str__(self):
        return f"{self.statement.number}: {'ja' if self.agrees else 'nej'}"


class Correction(models.Model):
    """A correction of a recorded fact (exit, referral, follow-up, plan step, competence), with its reason.

    The values before and after are in the record's change history; this row says why, and which dates the
    correction touched, so a report already built for a period covering them can say it was corrected."""

    class Kind(models.TextChoices):
        EXIT = "exit", _("Avslut")
        REFERRAL = "referral", _("Start")
        FOLLOW_UP = "follow_up", _("Uppföljning")
        PLAN_STEP = "plan_step", _("Steg i individuell plan")
        COMPETENCE = "competence", _("Kompetens")
        IDENTITY = "identity", _("Samtycke och identifiering")

    referral = models.ForeignKey(Referral, verbose_name=_("start"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="corrections")
    participant = models.ForeignKey(Participant, verbose_name=_("deltagare"), on_delete=models.CASCADE,
                                    related_name="corrections")
    kind = models.CharField(_("vad"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveIntegerField(_("post"))
    fields = models.CharField(_("ändrade fält"), max_length=300)
    reason = models.TextField(_("skäl"))
    affects_from = models.DateField(_("påverkar från"), null=True, blank=True)
    affects_to = models.DateField(_("påverkar till"), null=True, blank=True)
    affects_figures = models.BooleanField(_("påverkar rapporternas siffror"), default=False)
    corrected_at = models.DateTimeField(_("rättad"), auto_now_add=True, db_index=True)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rättad av"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("rättelse")
        verbose_name_plural = _("rättelser")
        ordering = ["-corrected_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.object_id}: {self.fields}"
