"""reporting.suppression's rules one by one, on small hand-made figures: what the steering group is shown
("<5", "..", the exact figure, None for a derived value), which periods it may build, and how a cell hidden
in a month is found again in its quarter. No database: each test is a dict in, a dict out."""

import datetime as dt

import pytest

from reporting import suppression
from reporting.suppression import (
    BIG,
    SECONDARY,
    Counts,
    Derived,
    Sum,
    bounds_after_reasoning,
    expand,
    hidden_cells,
    hidden_in_months,
    is_small,
    is_whole_period,
    months_of,
    resolve,
    stable_path,
    suppress,
    suppress_small_counts,
    suppressed_label,
)

D = dt.date


# --- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [
    (D(2026, 1, 1), D(2026, 1, 31)),
    (D(2026, 2, 1), D(2026, 2, 28)),
    (D(2028, 2, 1), D(2028, 2, 29)),
    (D(2026, 12, 1), D(2026, 12, 31)),
    (D(2026, 1, 1), D(2026, 3, 31)),
    (D(2026, 4, 1), D(2026, 6, 30)),
    (D(2026, 7, 1), D(2026, 9, 30)),
    (D(2026, 10, 1), D(2026, 12, 31)),
    (D(2026, 1, 1), D(2026, 12, 31)),
])
def test_whole_months_quarters_and_years_are_allowed(start, end):
    assert is_whole_period(start, end)


@pytest.mark.parametrize(("start", "end"), [
    (D(2026, 1, 2), D(2026, 1, 31)),     # not from the first
    (D(2026, 1, 1), D(2026, 1, 30)),     # not to the last
    (D(2026, 2, 1), D(2026, 2, 27)),
    (D(2026, 1, 15), D(2026, 2, 14)),    # a month's length, not a calendar month
    (D(2026, 1, 1), D(2026, 2, 28)),     # two months
    (D(2025, 12, 1), D(2026, 1, 31)),    # two months over the new year
    (D(2026, 2, 1), D(2026, 4, 30)),     # three months, not a quarter
    (D(2026, 3, 1), D(2026, 5, 31)),
    (D(2025, 11, 1), D(2026, 1, 31)),
    (D(2026, 1, 1), D(2026, 4, 30)),     # four months
    (D(2026, 1, 1), D(2026, 6, 30)),     # half a year
    (D(2026, 2, 1), D(2027, 1, 31)),     # twelve months, not a calendar year
    (D(2025, 7, 1), D(2026, 6, 30)),
    (D(2025, 12, 1), D(2026, 12, 31)),   # thirteen months
    (D(2025, 1, 1), D(2026, 12, 31)),    # two years
    (D(2014, 2, 1), D(2026, 1, 31)),     # twelve years less a month
    (D(2014, 1, 1), D(2026, 2, 28)),
    (D(2014, 1, 1), D(2026, 11, 30)),
])
def test_other_periods_are_refused(start, end):
    assert not is_whole_period(start, end)


ENDED = "Styrgruppen ser bara perioder som har tagit slut."


@pytest.mark.parametrize(("start", "end", "today"), [
    (D(2026, 3, 1), D(2026, 3, 31), D(2026, 4, 1)),     # the day after its last day
    (D(2026, 3, 1), D(2026, 3, 31), D(2026, 11, 20)),
    (D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 1)),
    (D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 1)),
])
def test_the_steering_group_may_see_a_whole_period_that_has_ended(start, end, today):
    assert suppression.steering_period_refusal(start, end, today=today) is None


@pytest.mark.parametrize(("start", "end", "today", "last_day"), [
    (D(2026, 3, 1), D(2026, 3, 31), D(2026, 3, 31), "2026-02-28"),     # its last day: still running
    (D(2026, 3, 1), D(2026, 3, 31), D(2026, 3, 1), "2026-02-28"),
    (D(2026, 4, 1), D(2026, 4, 30), D(2026, 3, 15), "2026-02-28"),     # a month to come
    (D(2026, 1, 1), D(2026, 3, 31), D(2026, 2, 10), "2026-01-31"),     # a quarter that is running
    (D(2026, 1, 1), D(2026, 12, 31), D(2026, 12, 31), "2026-11-30"),
])
def test_the_steering_group_may_not_see_a_period_that_has_not_ended(start, end, today, last_day):
    refusal = suppression.steering_period_refusal(start, end, today=today)
    assert refusal == (
        "Styrgruppen ser bara perioder som har tagit slut. Siffrorna för en period som pågår ändras med varje ny "
        "händelse, och två visningar skulle tillsammans kunna avslöja de dolda små talen. Välj en period som slutar "
        f"senast {last_day}.")


