import datetime as dt

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisations.forms import style_fields
from organisations.models import Adaptation, OccupationalArea, Organisation, Unit
from organisations.permissions import organisation_with_descendant_ids
from placements.models import Placement
from placements.selectors import idle_placements, with_free_slot

UNIT_CHOICE_LIMIT = 300


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
                                        widget=forms.DateInput(attrs={"type": "date"}))
    adaptations = django_filters.ModelMultipleChoiceFilter(
        label=_("Anpassningar (alla valda)"), queryset=Adaptation.objects.filter(active=True), conjoined=True,
        widget=forms.CheckboxSelectMultiple)
    supervisor = django_filters.ChoiceFilter(
        label=_("Handledare"), method="filter_supervisor", empty_label=_("Alla"),
        choices=(("trained", _("Utbildad handledare")), ("untrained", _("Saknar utbildad handledare"))))
    idle_days = django_filters.NumberFilter(label=_("Ledig i mer än (dagar)"), method="filter_idle",
                                            widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}))
    ordering = django_filters.OrderingFilter(
        label=_("Sortera"), empty_label=_("Benämning"),
        fields=(("title", "title"), ("unit__organisation__name", "organisation"), ("unit__municipality",
                "municipality"), ("available_from", "available_from"), ("free", "free"),
                ("idle_since", "idle_since"), ("updated_at", "updated")),
        field_labels={
            "title": _("Benämning"), "organisation": _("Organisation"), "municipality": _("Kommun"),
            "available_from": _("Tillgänglig från"), "free": _("Lediga platser"),
            "idle_since": _("Ledig längst"), "updated": _("Senast ändrad"),
        },
    )

    class Meta:
        model = Placement
        fields = []

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        units = units if units is not None else Unit.objects.all()
        self.filters["unit"].queryset = units
        municipalities = sorted(set(units.values_list("municipality", flat=True)))
        self.filters["municipality"].extra["choices"] = [(m, m) for m in municipalities]
        self.filters["idle_days"].extra["help_text"] = _("Standard %(days)s dagar.") % {
            "days": settings.IDLE_PLACEMENT_DAYS}
        self._limit_unit_choices(units)
        style_fields(self.form)

    def _limit_unit_choices(self, units) -> None:
        """Offer the units of the chosen organisation; all units only while they are few.

        Rendering thousands of <option>s costs seconds (seed_demo --scale 100 has 4,000 units), so
        the unit list follows the organisation filter. Validation still accepts any visible unit,
        so a bookmarked URL with only `unit=` keeps working.
        """
        field = self.form.fields["unit"]
        offered = units
        organisation = self.data.get("organisation") if self.data else None
        if organisation and str(organisation).isdigit():
            offered = units.filter(organisation_id__in=organisation_with_descendant_ids({int(organisation)}))
        elif units.count() > UNIT_CHOICE_LIMIT:
            selected = self.data.get("unit") if self.data else None
            offered = units.filter(pk=selected) if selected and str(selected).isdigit() else units.none()
            field.help_text = _("Välj en organisation först för att kunna välja enhet.")
        offered = offered.select_related("organisation").order_by("organisation__name", "name")
        field.widget.choices = [("", _("Alla"))] + [
            (u.pk, f"{u.name} ({u.organisation.name})") for u in offered[: UNIT_CHOICE_LIMIT * 4]]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(tasks__icontains=value) | Q(code__iexact=value))

    def filter_organisation(self, queryset, name, value):
        return queryset.filter(unit__organisation_id__in=organisation_with_descendant_ids({value.pk}))

    def filter_free_on(self, queryset, name, value: dt.date):
        free = with_free_slot(Placement.objects.all(), on=value).values("pk")
        return queryset.filter(pk__in=free)

    def filter_supervisor(self, queryset, name, value):
        trained = Q(supervisor__isnull=False, supervisor__training_completed_on__isnull=False)
        return queryset.filter(trained) if value == "trained" else queryset.exclude(trained)

    def filter_idle(self, queryset, name, value):
        # Needs the annotations of selectors.placement_list (occupied, idle_since).
        return idle_placements(queryset, days=int(value), on=timezone.localdate())
