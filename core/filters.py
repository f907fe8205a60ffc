import django_filters
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput
from core.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    user_email = django_filters.CharFilter(label=_("Användare (e-post)"), lookup_expr="icontains")
    action = django_filters.ChoiceFilter(label=_("Händelse"), choices=AuditEvent.Action.choices,
                                         empty_label=_("Alla"))
    object_type = django_filters.CharFilter(label=_("Objekttyp"), lookup_expr="iexact")
    object_id = django_filters.CharFilter(label=_("Objekt-id"))
    since = django_filters.DateFilter(label=_("Från och med"), field_name="at", lookup_expr="date__gte",
                                      widget=DateInput())
    until = django_filters.DateFilter(label=_("Till och med"), field_name="at", lookup_expr="date__lte",
                                      widget=DateInput())

    class Meta:
        model = AuditEvent
        fields = []
