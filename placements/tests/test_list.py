import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from organisations.tests.factories import OrganisationFactory, SupervisorFactory, UnitFactory
from placements import views
from placements.models import Assignment
from placements.selectors import placement_list_rows
from placements.templatetags.placements_tags import placement_rows
from placements.tests.factories import AssignmentFactory, PlacementFactory

LIST = reverse("placements:list")


def titles(response) -> list[str]:
    return [p.title for p in response.context["page"].object_list]


@pytest.fixture
def leader_client(client, leader):
    client.force_login(leader)
    return client


def test_text_search_over_title_and_tasks(leader_client, placement_a, placement_b):
    placement_b.tasks = "Diska och duka fram lunch"
    placement_b.save()
    assert titles(leader_client.get(LIST, {"q": "lager"})) == ["Lagerarbete"]
    assert titles(leader_client.get(LIST, {"q": "DUKA"})) == ["Kök och servering"]


def test_organisation_filter_includes_sub_organisations(leader_client, org_a, placement_a, placement_b, area):
    child = OrganisationFactory(name="Förvaltning under A", parent=org_a)
    grandchild_unit = UnitFactory(organisation=OrganisationFactory(name="Enhet under förvaltning", parent=child))
    PlacementFactory(unit=grandchild_unit, occupational_area=area, title="Barnbarnsplats")
    assert sorted(titles(leader_client.get(LIST, {"organisation": org_a.pk}))) == ["Barnbarnsplats", "Lagerarbete"]
    assert titles(leader_client.get(LIST, {"organisation": child.pk})) == ["Barnbarnsplats"]


def test_unit_municipality_area_status_filters(leader_client, placement_a, placement_b, unit_b, area_care):
    assert titles(leader_client.get(LIST, {"unit": unit_b.pk})) == ["Kök och servering"]
    assert titles(leader_client.get(LIST, {"municipality": "Visby"})) == ["Lagerarbete"]
    assert titles(leader_client.get(LIST, {"occupational_area": area_care.pk})) == ["Kök och servering"]
    placement_b.status = "paused"
    placement_b.save()
    assert titles(leader_client.get(LIST, {"status": "paused"})) == ["Kök och servering"]
    assert titles(leader_client.get(LIST, {"status": "open"})) == ["Lagerarbete"]


def test_adaptations_filter_requires_all_chosen(leader_client, placement_a, placement_b, wheelchair, quiet):
    placement_a.adaptations.set([wheelchair, quiet])
    placement_b.adaptations.set([wheelchair])
    assert sorted(titles(leader_client.get(LIST, {"adaptations": [wheelchair.pk]}))) == [
        "Kök och servering", "Lagerarbete"]
    assert titles(leader_client.get(LIST, {"adaptations": [wheelchair.pk, quiet.pk]})) == ["Lagerarbete"]


def test_supervisor_trained_filter(leader_client, placement_a, placement_b, unit_b):
    untrained = SupervisorFactory(unit=unit_b, training_completed_on=None)
    other = PlacementFactory(unit=unit_b, occupational_area=placement_b.occupational_area, title="Otränad",
                             supervisor=untrained)
    assert titles(leader_client.get(LIST, {"supervisor": "trained"})) == ["Lagerarbete"]
    # "untrained" = no supervisor at all, or one without the training.
    assert sorted(titles(leader_client.get(LIST, {"supervisor": "untrained"}))) == ["Kök och servering",
                                                                                    other.title]


def test_free_on_date_filter(leader_client, placement_a, placement_b, agency_af):
    placement_a.capacity = 1
    placement_a.save()
    AssignmentFactory(placement=placement_a, status=Assignment.Status.CONFIRMED,
                      start_date=dt.date(2030, 1, 1), planned_end_date=dt.date(2030, 6, 30))
    assert titles(leader_client.get(LIST, {"free_on": "2030-03-01"})) == ["Kök och servering"]
    assert sorted(titles(leader_client.get(LIST, {"free_on": "2030-08-01"}))) == ["Kök och servering",
                                                                                  "Lagerarbete"]