def test_a_period_that_is_not_whole_is_refused_as_such_even_when_it_has_ended():
    refusal = suppression.steering_period_refusal(D(2026, 3, 2), D(2026, 3, 31), today=D(2027, 1, 1))
    assert refusal.startswith("Styrgruppen kan bara ta fram rapporter för hela kalendermånader, kvartal eller år")
    assert not refusal.startswith(ENDED)


def test_months_of_a_period_are_its_calendar_months():
    assert months_of(D(2026, 1, 1), D(2026, 3, 31)) == [
        (D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 3, 1), D(2026, 3, 31))]
    assert months_of(D(2027, 11, 1), D(2028, 2, 29)) == [
        (D(2027, 11, 1), D(2027, 11, 30)), (D(2027, 12, 1), D(2027, 12, 31)),
        (D(2028, 1, 1), D(2028, 1, 31)), (D(2028, 2, 1), D(2028, 2, 29))]


def test_months_of_counts_a_month_the_period_only_touches():
    assert months_of(D(2026, 1, 20), D(2026, 3, 1)) == [
        (D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)), (D(2026, 3, 1), D(2026, 3, 31))]
    assert months_of(D(2026, 5, 31), D(2026, 5, 31)) == [(D(2026, 5, 1), D(2026, 5, 31))]
    assert len(months_of(D(2026, 1, 1), D(2026, 12, 31))) == 12


# --- paths ----------------------------------------------------------------------------------------

TREE = {
    "a": {"x": 1, "y": 2},
    "rows": [{"v": 1}, {"v": 2}],
    "g": {"k": {"m": 1, "w": 2}, "t": {"m": 3, "w": 4}},
    "digits": {"1": 5},
}


def test_expand_matches_keys_list_items_and_wildcards():
    assert expand(TREE, "a.x") == [(("a", "x"), {})]
    assert expand(TREE, "a.*") == [(("a", "x"), {}), (("a", "y"), {})]
    assert expand(TREE, "rows.*.v") == [(("rows", 0, "v"), {}), (("rows", 1, "v"), {})]
    assert expand(TREE, "rows.1.v") == [(("rows", 1, "v"), {})]
    assert expand(TREE, "rows.-1.v") == [(("rows", -1, "v"), {})]
    assert expand(TREE, "digits.1") == [(("digits", "1"), {})]   # a dict's key "1" is not an index
    assert expand(TREE, "") == [((), {})]


def test_expand_skips_what_is_not_there():
    assert expand(TREE, "missing.x") == []
    assert expand(TREE, "a.z") == []
    assert expand(TREE, "a.x.deeper") == []     # a number has no keys
    assert expand(TREE, "rows.5.v") == []
    assert expand(TREE, "rows.v") == []          # a list has no named items
    assert expand(TREE, "a.x.*") == []


def test_expand_binds_named_segments_and_keeps_given_bindings():
    assert expand(TREE, "g.*.{s}") == [
        (("g", "k", "m"), {"s": "m"}), (("g", "k", "w"), {"s": "w"}),
        (("g", "t", "m"), {"s": "m"}), (("g", "t", "w"), {"s": "w"})]
    assert expand(TREE, "g.{p}.m", {"p": "t"}) == [(("g", "t", "m"), {"p": "t"})]
    assert expand(TREE, "rows.{i}.v") == [(("rows", 0, "v"), {"i": 0}), (("rows", 1, "v"), {"i": 1})]
    assert expand(TREE, "g.{p}.{p}") == []      # the same name binds the same key
    assert expand({"g": {"m": {"m": 1, "w": 2}}}, "g.{p}.{p}") == [(("g", "m", "m"), {"p": "m"})]
    assert expand(TREE, "a.{p}", {"p": "nothing"}) == []


