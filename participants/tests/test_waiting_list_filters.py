"""The waiting-list page takes its counts and keys from the stored periods only when its filter narrows the list by
nothing but the agency; a filter field added later narrows the counts and the rows with the list, unnamed in the
selector."""

import django_filters
from django.urls import reverse

from participants import views
from participants.filters import WaitingListFilter
from participants.selectors import WaitingState, waiting_list, waiting_list_counts
from participants.tests.factories import ParticipantFactory, ReferralFactory


class WaitingListFilterWithBirthYear(WaitingListFilter):
    """The page's filter with one more field, as a later change might add it."""

    born_before = django_filters.NumberFilter(label="Född före", field_name="participant__birth_year",
                                              lookup_expr="lt")

    class Meta(WaitingListFilter.Meta):
        fields = [*WaitingListFilter.Meta.fields, "born_before"]


def _state_cell(html: str, state: str) -> str:
    row = html.split(f'<tr id="state-{state}">', 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="text-end">', 1)[1].split("</td>", 1)[0]


def test_a_filter_field_added_later_narrows_the_counts_and_the_rows(monkeypatch, client, case_worker_af, agency_af,
                                                                    project):
    monkeypatch.setattr(views, "WaitingListFilter", WaitingListFilterWithBirthYear)
    older = ReferralFactory(participant=ParticipantFactory(birth_year=1970), agency=agency_af, project=project)
    for _ in range(2):
        ReferralFactory(participant=ParticipantFactory(birth_year=1995), agency=agency_af, project=project)
    client.force_login(case_worker_af)
    response = client.get(reverse("participants:waiting_list"), {"born_before": 1980})
    assert [referral.pk for referral, _days in response.context["rows"]] == [older.pk]
    defined = waiting_list_counts(waiting_list(user=case_worker_af).filter(participant__birth_year__lt=1980))
    html = response.content.decode()
    assert {state: int(_state_cell(html, state)) for state in WaitingState.values} == defined
    assert defined[WaitingState.WAITING] == 1 and response.context["total"] == 1
    # narrowed by nothing: the stored counts, every start
    html = client.get(reverse("participants:waiting_list")).content.decode()
    everyone = waiting_list_counts(waiting_list(user=case_worker_af))
    assert {state: int(_state_cell(html, state)) for state in WaitingState.values} == everyone
    assert everyone[WaitingState.WAITING] == 3


def test_the_unfiltered_list_builds_no_filter_form_and_a_filtered_one_shows_its_choice(
        monkeypatch, client, case_worker_af, agency_af, agency_fk, project):
    """The filter's fields are drawn once per query (kept): an unfiltered page that has them builds no form. A
    filtered page builds it with the cached option lists and shows the chosen agency as chosen."""
    ReferralFactory(agency=agency_af, project=project)
    built = []
    real = WaitingListFilter.get_form_class

    def recording(self):
        built.append(type(self).__name__)
        return real(self)

    monkeypatch.setattr(WaitingListFilter, "get_form_class", recording)
    client.force_login(case_worker_af)
    url = reverse("participants:waiting_list")
    client.get(url)  # draws the fields (and builds the form for them) unless another test has
    built.clear()
    html = client.get(url).content.decode()
    assert built == []
    assert f'<option value="{agency_fk.pk}">{agency_fk}</option>' in html
    html = client.get(url, {"agency": agency_af.pk}).content.decode()
    assert built == ["WaitingListFilter"]
    assert f'<option value="{agency_af.pk}" selected>{agency_af}</option>' in html