def test_idle_filter_and_badge(leader_client, placement_a, placement_b):
    today = timezone.localdate()
    placement_a.available_from = today - dt.timedelta(days=200)
    placement_a.save()
    placement_b.available_from = today - dt.timedelta(days=10)
    placement_b.save()
    response = leader_client.get(LIST, {"idle_days": 30})
    assert titles(response) == ["Lagerarbete"]
    assert "ledig i 200 dagar" in response.content.decode()
    # A participant who left 5 days ago resets the clock.
    AssignmentFactory(placement=placement_a, status=Assignment.Status.COMPLETED,
                      start_date=today - dt.timedelta(days=50), planned_end_date=today - dt.timedelta(days=5),
                      end_date=today - dt.timedelta(days=5))
    assert titles(leader_client.get(LIST, {"idle_days": 30})) == []
    assert settings.IDLE_PLACEMENT_DAYS > 0


def hit_count(response) -> str:
    """The list's hit count as the page shows it."""
    return re.search(r'id="hit-count">\s*([^<]*?)\s*<', response.content.decode(), flags=re.S).group(1)


def test_idle_filter_around_the_60_day_edge_shows_the_placements_and_the_count_of_the_definition(
        leader_client, unit_a, area):
    """"Ledig i mer än 60 dagar": free since 61 days ago is in, since 60 is not; the same for the end of the last
    hosted period (completed, or a confirmed one that never began), whoever is on it today or booked later."""
    today = timezone.localdate()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731

    def placement(title, available_days_ago=400, **kwargs):
        return PlacementFactory(unit=unit_a, occupational_area=area, title=title,
                                available_from=ago(available_days_ago), **kwargs)

    def hosted(on, ended_days_ago, status=Assignment.Status.COMPLETED):
        AssignmentFactory(placement=on, status=status, start_date=ago(300), planned_end_date=ago(ended_days_ago),
                          end_date=ago(ended_days_ago) if status == Assignment.Status.COMPLETED else None)

    placement("A available 61 days ago", 61)
    placement("B available 60 days ago", 60)
    placement("C available 59 days ago", 59)
    hosted(placement("D ended 61 days ago"), 61)
    hosted(placement("E ended 60 days ago"), 60)
    hosted(placement("F ended 61 days ago, confirmed, never begun"), 61, status=Assignment.Status.CONFIRMED)
    someone_on_it = placement("G someone on it today")
    AssignmentFactory(placement=someone_on_it, status=Assignment.Status.ONGOING, start_date=ago(3),
                      planned_end_date=today + dt.timedelta(days=30))
    booked_later = placement("H booked from tomorrow")
    AssignmentFactory(placement=booked_later, status=Assignment.Status.CONFIRMED,
                      start_date=today + dt.timedelta(days=1), planned_end_date=today + dt.timedelta(days=30))
    placement("I paused", status="paused")
    placement("J available until yesterday", available_to=ago(1))
    placement("K available until today", available_to=today)

    response = leader_client.get(LIST, {"idle_days": 60})
    shown = ["A available 61 days ago", "D ended 61 days ago", "F ended 61 days ago, confirmed, never begun",
             "H booked from tomorrow", "K available until today"]
    assert titles(response) == shown
    assert hit_count(response) == "5 platser hittades"
    assert titles(leader_client.get(LIST, {"idle_days": 60, "per_page": 10, "page": 1})) == shown
    assert titles(leader_client.get(LIST, {"idle_days": 59})) == sorted(
        [*shown, "B available 60 days ago", "E ended 60 days ago"])
    longer = leader_client.get(LIST, {"idle_days": 61})
    assert titles(longer) == ["H booked from tomorrow", "K available until today"]
    assert hit_count(longer) == "2 platser hittades"


def test_idle_filter_counts_who_is_on_the_placement_today_whatever_day_free_places_are_asked_for(
        leader_client, placement_a):
    """Someone on the placement today: not idle, even when the list asks for free places on a later day
    (when the placement will be free again)."""
    today = timezone.localdate()
    placement_a.available_from = today - dt.timedelta(days=200)
    placement_a.capacity = 1
    placement_a.save()
    AssignmentFactory(placement=placement_a, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=5), planned_end_date=today + dt.timedelta(days=10))
    later = (today + dt.timedelta(days=30)).isoformat()
    assert titles(leader_client.get(LIST, {"free_on": later})) == ["Lagerarbete"]
    assert titles(leader_client.get(LIST, {"free_on": later, "idle_days": 30})) == []
    assert titles(leader_client.get(LIST, {"idle_days": 30})) == []


