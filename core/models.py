import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        abstract = True


class Gender(models.TextChoices):
    """ESF+ breaks personal data down by women, men and non-binary; the values are the report keys."""

    WOMAN = "kvinna", _("Kvinna")
    MAN = "man", _("Man")
    NON_BINARY = "icke-binär", _("Icke-binär")


class Role(models.TextChoices):
    LEADER = "leader", _("Projektledare")
    MANAGER = "manager", _("Första linjens chef")
    CASE_WORKER = "case_worker", _("Handläggare")
    STEERING = "steering", _("Styrgrupp")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("E-postadress krävs")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.LEADER)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An account. Logs in with e-mail; the role decides what it may see (see core.roles)."""

    username = None
    email = models.EmailField(_("e-postadress"), unique=True)
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices, default=Role.STEERING)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")
        ordering = ["email"]

    def __str__(self):
        name = self.get_full_name()
        return f"{name} <{self.email}>" if name else self.email


class AuditEventQuerySet(models.QuerySet):
    """No bulk update or delete either: the only deletion path is `purge_older_than`, called by the retention
    job (participants.retention.purge_expired) for events older than settings.AUDIT_RETENTION_DAYS; the only
    change is `forget_labels`, which blanks an erased person's code or name from their events' labels."""

    def update(self, **kwargs):
        raise ValueError("Loggen kan inte ändras i efterhand.")

    def delete(self):
        raise ValueError("Loggen kan inte raderas från applikationen.")

    def forget_labels(self, *, object_type: str, object_ids) -> int:
        """Erasure: blank the label (`object_repr`, e.g. a participant's code or name) of these objects' events.
        The events themselves stay unchanged: who did what, when, to which id."""
        events = AuditEvent.objects.filter(object_type=object_type, object_id__in=[str(pk) for pk in object_ids])
        return models.QuerySet.update(events.exclude(object_repr=""), object_repr="")

    def purge_older_than(self, cutoff) -> int:
        expired = AuditEvent.objects.filter(at__lt=cutoff)
        deleted, _by_model = models.QuerySet.delete(expired)
        return deleted


class AuditEvent(models.Model):
    """Append-only log of reads and changes of personal data, exports and report downloads."""

    class Action(models.TextChoices):
        VIEW = "view", _("Visning")
        CREATE = "create", _("Skapande")
        UPDATE = "update", _("Ändring")
        DELETE = "delete", _("Radering")
        EXPORT = "export", _("Export")
        DOWNLOAD = "download", _("Nedladdning")
        IMPORT = "import", _("Import")

    at = models.DateTimeField(_("tidpunkt"), auto_now_add=True, db_index=True)
    # PROTECT: deleting an account would rewrite its events (SET_NULL); accounts are deactivated instead.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("användare"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    user_email = models.CharField(_("användarens e-post"), max_length=254, blank=True)
    action = models.CharField(_("händelse"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("objekttyp"), max_length=100)
    object_id = models.CharField(_("objekt-id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("objekt"), max_length=200, blank=True)
    detail = models.CharField(_("detalj"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("IP-adress"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("logghändelse")
        verbose_name_plural = _("logghändelser")
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_email} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Loggen kan inte ändras i efterhand.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Loggen kan inte raderas från applikationen.")


class OutgoingEmail(models.Model):
    """One e-mail on its way out (core.mail): sent by a Celery task with a timeout and retries, so a slow or
    dead SMTP server never holds up a request, and a mail that could not be sent stays visible to the project
    leader (/mail/) instead of vanishing. Sent rows are deleted after settings.SENT_EMAIL_KEEP_DAYS."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar")
        SENT = "sent", _("Skickat")
        FAILED = "failed", _("Misslyckades")

    created_at = models.DateTimeField(_("skapat"), auto_now_add=True, db_index=True)
    to = models.JSONField(_("mottagare"), default=list)
    reply_to = models.JSONField(_("svar till"), default=list, blank=True)
    subject = models.CharField(_("ämne"), max_length=300)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    last_error = models.CharField(_("senaste fel"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("skickat"), null=True, blank=True)

    class Meta:
        verbose_name = _("utgående e-post")
        verbose_name_plural = _("utgående e-post")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"


class ImportJob(models.Model):
    """One uploaded import file from preview to result. The check (a Celery task when the kind registers one)
    validates every row and writes nothing but this row; the preview shows its result; confirming queues the job,
    a Celery worker writes it (all rows or none) and the page polls for progress."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Granskas")
        PREVIEW = "preview", _("Förhandsgranskad")
        QUEUED = "queued", _("I kö")
        RUNNING = "running", _("Pågår")
        DONE = "done", _("Klar")
        FAILED = "failed", _("Stoppad")

    token = models.UUIDField(_("nyckel"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("typ"), max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("användare"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(_("fil"), upload_to="imports/", blank=True)
    file_name = models.CharField(_("filnamn"), max_length=100, blank=True)
    params = models.JSONField(_("val"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREVIEW,
                              db_index=True)
    rows_total = models.PositiveIntegerField(_("rader"), default=0)
    rows_done = models.PositiveIntegerField(_("klara rader"), default=0)
    summary = models.JSONField(_("resultat"), default=dict, blank=True)
    errors = models.JSONField(_("fel"), default=list, blank=True)
    created_at = models.DateTimeField(_("uppladdad"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("startad"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klar"), null=True, blank=True)
    checked_at = models.DateTimeField(_("granskad"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("importer")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.file_name} ({self.get_status_display()})"

    @property
    def is_final_state(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_polled(self) -> bool:
        """Whether the page asks again: while a worker checks or writes (not while the preview waits)."""
        return self.status in (self.Status.CHECKING, self.Status.QUEUED, self.Status.RUNNING)