FIGURES = {
    "trend": {"months": ["2026-01", "2026-02", "2026-03"], "starts": [3, 1, 6], "exits": [0, 2, 1],
              "placements": [4, 4, 5]},
    "placements": {
        "by_area": [{"code": "A1", "name": "Vård", "occupied": 2}, {"code": "B2", "name": "Kök", "occupied": 7}],
        "by_organisation": [{"name": "Region", "occupied": 1}, {"name": "Kommun=Nord", "occupied": 8}],
    },
    "survey": {"statements": [{"number": 3, "name": "Trivsel", "yes": 2}, {"number": 7, "yes": 9}]},
    "plain": [[1, 2], [3, 4]],
}


def test_a_stable_path_names_list_items_by_what_they_are():
    assert stable_path(FIGURES, ("trend", "starts", 1)) == ["trend", "starts", "month=2026-02"]
    assert stable_path(FIGURES, ("trend", "exits", 2)) == ["trend", "exits", "month=2026-03"]
    assert stable_path(FIGURES, ("trend", "placements", 0)) == ["trend", "placements", "month=2026-01"]
    assert stable_path(FIGURES, ("placements", "by_area", 1, "occupied")) == \
        ["placements", "by_area", "code=B2", "occupied"]
    assert stable_path(FIGURES, ("survey", "statements", 0, "yes")) == ["survey", "statements", "number=3", "yes"]
    assert stable_path(FIGURES, ("placements", "by_organisation", 1, "occupied")) == \
        ["placements", "by_organisation", "name=Kommun=Nord", "occupied"]
    assert stable_path(FIGURES, ("plain", 1, 0)) == ["plain", 1, 0]
    assert stable_path(FIGURES, ("trend", "months", 1)) == ["trend", "months", 1]


# The quarter's figures: the same items, other positions, one more trend month, one area fewer.
QUARTER = {
    "trend": {"months": ["2025-12", "2026-01", "2026-02", "2026-03"], "starts": [5, 3, 1, 6],
              "exits": [1, 0, 2, 1], "placements": [3, 4, 4, 5]},
    "placements": {
        "by_area": [{"code": "B2", "name": "Kök", "occupied": 7}],
        "by_organisation": [{"name": "Kommun=Nord", "occupied": 8}, {"name": "Region", "occupied": 1}],
    },
    "survey": {"statements": [{"number": 7, "yes": 9}, {"number": 3, "name": "Annat namn", "yes": 2}]},
    "plain": [[1, 2], [3, 4]],
}


def test_a_stable_path_finds_the_same_cell_in_another_periods_figures():
    def moved(path):
        return resolve(QUARTER, stable_path(FIGURES, path))

    assert moved(("trend", "starts", 1)) == ("trend", "starts", 2)
    assert moved(("trend", "exits", 0)) == ("trend", "exits", 1)
    assert moved(("placements", "by_area", 1, "occupied")) == ("placements", "by_area", 0, "occupied")
    assert moved(("placements", "by_organisation", 1, "occupied")) == ("placements", "by_organisation", 0, "occupied")
    assert moved(("placements", "by_organisation", 0, "occupied")) == ("placements", "by_organisation", 1, "occupied")
    assert moved(("survey", "statements", 0, "yes")) == ("survey", "statements", 1, "yes")
    assert moved(("plain", 1, 0)) is None     # a position means nothing in another report


def test_every_cell_resolves_to_itself_in_its_own_figures():
    for path in [("trend", "starts", 2), ("placements", "by_area", 0, "occupied"),
                 ("placements", "by_organisation", 1, "occupied"), ("survey", "statements", 1, "yes"),
                 ("survey", "statements", 0, "name")]:
        assert resolve(FIGURES, stable_path(FIGURES, path)) == path


