import django_filters
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import Gender
from organisations.models import Agency, OccupationalArea, Project
from participants.models import Participant, Referral
from placements.filters import RENDERED_FORMS_KEPT, choice_cache


def _cached_options(key: str, model) -> list[tuple]:
    """The choice "Alla" and every row of `model`, from the placement filter's in-process option cache
    (emptied when such a row is saved or deleted)."""
    return [("", _("Alla"))] + choice_cache.get(key, lambda: [(o.pk, str(o)) for o in model.objects.all()])


class _KeptFields:
    """The filter's fields drawn once per language and query: every user gets the same option lists (the cache
    above), so the same parameters draw the same fields. Kept in choice_cache beside the option lists, so emptied
    with them when an agency, project or occupational area is saved."""

    def rendered_fields(self) -> str:
        def draw():
            return render_to_string("participants/_filter_fields.html", {"form": self.form})

        # The fields read only their own parameters: the page number does not make another form.
        own = QueryDict(mutable=True)
        for name in self.filters:  # the form's fields, named after the filters (without building the form)
            if name in self.data:
                own.setlist(name, self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data[name]])
        key = (f"filter-form:{type(self).__name__}:{get_language()}:{'bound' if self.is_bound else 'unbound'}:"
               f"{own.urlencode()}")
        return choice_cache.get(key, draw, kept=RENDERED_FORMS_KEPT)


class _CachedOptionLists:
    """The filter form built when first read: a page whose fields are drawn already (_KeptFields) and that filters
    nothing reads no form. Its option lists (`option_lists`: field → (cache key, model)) come from the placement
    filter's in-process cache; a chosen value is still validated against the database."""

    option_lists: dict[str, tuple[str, type]] = {}

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field, (key, model) in self.option_lists.items():
                form.fields[field].widget.choices = _cached_options(key, model)
        return self._form


class ParticipantFilter(_KeptFields, _CachedOptionLists, django_filters.FilterSet):
    STATUS_CHOICES = [("active", _("Pågående start")), ("exited", _("Avslutade"))]

    q = django_filters.CharFilter(label=_("Sök kod eller namn"), method="filter_q")
    agency = django_filters.ModelChoiceFilter(label=_("Myndighet"), queryset=Agency.objects.all(),
                                              method="filter_agency", empty_label=_("Alla"))
    project = django_filters.ModelChoiceFilter(label=_("Projekt"), queryset=Project.objects.all(),
                                               method="filter_project", empty_label=_("Alla"))
    gender = django_filters.ChoiceFilter(label=_("Kön"), choices=Gender.choices, empty_label=_("Alla"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=STATUS_CHOICES, method="filter_status",
                                         empty_label=_("Alla"))

    class Meta:
        model = Participant
        fields = ["q", "agency", "project", "gender", "status"]

    option_lists = {"agency": ("agencies", Agency), "project": ("projects", Project)}

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q(code__icontains=value)
        for part in value.split():
            query |= Q(first_name__icontains=part) | Q(last_name__icontains=part)
        return queryset.filter(query)

    def filter_agency(self, queryset, name, value):
        return queryset.filter(Exists(Referral.objects.filter(participant=OuterRef("pk"), agency=value)))

    def filter_project(self, queryset, name, value):
        return queryset.filter(Exists(Referral.objects.filter(participant=OuterRef("pk"), project=value)))

    def filter_status(self, queryset, name, value):
        open_start = Referral.objects.filter(participant=OuterRef("pk"), exit__isnull=True)
        if value == "active":
            return queryset.filter(Exists(open_start))
        if value == "exited":
            return queryset.exclude(Exists(open_start))
        return queryset


class WaitingListFilter(_KeptFields, _CachedOptionLists, django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(label=_("Myndighet"), queryset=Agency.objects.all(),
                                              empty_label=_("Alla"))
    gender = django_filters.ChoiceFilter(label=_("Kön"), field_name="participant__gender", choices=Gender.choices,
                                         empty_label=_("Alla"))
    interest = django_filters.ModelChoiceFilter(label=_("Yrkesintresse"), queryset=OccupationalArea.objects.all(),
                                                method="filter_interest", empty_label=_("Alla"))

    class Meta:
        model = Referral
        fields = ["agency", "gender", "interest"]

    option_lists = {"agency": ("agencies", Agency), "interest": ("areas", OccupationalArea)}

    def filter_interest(self, queryset, name, value):
        through = Referral.interests.through
        return queryset.filter(Exists(through.objects.filter(referral_id=OuterRef("pk"), occupationalarea=value)))