def row_badges(response, title: str) -> list[str]:
    """The badges of the list row whose placement is `title`: class and text of each."""
    html = response.content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if f">{title}</a>" in r)
    return [f"{css}: {text}" for css, text in re.findall(r'<span class="badge ([^"]+)">([^<]*)</span>', row)]


def test_each_row_shows_its_status_and_idle_badges(leader_client, placement_a, placement_b, wheelchair):
    today = timezone.localdate()
    limit = settings.IDLE_PLACEMENT_DAYS
    placement_a.available_from = today - dt.timedelta(days=limit + 1)
    placement_a.save()
    placement_a.adaptations.add(wheelchair)
    placement_b.available_from = today - dt.timedelta(days=limit)  # exactly at the limit: not idle yet
    placement_b.status = placement_b.Status.PAUSED
    placement_b.save()
    response = leader_client.get(LIST)
    assert row_badges(response, "Lagerarbete") == [
        "text-bg-success: Öppen", f"badge-idle: ledig i {limit + 1} dagar", f"text-bg-light border: {wheelchair.name}"]
    assert row_badges(response, "Kök och servering") == ["text-bg-warning: Pausad"]


def test_rows_show_free_and_total(leader_client, placement_a):
    AssignmentFactory(placement=placement_a, status=Assignment.Status.ONGOING,
                      start_date=timezone.localdate() - dt.timedelta(days=3),
                      planned_end_date=timezone.localdate() + dt.timedelta(days=30))
    response = leader_client.get(LIST)
    row = response.context["page"].object_list[0]
    assert (row.free, row.capacity) == (1, 2)
    assert "1 / 2" in response.content.decode()


def test_manager_sees_only_own_placements(client, manager_a, placement_a, placement_b):
    client.force_login(manager_a)
    assert titles(client.get(LIST)) == ["Lagerarbete"]


def test_sorting_pagination_page_size_and_hit_count(leader_client, unit_a, area):
    for n in range(30):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n:02d}", capacity=1 + n % 3)
    first = leader_client.get(LIST)
    assert len(first.context["page"].object_list) == 25
    assert "30 platser hittades" in first.content.decode()
    second = leader_client.get(LIST, {"page": 2})
    assert titles(second) == [f"Plats {n:02d}" for n in range(25, 30)]
    assert len(leader_client.get(LIST, {"per_page": 10}).context["page"].object_list) == 10
    assert len(leader_client.get(LIST, {"per_page": 7}).context["page"].object_list) == 25  # not offered
    descending = titles(leader_client.get(LIST, {"ordering": "-title", "per_page": 10}))
    assert descending[0] == "Plats 29"
    by_free = leader_client.get(LIST, {"ordering": "-free", "per_page": 100}).context["page"].object_list
    assert [p.free for p in by_free] == sorted((p.free for p in by_free), reverse=True)
    # The page links keep the filters (bookmarkable).
    filtered = leader_client.get(LIST, {"q": "Plats", "per_page": 10}).content.decode()
    assert "q=Plats&amp;per_page=10&amp;page=2" in filtered


def test_htmx_request_gets_only_the_results(leader_client, placement_a):
    full = leader_client.get(LIST, {"q": "lager"})
    partial = leader_client.get(LIST, {"q": "lager"}, headers={"HX-Request": "true"})
    assert "<html" in full.content.decode()
    body = partial.content.decode()
    assert "<html" not in body and "Lagerarbete" in body and "1 plats hittades" in body
    assert "HX-Request" in partial["Vary"]
    # The filter form drives htmx and pushes the URL; a plain submit works without JavaScript.
    html = full.content.decode()
    assert 'data-hx-get="/placements/"' in html and 'data-hx-push-url="true"' in html and 'method="get"' in html


def test_invalid_filter_value_shows_error_not_crash(leader_client, placement_a):
    response = leader_client.get(LIST, {"free_on": "inte-ett-datum"})
    assert response.status_code == 200
    assert "Några filter kunde inte användas" in response.content.decode()