def test_a_cell_that_is_not_in_the_other_figures_resolves_to_nothing():
    assert resolve(QUARTER, ["placements", "by_area", "code=A1", "occupied"]) is None
    assert resolve(QUARTER, ["survey", "statements", "number=4", "yes"]) is None
    assert resolve(QUARTER, ["trend", "starts", "month=2026-04"]) is None
    assert resolve(QUARTER, ["placements", "by_area", 0, "occupied"]) is None
    assert resolve(QUARTER, ["placements", "missing"]) is None
    assert resolve(QUARTER, ["placements", "by_area", "code=B2", "occupied", "deeper"]) is None
    assert resolve({"trend": {"months": ["2026-01", "2026-02"], "starts": [1]}},
                   ["trend", "starts", "month=2026-02"]) is None
    assert resolve({}, ["trend", "starts", "month=2026-02"]) is None
    assert resolve({"trend": {"starts": [1]}}, ["trend", "starts", "month=2026-02"]) is None
    assert resolve({"trend": None, "rows": [1]}, ["rows", "month=2026-02"]) is None
    assert resolve(QUARTER, []) == ()


# --- primary suppression --------------------------------------------------------------------------


def test_counts_from_one_to_four_are_shown_as_under_five_and_zero_and_five_exactly():
    raw = {"referrals": {"total": 15, "by_agency": {"af": 0, "fk": 1, "kommun": 4, "annan": 5, "region": 5}}}
    shown = suppress(raw)
    assert shown["referrals"] == {"total": 15, "by_agency": {"af": 0, "fk": "<5", "kommun": "<5", "annan": 5,
                                                             "region": 5}}
    assert shown["meta"] == {"suppressed": True, "small_count_threshold": 5, "secondary_label": ".."}


def test_the_label_and_the_limit_follow_the_threshold(settings):
    settings.SMALL_COUNT_THRESHOLD = 3
    raw = {"referrals": {"by_agency": {"af": 2, "fk": 3, "kommun": 4}}}
    shown = suppress(raw)
    assert suppressed_label() == "<3"
    assert shown["referrals"]["by_agency"] == {"af": "<3", "fk": 3, "kommun": 4}
    assert shown["meta"]["small_count_threshold"] == 3


def test_only_whole_numbers_are_counts_that_can_be_small():
    assert [is_small(v) for v in (0, 1, 4, 5, -1)] == [False, True, True, False, False]
    assert not is_small(True)
    assert not is_small(2.0)
    assert not is_small("3")
    assert not is_small(None)


def test_a_flag_or_an_empty_cell_under_a_counts_pattern_is_left_alone():
    raw = {"participants": {"by_age_band": {"a": True, "b": None, "c": "–", "d": 2}}}
    assert suppress(raw)["participants"]["by_age_band"] == {"a": True, "b": None, "c": "–", "d": "<5"}


def test_the_figures_given_are_left_untouched():
    raw = {"referrals": {"total": 20, "by_agency": {"a": 2, "b": 18}}}
    suppress(raw)
    assert raw == {"referrals": {"total": 20, "by_agency": {"a": 2, "b": 18}}}


# --- secondary suppression ------------------------------------------------------------------------


def test_the_smallest_non_zero_part_is_hidden_with_a_small_one():
    raw = {"referrals": {"total": 20, "by_agency": {"a": 2, "b": 0, "c": 5, "d": 13}}}
    assert suppress(raw)["referrals"] == {"total": 20, "by_agency": {"a": "<5", "b": 0, "c": SECONDARY, "d": 13}}
    assert hidden_cells(raw) == {("referrals", "by_agency", "a"): "primary",
                                 ("referrals", "by_agency", "c"): "secondary"}


def test_a_sum_that_does_not_hold_in_the_figures_hides_nothing_more():
    raw = {"referrals": {"total": 20, "by_agency": {"a": 2, "b": 13}}}     # 5 not shown in any row
    assert suppress(raw)["referrals"] == {"total": 20, "by_agency": {"a": "<5", "b": 13}}
    raw = {"referrals": {"total": 15, "by_agency": {"a": 2, "b": 13, "c": None}}}
    assert suppress(raw)["referrals"]["by_agency"] == {"a": "<5", "b": 13, "c": None}


def test_a_total_is_hidden_when_its_parts_are_all_hidden():
    raw = {"referrals": {"total": 8, "by_agency": {"a": 4, "b": 4}}}        # 8 − (1..4) ≤ 4 pins both at 4
    assert suppress(raw)["referrals"] == {"total": SECONDARY, "by_agency": {"a": "<5", "b": "<5"}}


