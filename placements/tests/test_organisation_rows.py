"""The organisation overview's rows drawn by placements_tags.organisation_rows are the HTML the template loop drew
(kept here as the reference), in Swedish and English, with and without occupancy, for organisations with and
without employees, sub-organisations, names to escape and shares with decimals."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from organisations.tests.factories import OrganisationFactory, UnitFactory
from placements.selectors import organisation_progress_table
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

# The overview's loop as the template drew it before the tag.
REFERENCE = Template(
    '{% load i18n placements_tags %}{% for progress in table %}\n    <tr>\n      <td>'
    '{% if progress.share is not None %}{{ forloop.counter }}{% else %}–{% endif %}</td>\n'
    '      <th scope="row" class="fw-normal"><a href="{% url '
    "'placements:organisation_detail' progress.organisation.pk %}\">{{ progress.organisation.name }}</a>"
    '{% if progress.organisation.parent_id %}<br><span class="small text-muted">{% translate "underorganisation" %}'
    '</span>{% endif %}</th>\n      <td class="text-end">{{ progress.places }}</td>\n      {% if show_occupancy %}'
    '<td class="text-end">{{ progress.occupied }}</td>{% endif %}\n      <td class="text-end">'
    '{{ progress.employees|default:"–" }}</td>\n      <td>{% target_progress progress %}</td>\n    </tr>\n  '
    "{% endfor %}")
TAG = Template("{% load placements_tags %}{% organisation_rows table show_occupancy=show_occupancy %}")


@pytest.fixture
def table():
    region = OrganisationFactory(name="Region & <Län>", employee_count=3000, placement_target_percent=2)
    child = OrganisationFactory(name='Förvaltning "Vård"', parent=region, employee_count=700)
    OrganisationFactory(name="Utan anställda", employee_count=None)
    OrganisationFactory(name="Noll anställda", employee_count=0)
    for org, capacity in ((region, 7), (child, 3)):
        PlacementFactory(unit=UnitFactory(organisation=org), capacity=capacity, available_from=dt.date(2026, 1, 1))


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("show_occupancy", [True, False])
def test_the_rows_are_the_templates(table, language, show_occupancy):
    with translation.override(language):
        rows = organisation_progress_table(on=dt.date(2026, 4, 1), occupancy=show_occupancy)
        context = {"table": rows, "show_occupancy": show_occupancy}
        drawn = TAG.render(Context(context))
        assert drawn == REFERENCE.render(Context(context))
    assert "Region &amp; &lt;Län&gt;" in drawn and "&quot;Vård&quot;" in drawn
    assert any(row["share"] is not None and row["share"] % 1 for row in rows)  # a share with decimals is drawn
    assert drawn.count("<tr>") == len(rows) >= 4
