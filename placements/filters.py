import datetime as dt
import threading
import time

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from organisations.models import Adaptation, Agency, OccupationalArea, Organisation, Project, Unit
from organisations.tree import OrganisationTree
from placements.models import Placement
from placements.selectors import idle_placements, order_by_idle_since, with_free_slot

UNIT_CHOICE_LIMIT = 300
CHOICE_CACHE_SECONDS = 60
# Drawn filter forms kept at most (one per language and query string): a bound on the cache's memory.
RENDERED_FORMS_KEPT = 200


class _ChoiceCache:
    """The filter form's option lists, kept in the process for CHOICE_CACHE_SECONDS.

    They change rarely (organisations, units, areas, adaptations) but cost one query each on
    every page view of the list. Saving or deleting one of those models empties this process's
    copy at once (signals below); other gunicorn workers see the change within the TTL. In-process
    on purpose: no network hop, and a hanging cache server cannot hang the list.
    """

    def __init__(self):
        self._values: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute, *, kept: int | None = None):
        """The value under `key`, computed when missing or older than CHOICE_CACHE_SECONDS. `kept`: at most that
        many entries whose key begins like this one's (up to its first ":"); the oldest are dropped."""
        now = time.monotonic()
        hit = self._values.get(key)
        if hit and hit[0] > now:
            return hit[1]
        value = compute()
        with self._lock:
            if kept is not None:
                prefix = key.split(":", 1)[0] + ":"
                alike = [k for k in self._values if k.startswith(prefix)]
                for old in alike[: max(0, len(alike) - kept + 1)]:
                    del self._values[old]
            self._values.pop(key, None)
            self._values[key] = (now + CHOICE_CACHE_SECONDS, value)
        return value

    def clear(self, **kwargs) -> None:
        with self._lock:
            self._values.clear()


choice_cache = _ChoiceCache()
for _model in (Organisation, Unit, OccupationalArea, Adaptation, Agency, Project):
    for _signal in (post_save, post_delete):
        _signal.connect(choice_cache.clear, sender=_model, dispatch_uid=f"placement-filter-choices-{_model.__name__}")


def _organisation_tree() -> list[tuple[int, str, int | None]]:
    return choice_cache.get("organisations", lambda: list(
        Organisation.objects.order_by("name").values_list("pk", "name", "parent_id")))


def _with_descendants(root_id: int) -> set[int]:
    """The organisation and those below it, from the cached option list (no queries)."""
    tree = OrganisationTree((pk, parent) for pk, _name, parent in _organisation_tree())
    return tree.with_descendants({root_id})


class PlacementOrderingFilter(django_filters.OrderingFilter):
    """The list's orderings; "Ledig längst" (idle_since) through placements.selectors.order_by_idle_since."""

    def filter(self, qs, value):
        if value and len(value) == 1 and value[0] in ("idle_since", "-idle_since"):
            return order_by_idle_since(qs, descending=value[0].startswith("-"), on=timezone.localdate())
        return super().filter(qs, value)