def test_a_zero_part_is_hidden_before_a_total_and_a_total_only_when_no_part_is_left():
    raw = {"referrals": {"total": 8, "by_agency": {"a": 4, "b": 4, "c": 0}}}     # 8 − (1..4) pins both at 4
    assert hidden_cells(raw) == {("referrals", "by_agency", "a"): "primary", ("referrals", "by_agency", "b"): "primary",
                                 ("referrals", "by_agency", "c"): "secondary"}
    assert suppress(raw)["referrals"] == {"total": 8, "by_agency": {"a": "<5", "b": "<5", "c": SECONDARY}}
    # Five parts of 1 under a total of 5: a hidden 0 beside them still leaves each at 1, so the total goes too.
    raw = {"referrals": {"total": 5, "by_agency": {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 0}}}
    assert suppress(raw)["referrals"] == {"total": SECONDARY, "by_agency": {
        "a": "<5", "b": "<5", "c": "<5", "d": "<5", "e": "<5", "f": SECONDARY}}


def test_a_total_shown_month_by_month_is_kept_and_a_zero_part_hidden_instead():
    raw = {"exits": {"total": 8, "by_reason": {"r1": 4, "r2": 4, "r3": 0}}}
    assert suppress(raw)["exits"] == {"total": 8, "by_reason": {"r1": "<5", "r2": "<5", "r3": SECONDARY}}


def test_two_breakdowns_of_one_total_are_protected_together():
    raw = {"exits": {"total": 12, "by_kind": {"plan": 9, "avbruten": 3},
                     "by_gender": {"kvinna": 6, "man": 6}}}
    shown = suppress(raw)
    assert shown["exits"] == {"total": 12, "by_kind": {"plan": SECONDARY, "avbruten": "<5"},
                              "by_gender": {"kvinna": 6, "man": 6}}


def test_a_pinned_small_count_with_nothing_left_to_hide_is_shown_as_two_dots():
    """Four reasons of one exit each under a total of 4: every cell is "<5" and yet each is known."""
    raw = {"exits": {"total": 4, "by_reason": {"a": 1, "b": 1, "c": 1, "d": 1}}}
    assert suppress(raw)["exits"] == {"total": "<5", "by_reason": {"a": SECONDARY, "b": "<5", "c": "<5", "d": "<5"}}
    assert hidden_cells(raw)[("exits", "by_reason", "a")] == "carried"


def test_the_reader_knows_the_bounds_pushed_through_every_sum():
    total, a, b = ("t",), ("a",), ("b",)
    relations = [(total, [a, b])]
    values = {total: 10, a: 3, b: 7}
    assert bounds_after_reasoning(relations, values, {a: (1, 4)}) == {a: (3, 3)}
    assert bounds_after_reasoning(relations, values, {a: (1, 4), b: (0, BIG)}) == {a: (1, 4), b: (6, 9)}
    assert bounds_after_reasoning(relations, values, {total: (0, BIG)}) == {total: (10, 10)}
    assert bounds_after_reasoning(relations, {total: 3, a: 1, b: 2}, {total: (1, 4), a: (1, 4)}) == \
        {total: (3, 4), a: (1, 2)}
    assert bounds_after_reasoning(relations, {total: 8, a: 4, b: 4}, {a: (1, 4), b: (1, 4)}) == \
        {a: (4, 4), b: (4, 4)}


def test_bounds_travel_from_one_sum_to_the_next():
    """t = a + b and a = c + d: with t, b and d shown, c follows through a."""
    t, a, b, c, d = ("t",), ("a",), ("b",), ("c",), ("d",)
    relations = [(t, [a, b]), (a, [c, d])]
    values = {t: 20, a: 9, b: 11, c: 2, d: 7}
    assert bounds_after_reasoning(relations, values, {a: (0, BIG), c: (1, 4)}) == {a: (9, 9), c: (2, 2)}
    assert bounds_after_reasoning(relations, values, {a: (0, BIG), b: (0, BIG), c: (1, 4)}) == \
        {a: (8, 11), b: (9, 12), c: (1, 4)}


# --- sums built from the data ---------------------------------------------------------------------