def _make_rows(n, unit, area, wheelchair, supervisor):
    for i in range(n):
        p = PlacementFactory(unit=unit, occupational_area=area, title=f"Rad {i:03d}", supervisor=supervisor)
        p.adaptations.add(wheelchair)
        AssignmentFactory(placement=p, status=Assignment.Status.COMPLETED, start_date=dt.date(2025, 2, 1),
                          planned_end_date=dt.date(2025, 3, 1), end_date=dt.date(2025, 3, 1))


@pytest.mark.parametrize("rows", [1, 50])
def test_query_count_does_not_grow_with_page_size(client, leader, unit_a, area, wheelchair, supervisor_a, rows,
                                                  django_assert_num_queries):
    _make_rows(rows, unit_a, area, wheelchair, supervisor_a)
    client.force_login(leader)
    # Warm the filter's option lists and the remembered list state (saved in the session when it changes).
    client.get(LIST, {"per_page": 50})
    # 1 session, 2 user, 3 count of placements, 4 the page's keys in order (filters and sort over the placements
    # alone), 5 those keys' rows as values (occupancy and idle subqueries, unit/organisation/area/supervisor
    # joined), 6 the names of those keys' adaptations – whatever the number of rows. No session write (its expiry
    # was pushed forward less than SESSION_REFRESH_SECONDS ago). The filter form's option lists (organisations,
    # units, municipalities, areas, adaptations) come from placements.filters.choice_cache, filled by the warm-up.
    with django_assert_num_queries(6):
        response = client.get(LIST, {"per_page": 50})
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize(("query", "queries"), [({"idle_days": 30}, 6), ({"ordering": "idle_since"}, 7),
                                                ({"ordering": "-idle_since"}, 7)])
def test_idle_filter_and_ledig_langst_query_counts_do_not_grow_with_rows(
        client, leader, unit_a, area, wheelchair, supervisor_a, rows, query, queries, django_assert_num_queries):
    """As the plain list (above); ordering by "Ledig längst" asks once more, whether any placement's stored idle
    values are stale (placements.selectors.order_by_idle_since)."""
    _make_rows(rows, unit_a, area, wheelchair, supervisor_a)
    client.force_login(leader)
    client.get(LIST, {"per_page": 50, **query})
    with django_assert_num_queries(queries):
        response = client.get(LIST, {"per_page": 50, **query})
    assert len(response.context["page"].object_list) == rows


def test_unit_choices_follow_organisation_when_there_are_many(leader_client, org_a, org_b, unit_a, unit_b,
                                                              placement_a, monkeypatch):
    from placements import filters

    monkeypatch.setattr(filters, "UNIT_CHOICE_LIMIT", 1)
    form = leader_client.get(LIST).context["filter"].form
    assert [c[0] for c in form.fields["unit"].widget.choices] == [""]
    assert "Välj en organisation först" in str(form.fields["unit"].help_text)
    response = leader_client.get(LIST, {"organisation": org_a.pk}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'data-hx-swap-oob="true"' in body and unit_a.name in body and unit_b.name not in body
    # A bookmarked unit filter still works although its organisation is not chosen.
    assert titles(leader_client.get(LIST, {"unit": unit_a.pk})) == ["Lagerarbete"]


def test_filter_options_follow_new_organisations_and_areas_at_once(leader_client, org_a, unit_a, placement_a):
    from organisations.models import OccupationalArea
    from organisations.tests.factories import OrganisationFactory

    leader_client.get(LIST)  # fills the option cache
    OrganisationFactory(name="Nyköpings hamn")
    OccupationalArea.objects.create(code="ny-zz", name="Nytt yrkesområde")
    form = leader_client.get(LIST).context["filter"].form
    assert "Nyköpings hamn" in [label for _pk, label in form.fields["organisation"].widget.choices]
    assert "Nytt yrkesområde" in [label for _pk, label in form.fields["occupational_area"].widget.choices]


def test_pagination_shows_the_pages_near_the_current_one_and_the_ends(leader_client, unit_a, area, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZES", (*views.PAGE_SIZES, 1))
    for n in range(20):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n:02d}")
    html = leader_client.get(LIST, {"per_page": 1, "page": 10}).content.decode()
    pagination = html[html.index('<ul class="pagination'):]
    pagination = pagination[:pagination.index("</ul>")]
    shown = re.findall(r'<span class="page-link">(\d+|…)</span>|aria-label="Sida (\d+)"', pagination)
    assert [current or linked for current, linked in shown] == ["1", "…", "8", "9", "10", "11", "12", "…", "20"]


def test_page_links_load_their_page_into_the_results_with_htmx_and_work_without_it(leader_client, unit_a, area):
    for n in range(12):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n:02d}")
    html = leader_client.get(LIST, {"q": "Plats", "per_page": 10}).content.decode()
    pagination = html[html.index('<ul class="pagination'):]
    links = re.findall(r"<a ([^>]*)>", pagination[:pagination.index("</ul>")])
    assert len(links) == 2  # page 2 and "Nästa"
    for link in links:
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', link))
        assert attributes["href"] == attributes["data-hx-get"] == "?q=Plats&amp;per_page=10&amp;page=2"
        assert attributes["data-hx-target"] == "#results" and attributes["data-hx-push-url"] == "true"


