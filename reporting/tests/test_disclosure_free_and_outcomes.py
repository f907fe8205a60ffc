"""Two ways a careful reader undid "<5" in the steering group's November report (demo data), each tried
by the independent attacker of test_disclosure: free places beside capacity, and the work-or-studies
count beside the exit reasons it is made of."""

from reporting.suppression import suppress
from reporting.tests.test_disclosure import attack

REASONS = {"arbete": "Arbete", "arbete-med-stod": "Arbete med stöd", "studier": "Studier",
           "annan-insats": "Annan insats", "sjukdom": "Sjukdom", "vard-eller-behandling": "Vård eller behandling",
           "ovrigt": "Övrigt"}


def _meta():
    return {"exit_reasons": REASONS, "work_or_studies_reasons": ["arbete", "arbete-med-stod", "studier"]}


def test_free_places_are_hidden_where_the_occupancy_is():
    figures = {
        "meta": _meta(),
        "placements": {
            "occupied": 10, "overbooked": 0, "free": 4,
            "by_organisation": [
                {"name": "Kultur- och fritidsförvaltningen", "parent": None, "capacity": 4, "occupied": 2, "free": 2},
                {"name": "Hälso- och sjukvårdsförvaltningen", "parent": None, "capacity": 10, "occupied": 8,
                 "free": 2},
            ],
            "by_area": [{"code": "bygg", "capacity": 2, "occupied": 2},
                        {"code": "vard", "capacity": 12, "occupied": 8}],
        },
        "need_supply": {"by_area": [{"code": "bygg", "waiting_interested": 18, "free": 0, "gap": 18},
                                    {"code": "vard", "waiting_interested": 9, "free": 4, "gap": 5}]},
    }
    shown = suppress(figures)

    culture, health = shown["placements"]["by_organisation"]
    assert (culture["capacity"], culture["occupied"], culture["free"]) == (4, "<5", None)
    assert (health["capacity"], health["occupied"], health["free"]) == (10, "..", None)
    building = shown["need_supply"]["by_area"][0]
    assert (building["waiting_interested"], building["free"], building["gap"]) == (18, None, None)
    assert attack({"november": (figures, shown)}, link_trends=False) == []


def test_the_work_or_studies_count_does_not_pin_the_hidden_reasons():
    by_reason = {"annan-insats": 6, "ovrigt": 5, "sjukdom": 3, "vard-eller-behandling": 2, "arbete": 4,
                 "arbete-med-stod": 11, "studier": 4}
    figures = {
        "meta": _meta(),
        "exits": {"total": 35, "by_kind": {"enligt plan": 27, "avbruten": 8}, "by_reason": by_reason},
        "outcomes": {"work_or_studies": {"count": 19, "placed": 34, "exited": 35, "count_all_exited": 19}},
    }
    shown = suppress(figures)

    # arbete + studier = 19 − 11 with each at most 4 would give both away: a third cell of that sum is hidden.
    assert shown["exits"]["by_reason"]["arbete"] == "<5" and shown["exits"]["by_reason"]["studier"] == "<5"
    assert ".." in (shown["exits"]["by_reason"]["arbete-med-stod"],
                    shown["outcomes"]["work_or_studies"]["count_all_exited"])
    assert attack({"november": (figures, shown)}, link_trends=False) == []