def test_an_organisations_occupancy_cannot_be_worked_out_from_the_rolled_up_rows():
    """The region's 6 = Region 5 + Kommun: Kommun's 1 would follow, so Region's own row is hidden."""
    raw = {"placements": {"occupied": 6, "by_organisation": [
        {"name": "Region", "parent": None, "occupied": 5},
        {"name": "Förvaltning A", "parent": "Region", "occupied": 3},
        {"name": "Förvaltning B", "parent": "Region", "occupied": 2},
        {"name": "Kommun", "parent": None, "occupied": 1},
    ]}}
    shown = suppress(raw)["placements"]
    assert shown["occupied"] == 6
    assert [row["occupied"] for row in shown["by_organisation"]] == [SECONDARY, "<5", "<5", "<5"]


def test_a_sub_organisations_occupancy_cannot_be_worked_out_from_its_parent():
    raw = {"placements": {"by_organisation": [
        {"name": "Region", "parent": None, "occupied": 12},
        {"name": "Förvaltning A", "parent": "Region", "occupied": 9},
        {"name": "Förvaltning B", "parent": "Region", "occupied": 3},
    ]}}
    shown = suppress(raw)["placements"]
    assert [row["occupied"] for row in shown["by_organisation"]] == [12, SECONDARY, "<5"]


def test_the_only_organisation_is_the_regions_total():
    raw = {"placements": {"occupied": 3, "by_organisation": [{"name": "Kommun", "parent": None, "occupied": 3}]}}
    shown = suppress(raw)["placements"]
    assert shown["occupied"] == "<5"
    assert shown["by_organisation"] == [{"name": "Kommun", "parent": None, "occupied": "<5"}]


def test_rows_whose_parents_are_not_shown_make_no_regional_sum():
    raw = {"placements": {"occupied": 3, "by_organisation": [
        {"name": "Förvaltning A", "parent": "Region", "occupied": 3}]}}
    assert suppress(raw)["placements"] == {"occupied": "<5", "by_organisation": [
        {"name": "Förvaltning A", "parent": "Region", "occupied": "<5"}]}


def test_a_trend_month_inside_the_period_cannot_be_worked_out_from_the_periods_starts():
    """The quarter's 16 starts = January + February + March in its trend; December and April are outside."""
    raw = {"meta": {"period_start": "2026-01-01", "period_end": "2026-03-31"},
           "participants": {"starts": 16},
           "exits": {"total": 0},
           "trend": {"months": ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"],
                     "starts": [2, 3, 6, 7, 1], "exits": [0, 0, 0, 0, 0]}}
    shown = suppress(raw)
    assert shown["participants"]["starts"] == 16
    assert shown["trend"]["starts"] == ["<5", "<5", SECONDARY, 7, "<5"]
    assert shown["trend"]["exits"] == [0, 0, 0, 0, 0]


def test_the_trend_of_a_single_month_hides_its_exits_with_the_months_small_exit():
    raw = {"meta": {"period_start": "2026-03-01", "period_end": "2026-03-31"},
           "exits": {"total": 2}, "participants": {"starts": 6},
           "trend": {"months": ["2026-02", "2026-03"], "starts": [1, 6], "exits": [2, 2]}}
    shown = suppress(raw)
    assert shown["exits"]["total"] == "<5"
    assert shown["trend"] == {"months": ["2026-02", "2026-03"], "starts": ["<5", 6], "exits": ["<5", "<5"]}
    assert shown["participants"]["starts"] == 6


def test_work_or_studies_outcomes_cannot_give_back_a_hidden_exit_reason():
    """Those who went on to work or studies are the exits with such a reason: 7 = work + studies."""
    raw = {"meta": {"work_or_studies_reasons": ["arbete", "studier", "ingen"]},
           "exits": {"total": 12, "by_reason": {"arbete": 6, "studier": 1, "annat": 5}},
           "outcomes": {"work_or_studies": {"count": 7, "count_all_exited": 7}}}
    shown = suppress(raw)
    assert shown["exits"] == {"total": 12, "by_reason": {"arbete": SECONDARY, "studier": "<5", "annat": SECONDARY}}
    assert shown["outcomes"]["work_or_studies"] == {"count": 7, "count_all_exited": 7}