def test_the_shared_page_links_use_htmx_only_where_the_list_asks_for_it():
    page = Paginator(range(30), 10).page(2)
    context = {"page": page, "page_numbers": list(page.paginator.get_elided_page_range(2)), "query": "q=x"}
    plain = render_to_string("includes/elided_pagination.html", context)
    assert 'href="?q=x&amp;page=3"' in plain and "data-hx-" not in plain
    driven = render_to_string("includes/elided_pagination.html", {**context, "hx_target": "#results"})
    assert driven.count('data-hx-target="#results"') == 4  # previous, pages 1 and 3, next
    assert 'href="?q=x&amp;page=1" data-hx-get="?q=x&amp;page=1"' in driven


def test_the_page_is_sorted_and_cut_before_the_relations_are_joined(client, leader, unit_a, area, wheelchair,
                                                                   supervisor_a):
    _make_rows(3, unit_a, area, wheelchair, supervisor_a)
    client.force_login(leader)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, {"ordering": "idle_since", "idle_days": 0, "per_page": 10})
    placement_queries = [q["sql"] for q in captured.captured_queries
                         if q["sql"].startswith('SELECT "placements_placement"."id"')]
    keys, rows = placement_queries[0], placement_queries[1]
    assert re.search(r"ORDER BY .* LIMIT \d+$", keys) and "JOIN" not in keys
    assert "organisations_supervisor" in rows and not re.search(r"LIMIT \d+$", rows)
    shown = response.context["page"].object_list
    assert [p.idle_since for p in shown] == sorted(p.idle_since for p in shown)


def test_each_row_shows_its_cells_escaped(leader_client, placement_a, placement_b, unit_b):
    """The rows' cells as the page shows them (placements_tags.placement_rows): every value escaped, the
    availability's end date, the supervisor's name and training, a placement without a supervisor."""
    placement_a.title = "Lager & <b>plock</b>"
    placement_a.available_to = dt.date(2026, 6, 30)
    placement_a.save()
    placement_b.supervisor = SupervisorFactory(unit=unit_b, name="Olle <Otränad>", training_completed_on=None)
    placement_b.save()
    lone = PlacementFactory(unit=unit_b, occupational_area=placement_b.occupational_area, title="Utan handledare")
    html = leader_client.get(LIST).content.decode()
    row_a = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if "Lager &amp; &lt;b&gt;plock" in r)
    assert f'<a class="fw-semibold" href="/placements/{placement_a.pk}/">Lager &amp; &lt;b&gt;plock&lt;/b&gt;</a>' \
        in row_a
    assert ('<td data-label="Organisation och enhet">Region Testland – Hälso- och sjukvårdsförvaltningen<br>'
            '<span class="text-muted">Vårdavdelning 1, Visby</span></td>') in row_a
    assert '<td data-label="Yrkesområde">Transport, distribution, lager</td>' in row_a
    assert ('<td data-label="Lediga / totalt" class="text-end text-nowrap"><span class="visually-hidden">Lediga '
            '</span>2 / 2</td>') in row_a
    assert ('<td data-label="Tillgänglig" class="text-nowrap">2025-01-01<br>'
            '<span class="text-muted">till 2026-06-30</span></td>') in row_a
    assert ('<td data-label="Handledare">Hanna Handledare<br><span class="text-success-emphasis">utbildad</span>'
            '</td>') in row_a
    assert ('<td data-label="Handledare">Olle &lt;Otränad&gt;<br><span class="text-danger-emphasis">ej utbildad'
            '</span></td>') in html
    assert '<td data-label="Tillgänglig" class="text-nowrap">2025-01-01</td>' in html
    row_lone = next(r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if ">Utan handledare</a>" in r)
    assert '<td data-label="Handledare"><span class="text-danger-emphasis">saknas</span></td>' in row_lone
    assert f'href="/placements/{lone.pk}/"' in row_lone