class PlacementFilter(django_filters.FilterSet):
    """Filters of the placement list and its exports; every value lives in the URL (GET)."""

    q = django_filters.CharFilter(label=_("Sök i benämning och arbetsuppgifter"), method="filter_text",
                                  widget=forms.TextInput(attrs={"type": "search"}))
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation (med underorganisationer)"), queryset=Organisation.objects.order_by("name"),
        method="filter_organisation", empty_label=_("Alla"))
    unit = django_filters.ModelChoiceFilter(label=_("Enhet"), queryset=Unit.objects.none(), empty_label=_("Alla"))
    municipality = django_filters.ChoiceFilter(label=_("Kommun"), field_name="unit__municipality",
                                               choices=(), empty_label=_("Alla"))
    occupational_area = django_filters.ModelChoiceFilter(label=_("Yrkesområde"),
                                                         queryset=OccupationalArea.objects.all(),
                                                         empty_label=_("Alla"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Placement.Status.choices, empty_label=_("Alla"))
    free_on = django_filters.DateFilter(label=_("Ledig plats den"), method="filter_free_on",
                                        widget=DateInput())
    adaptations = django_filters.ModelMultipleChoiceFilter(
        label=_("Anpassningar (alla valda)"), queryset=Adaptation.objects.filter(active=True), conjoined=True,
        widget=forms.CheckboxSelectMultiple)
    supervisor = django_filters.ChoiceFilter(
        label=_("Handledare"), method="filter_supervisor", empty_label=_("Alla"),
        choices=(("trained", _("Utbildad handledare")), ("untrained", _("Saknar utbildad handledare"))))
    idle_days = django_filters.NumberFilter(label=_("Ledig i mer än (dagar)"), method="filter_idle",
                                            widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}))
    ordering = PlacementOrderingFilter(
        label=_("Sortera"), empty_label=_("Benämning"),
        fields=(("title", "title"), ("unit__organisation__name", "organisation"), ("unit__municipality",
                "municipality"), ("available_from", "available_from"), ("free", "free"),
                ("idle_since", "idle_since"), ("updated_at", "updated")),
        field_labels={
            "title": _("Benämning A–Ö"), "-title": _("Benämning Ö–A"),
            "organisation": _("Organisation A–Ö"), "-organisation": _("Organisation Ö–A"),
            "municipality": _("Kommun A–Ö"), "-municipality": _("Kommun Ö–A"),
            "available_from": _("Tillgänglig från, tidigast först"),
            "-available_from": _("Tillgänglig från, senast först"),
            "free": _("Lediga platser, färst först"), "-free": _("Lediga platser, flest först"),
            "idle_since": _("Ledig längst först"), "-idle_since": _("Ledig kortast först"),
            "updated": _("Senast ändrad, äldst först"), "-updated": _("Senast ändrad, nyast först"),
        },
    )

    class Meta:
        model = Placement
        fields = []

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Every user but a manager filters among all units: those option lists are shared and cached.
        shared = self._shared_choices = units is None
        units = Unit.objects.all() if shared else units
        self.filters["unit"].queryset = units
        if shared:
            municipalities = choice_cache.get("municipalities", lambda: sorted(
                set(Unit.objects.values_list("municipality", flat=True))))
        else:
            municipalities = sorted(set(units.values_list("municipality", flat=True)))
        self.filters["municipality"].extra["choices"] = [(m, m) for m in municipalities]
        self.filters["idle_days"].extra["help_text"] = _("Standard %(days)s dagar.") % {
            "days": settings.IDLE_PLACEMENT_DAYS}
        self._limit_unit_choices(units, shared=shared)
        form = self.form
        # Rendered from the cache; validation of a chosen value still asks the database.
        form.fields["organisation"].widget.choices = [("", _("Alla"))] + [
            (pk, name) for pk, name, _parent in _organisation_tree()]
        form.fields["occupational_area"].widget.choices = [("", _("Alla"))] + choice_cache.get(
            "areas", lambda: [(a.pk, str(a)) for a in OccupationalArea.objects.all()])
        form.fields["adaptations"].widget.choices = choice_cache.get(
            "adaptations", lambda: [(a.pk, str(a)) for a in Adaptation.objects.filter(active=True)])

    def rendered_fields(self) -> str:
        """The filter's fields as placements/_filter_fields.html draws them (labels, help texts, errors, the
        chosen values). With the shared option lists (every user but a manager) the same query draws the same
        fields in a language: kept in choice_cache beside the option lists, so emptied with them."""
        def draw():
            return render_to_string("placements/_filter_fields.html", {"form": self.form})

        if not self._shared_choices:
            return draw()
        # The fields read only their own parameters: the page number and page size do not make another form.
        own = QueryDict(mutable=True)
        for name in self.form.fields:
            if name in self.data:
                own.setlist(name, self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]])
        key = f"filter-form:{get_language()}:{'bound' if self.is_bound else 'unbound'}:{own.urlencode()}"
        return choice_cache.get(key, draw, kept=RENDERED_FORMS_KEPT)

    def _limit_unit_choices(self, units, *, shared: bool) -> None:
        """Offer the units of the chosen organisation; all units only while they are few.

        Rendering thousands of <option>s costs seconds (seed_demo --scale 100 has 4,000 units), so
        the unit list follows the organisation filter. Validation still accepts any visible unit,
        so a bookmarked URL with only `unit=` keeps working.
        """
        field = self.form.fields["unit"]
        offered = units
        organisation = self.data.get("organisation") if self.data else None
        selected = self.data.get("unit") if self.data else None
        if organisation and str(organisation).isdigit():
            offered = units.filter(organisation_id__in=_with_descendants(int(organisation)))
        else:
            count = choice_cache.get("unit-count", units.count) if shared else units.count()
            if count > UNIT_CHOICE_LIMIT:
                field.help_text = _("Välj en organisation först för att kunna välja enhet.")
                if not (selected and str(selected).isdigit()):
                    field.widget.choices = [("", _("Alla"))]
                    return
                offered = units.filter(pk=selected)
            elif shared:
                field.widget.choices = [("", _("Alla"))] + choice_cache.get("units", lambda: self._unit_options(units))
                return
        field.widget.choices = [("", _("Alla"))] + self._unit_options(offered)

    @staticmethod
    def _unit_options(units) -> list[tuple[int, str]]:
        offered = units.select_related("organisation").order_by("organisation__name", "name")
        return [(u.pk, f"{u.name} ({u.organisation.name})") for u in offered[: UNIT_CHOICE_LIMIT * 4]]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(tasks__icontains=value) | Q(code__iexact=value))

    def filter_organisation(self, queryset, name, value):
        return queryset.filter(unit__organisation_id__in=_with_descendants(value.pk))

    def filter_free_on(self, queryset, name, value: dt.date):
        free = with_free_slot(Placement.objects.all(), on=value).values("pk")
        return queryset.filter(pk__in=free)

    def filter_supervisor(self, queryset, name, value):
        trained = Q(supervisor__isnull=False, supervisor__training_completed_on__isnull=False)
        return queryset.filter(trained) if value == "trained" else queryset.exclude(trained)

    def filter_idle(self, queryset, name, value):
        return idle_placements(queryset, days=int(value), on=timezone.localdate())