def test_without_work_or_studies_reasons_the_outcome_makes_no_sum():
    raw = {"meta": {"work_or_studies_reasons": ["ingen"]},
           "exits": {"by_reason": {"arbete": 6, "studier": 1}},
           "outcomes": {"work_or_studies": {"count": 7}}}
    assert suppress(raw)["exits"]["by_reason"] == {"arbete": 6, "studier": "<5"}


# --- derived values -------------------------------------------------------------------------------


def test_a_share_and_its_target_from_a_hidden_count_are_hidden():
    raw = {"survey": {"statements": [{"number": 1, "yes": 3, "answers": 10, "share": 0.3, "met": False},
                                     {"number": 2, "yes": 8, "answers": 10, "share": 0.8, "met": True}]},
           "targets": {"survey": [{"outcome": 0.3, "met": False}, {"outcome": 0.8, "met": True}]}}
    shown = suppress(raw)
    assert shown["survey"]["statements"] == [
        {"number": 1, "yes": "<5", "answers": 10, "share": None, "met": None},
        {"number": 2, "yes": 8, "answers": 10, "share": 0.8, "met": True}]
    assert shown["targets"]["survey"] == [{"outcome": None, "met": None}, {"outcome": 0.8, "met": True}]


def test_a_mean_of_a_hidden_group_is_hidden_and_so_is_the_difference():
    raw = {"equality": {"days_to_start": {"by_gender": {"kvinna": {"count": 6, "mean_days": 10.0},
                                                        "man": {"count": 2, "mean_days": 30.0}},
                                          "max_difference": 20.0, "flagged": True}}}
    shown = suppress(raw)["equality"]["days_to_start"]
    assert shown == {"by_gender": {"kvinna": {"count": 6, "mean_days": 10.0},
                                   "man": {"count": "<5", "mean_days": None}},
                     "max_difference": None, "flagged": None}


def test_free_places_are_hidden_where_the_persons_on_them_are():
    raw = {"placements": {
        "by_organisation": [{"name": "X", "capacity": 3, "occupied": 2, "free": 1},
                            {"name": "Y", "capacity": 6, "occupied": 6, "free": 0},
                            {"name": "Z", "capacity": 5, "occupied": 1}],
        "by_area": [{"code": "A1", "capacity": 5, "occupied": 2}, {"code": "B2", "capacity": 9, "occupied": 7}]},
        "need_supply": {"by_area": [{"code": "B2", "free": 2, "gap": 1}, {"code": "A1", "free": 3, "gap": 0},
                                    {"code": "A1", "free": 3}, {"code": "C3", "free": 4, "gap": 2}]}}
    shown = suppress(raw)
    assert shown["placements"]["by_organisation"] == [
        {"name": "X", "capacity": 3, "occupied": "<5", "free": None},
        {"name": "Y", "capacity": 6, "occupied": 6, "free": 0},
        {"name": "Z", "capacity": 5, "occupied": "<5"}]
    # Listed by the gaps shown, biggest first, the hidden ones last.
    assert shown["need_supply"]["by_area"] == [
        {"code": "C3", "free": 4, "gap": 2}, {"code": "B2", "free": 2, "gap": 1},
        {"code": "A1", "free": None, "gap": None}, {"code": "A1", "free": None}]


# --- periods made of months -----------------------------------------------------------------------


def _month(*, reason: int, state: int) -> dict:
    return {"meta": {}, "exits": {"by_reason": {"a": reason}}, "waiting_list": {"by_state": {"s": state}}}


def test_a_quarter_hides_every_months_hidden_counts_and_the_last_months_stock():
    january, february, march = (_month(reason=2, state=3), _month(reason=9, state=1),
                                _month(reason=1, state=8))
    assert sorted(map(repr, hidden_in_months([january, february, march]))) == [repr(["exits", "by_reason", "a"])]
    march = _month(reason=7, state=4)
    assert sorted(map(repr, hidden_in_months([january, february, march]))) == \
        [repr(["exits", "by_reason", "a"]), repr(["waiting_list", "by_state", "s"])]
    assert hidden_in_months([february]) == [["waiting_list", "by_state", "s"]]
    assert hidden_in_months([_month(reason=7, state=8)]) == []