def test_a_row_without_supervisor_contacts_shows_only_the_training(leader, placement_a):
    rows = placement_rows(placement_list_rows([placement_a.pk]), label_free="Lediga / totalt", show_supervisors=False)
    assert '<td data-label="Handledare"><span class="text-success-emphasis">utbildad</span></td>' in rows
    assert "Hanna Handledare" not in rows


def _filter_panel(response) -> str:
    html = response.content.decode()
    return html[html.index('<form id="filter-form"'):html.index("</form>", html.index('<form id="filter-form"'))]


def test_the_kept_filter_form_follows_the_query_the_language_and_the_user(client, leader, manager_a, org_a,
                                                                           unit_a, unit_b, placement_a):
    """The drawn filter fields are kept per language and query (PlacementFilter.rendered_fields): another
    query shows its own chosen values and errors, English its own labels, a manager their own units."""
    client.force_login(leader)
    opened = _filter_panel(client.get(LIST, {"status": "open"}))
    paused = _filter_panel(client.get(LIST, {"status": "paused"}))
    assert '<option value="open" selected>' in opened and '<option value="paused" selected>' not in opened
    assert '<option value="paused" selected>' in paused and '<option value="open" selected>' not in paused
    assert _filter_panel(client.get(LIST, {"status": "open"})) == opened
    invalid = _filter_panel(client.get(LIST, {"idle_days": "abc"}))
    assert 'aria-invalid="true"' in invalid and 'aria-invalid="true"' not in opened
    assert unit_b.name in _filter_panel(client.get(LIST))
    client.post(reverse("set_language"), {"language": "en", "next": LIST})
    assert 'Status</label>' in _filter_panel(client.get(LIST, {"status": "open"}))
    assert "Sortera" not in _filter_panel(client.get(LIST, {"status": "open"}))
    client.force_login(manager_a)
    own = _filter_panel(client.get(LIST))
    assert unit_a.name in own and unit_b.name not in own


def test_the_kept_filter_forms_are_bounded(leader_client, placement_a, monkeypatch):
    from placements import filters

    def kept():
        return len([k for k in filters.choice_cache._values if k.startswith("filter-form:")])

    monkeypatch.setattr(filters, "RENDERED_FORMS_KEPT", 3)
    for days in range(10):
        leader_client.get(LIST, {"idle_days": days})
    assert kept() == 3
    filters.choice_cache.clear()
    # The page number and page size are not the form's: paging through a list draws its form once.
    for page in (1, 2, 3):
        leader_client.get(LIST, {"status": "open", "page": page, "per_page": 10})
    assert kept() == 1


def _offered_orderings() -> list[str]:
    from placements.filters import PlacementFilter

    return [value for value, _label in PlacementFilter.base_filters["ordering"].field.choices if value]


@pytest.mark.parametrize("ordering", _offered_orderings())
def test_every_offered_ordering_lists_every_placement(leader_client, unit_a, area, ordering):
    # The page builds the occupancy and idle annotations only for the orderings that read them; an ordering
    # offered without them would fail here instead of in front of a user.
    for n, capacity in enumerate((1, 3, 2)):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n}", capacity=capacity)

    response = leader_client.get(LIST, {"ordering": ordering, "per_page": 10})

    assert response.status_code == 200
    assert sorted(titles(response)) == ["Plats 0", "Plats 1", "Plats 2"]


