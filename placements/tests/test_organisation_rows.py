"""The organisation overview's rows drawn by placements_tags.organisation_rows are the HTML of a template loop
(kept here as the reference), in Swedish and English, with and without occupancy, for organisations with and
without employees, with one and with several sub-organisations, names to escape, shares with decimals and a page
that does not start at rank 1."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from organisations.models import Organisation
from organisations.tests.factories import OrganisationFactory, UnitFactory
from placements.selectors import organisation_overview_level
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

# The overview's loop as a template would draw it (the tag's reference).
REFERENCE = Template(
    '{% load i18n placements_tags %}{% for progress in table %}\n    <tr>\n      <td>'
    '{% if progress.share is not None %}{{ forloop.counter0|add:start }}{% else %}–{% endif %}</td>\n'
    '      <th scope="row" class="fw-normal"><a href="{% url '
    "'placements:organisation_detail' progress.organisation.pk %}\">{{ progress.organisation.name }}</a>"
    '{% if progress.organisation.children %}<br><a class="small" href="?under={{ progress.organisation.pk }}">'
    '{% blocktranslate count count=progress.organisation.children %}{{ count }} underorganisation{% plural %}'
    '{{ count }} underorganisationer{% endblocktranslate %}</a>{% endif %}'
    '</th>\n      <td class="text-end">{{ progress.places }}</td>\n      {% if show_occupancy %}'
    '<td class="text-end">{{ progress.occupied }}</td>{% endif %}\n      <td class="text-end">'
    '{{ progress.employees|default:"–" }}</td>\n      <td>{% target_progress progress %}</td>\n    </tr>\n  '
    "{% endfor %}")
TAG = Template("{% load placements_tags %}{% organisation_rows table show_occupancy=show_occupancy start=start %}")


@pytest.fixture
def table():
    region = OrganisationFactory(name="Region & <Län>", employee_count=3000, placement_target_percent=2)
    child = OrganisationFactory(name='Förvaltning "Vård"', parent=region, employee_count=700)
    OrganisationFactory(name="Ett kontor", parent=child, employee_count=10)
    other = OrganisationFactory(name="Kommunen", employee_count=900)
    for i in range(2):
        OrganisationFactory(name=f"Kommunens förvaltning {i}", parent=other, employee_count=100)
    OrganisationFactory(name="Utan anställda", employee_count=None)
    OrganisationFactory(name="Noll anställda", employee_count=0)
    for org, capacity in ((region, 7), (child, 3)):
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=capacity, available_from=dt.date(2026, 1, 1))


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("show_occupancy", [True, False])
@pytest.mark.parametrize("start", [1, 26])
def test_the_rows_are_the_templates(table, language, show_occupancy, start):
    with translation.override(language):
        levels = (None, *Organisation.objects.filter(name__in=["Region & <Län>", "Kommunen"])
                  .values_list("pk", flat=True))
        rows = [row for under in levels for row in organisation_overview_level(under=under, on=dt.date(2026, 4, 1),
                                                       occupancy=show_occupancy).rows]
        context = {"table": rows, "show_occupancy": show_occupancy, "start": start}
        drawn = TAG.render(Context(context))
        assert drawn == REFERENCE.render(Context(context))
    assert "Region &amp; &lt;Län&gt;" in drawn and "&quot;Vård&quot;" in drawn
    assert any(row["share"] is not None and row["share"] % 1 for row in rows)  # a share with decimals is drawn
    assert {row["organisation"].children for row in rows} >= {1, 2}  # one and several sub-organisations linked
    assert drawn.count("<tr>") == len(rows) == 7