def test_a_cell_hidden_in_a_month_is_shown_as_two_dots_in_its_quarter():
    raw = {"exits": {"by_reason": {"a": 11, "b": 3}},
           "survey": {"statements": [{"number": 1, "yes": 9, "answers": 12, "share": 0.75}]},
           "_hidden_in_months": [["exits", "by_reason", "a"], ["exits", "by_reason", "b"],
                                 ["survey", "statements", "number=1", "share"],
                                 ["placements", "by_area", "code=A1", "occupied"]]}
    shown = suppress_small_counts(raw)
    assert shown["exits"]["by_reason"] == {"a": SECONDARY, "b": SECONDARY}
    assert hidden_cells(raw, also_hide=[("exits", "by_reason", "a")]) == {("exits", "by_reason", "a"): "carried",
                                                                           ("exits", "by_reason", "b"): "primary"}
    assert shown["survey"]["statements"] == [{"number": 1, "yes": 9, "answers": 12, "share": 0.75}]
    assert "_hidden_in_months" not in shown
    assert "placements" not in shown
    assert suppress_small_counts({"exits": {"by_reason": {"a": 11}}})["exits"]["by_reason"] == {"a": 11}


def test_a_section_registers_its_own_rules(monkeypatch):
    monkeypatch.setattr(suppression, "RULES", [])
    suppression.register(Counts("groups.total"), Counts("groups.by_kind.*"), Sum("groups.total", ["groups.by_kind.*"]),
                         Derived("groups.share", ["groups.by_kind.*"]))
    raw = {"groups": {"total": 10, "by_kind": {"a": 3, "b": 7}, "share": 0.3}}
    assert suppress(raw)["groups"] == {"total": 10, "by_kind": {"a": "<5", "b": SECONDARY}, "share": None}


def test_of_two_equal_parts_the_same_one_is_hidden_whatever_the_order_of_the_rows():
    one = {"referrals": {"total": 12, "by_agency": {"b": 5, "a": 5, "c": 2}}}
    other = {"referrals": {"total": 12, "by_agency": {"a": 5, "c": 2, "b": 5}}}
    assert suppress(one)["referrals"]["by_agency"] == {"b": 5, "a": SECONDARY, "c": "<5"}
    assert suppress(other)["referrals"]["by_agency"] == {"a": SECONDARY, "c": "<5", "b": 5}


def test_figures_for_a_period_without_a_trend_have_no_trend_sums():
    raw = {"meta": {"period_start": "2026-01-01", "period_end": "2026-03-31"},
           "participants": {"starts": 9, "by_agency": {"af": 3, "fk": 6}}}
    assert suppress(raw)["participants"] == {"starts": 9, "by_agency": {"af": "<5", "fk": SECONDARY}}
    raw = {"trend": {"months": ["2026-01"], "starts": [9]}, "participants": {"starts": 9}}
    assert suppress(raw)["trend"]["starts"] == [9]


def test_a_trend_months_exits_cannot_be_worked_out_from_the_periods_exits():
    raw = {"meta": {"period_start": "2026-02-01", "period_end": "2026-03-31"},
           "participants": {"starts": 0}, "exits": {"total": 10},
           "trend": {"months": ["2026-01", "2026-02", "2026-03"], "starts": [0, 0, 0], "exits": [6, 3, 7]}}
    shown = suppress(raw)
    assert shown["exits"]["total"] == 10
    assert shown["trend"]["exits"] == [6, "<5", SECONDARY]
    raw["trend"] = {"starts": [0], "exits": [3]}      # stored without its months: no month is inside
    assert suppress(raw)["trend"]["exits"] == ["<5"]


def test_each_gender_of_the_placement_kind_table_is_its_own_sum():
    raw = {"equality": {"placement_kind": {
        "total_by_gender": {"kvinna": 7, "man": 9},
        "by_area": [{"code": "A", "by_gender": {"kvinna": 3, "man": 4}},
                    {"code": "B", "by_gender": {"kvinna": 4, "man": 5}}]}}}
    shown = suppress(raw)["equality"]["placement_kind"]
    assert shown["total_by_gender"] == {"kvinna": 7, "man": 9}
    assert [area["by_gender"] for area in shown["by_area"]] == [{"kvinna": "<5", "man": "<5"},
                                                                 {"kvinna": "<5", "man": SECONDARY}]