@pytest.mark.parametrize("ordering", ["", "idle_since", "-idle_since"])
def test_every_page_shows_its_part_of_the_list_and_a_deep_page_is_read_from_the_end(leader_client, unit_a, area,
                                                                                   ordering):
    """The pages one after another show the whole list once, in its order (ties broken by the placement's key),
    whichever end a page is read from (core.paging.KeysFromEitherEnd): a page in the second half does not make
    PostgreSQL skip the rows before it (no OFFSET as deep as the page)."""
    for n in range(23):
        PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n % 7:02d}",
                         available_from=dt.date(2025, 1, 1) + dt.timedelta(days=n % 5))

    def shown(response):
        return [(row.pk, row.title) for row in response.context["page"].object_list]

    whole = shown(leader_client.get(LIST, {"ordering": ordering, "per_page": 100}))
    pages = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as captured:
            response = leader_client.get(LIST, {"ordering": ordering, "per_page": 10, "page": number})
        pages.append(shown(response))
        keys = [q["sql"] for q in captured.captured_queries
                if q["sql"].startswith('SELECT "placements_placement"."id" AS "pk"')]
        assert len(keys) == 1 and all(int(offset) < 10 for offset in re.findall(r"OFFSET (\d+)$", keys[0])), keys

    assert [len(page) for page in pages] == [10, 10, 3]
    assert sum(pages, []) == whole and len({pk for pk, _title in whole}) == 23


def test_the_idle_filters_count_is_that_of_the_definition_from_the_idle_index_with_stale_stored_values(
        leader_client, unit_a, area):
    """The leader's list narrowed by the idle filter alone shows its hit count from the idle index's three parts
    (placements.selectors.idle_placements_count, one query, no OR of the parts), the same number as the definition,
    also for placements whose stored idle values no longer describe today (asked from their assignments)."""
    from placements.models import Placement
    from placements.selectors import idle_placements_from_history

    today = timezone.localdate()
    ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
    for n, (available, ended) in enumerate([(400, None), (400, 61), (400, 30), (90, None), (20, None), (400, 100)]):
        placement = PlacementFactory(unit=unit_a, occupational_area=area, title=f"Plats {n}",
                                     available_from=ago(available))
        if ended:
            AssignmentFactory(placement=placement, status=Assignment.Status.COMPLETED, start_date=ago(ended + 20),
                              planned_end_date=ago(ended), end_date=ago(ended))
    booked = PlacementFactory(unit=unit_a, occupational_area=area, title="Bokad", available_from=ago(400))
    AssignmentFactory(placement=booked, status=Assignment.Status.CONFIRMED, start_date=today + dt.timedelta(days=3),
                      planned_end_date=today + dt.timedelta(days=30))
    on_it = PlacementFactory(unit=unit_a, occupational_area=area, title="Någon på", available_from=ago(400))
    AssignmentFactory(placement=on_it, status=Assignment.Status.ONGOING, start_date=ago(3),
                      planned_end_date=today + dt.timedelta(days=30))
    # Stored values of an earlier day: the next hosted end "before today" (stale), the last one "today" (stale).
    Placement.objects.filter(title__in=["Plats 0", "Plats 2"]).update(idle_next_end=ago(1))
    Placement.objects.filter(title__in=["Plats 3", "Någon på"]).update(idle_last_end=today)

    for days in (0, 30, 60, 95):
        definition = idle_placements_from_history(Placement.objects.all(), days=days, on=today)
        with CaptureQueriesContext(connection) as captured:
            response = leader_client.get(LIST, {"idle_days": days, "per_page": 100})
        expected = len(definition)
        assert hit_count(response) == (f"{expected} platser hittades" if expected != 1 else "1 plats hittades")
        assert sorted(titles(response)) == sorted(definition.values_list("title", flat=True))
        counts = [q["sql"] for q in captured.captured_queries
                  if "count(*)" in q["sql"].lower() and "placements_placement" in q["sql"]]
        assert len(counts) == 1 and "UNION ALL" in counts[0]
    assert len(idle_placements_from_history(Placement.objects.all(), days=60, on=today)) >= 3
