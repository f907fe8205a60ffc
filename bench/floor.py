"""The "floor" of bench/pages.py: each list page's rows fetched with one or two hand-written queries and
shown with a bare template, served by the same gunicorn, settings and middleware as the product.

Only the benchmark mounts these views (bench/floor_wsgi.py puts this module in front of config.urls);
the product never imports it. They answer what the same rows cost at least, so that the product's time can
be read as a ratio to it (target: product ≤ 1.5 × floor). The queries read the same tables and the same stored
values as the product's selectors (a placement's stored idle values, the stored waiting periods and their count
changes, a participant's stored latest referral date, the stored numbers of participants and placements), in their
simplest correct form for the columns shown: a floor computing from the raw rows what the product reads stored
would be no floor. Where the product falls back to the assignments (a placement whose stored idle values do not describe
today), so do these. A placement's past pauses (read from its change history by the reports) are not needed for
these columns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Engine
from django.urls import path
from django.utils import timezone

from config.urls import urlpatterns as product_urlpatterns
from core.audit import no_participant_data, shows_participants

ENGINE = Engine()
TABLE = ENGINE.from_string(
    "<!doctype html><html lang=sv><title>golv</title><p>{{ count }}</p><table>"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell|default_if_none:'' }}</td>{% endfor %}</tr>"
    "{% endfor %}</table>")

OCCUPYING = "('confirmed', 'ongoing')"
HAS_HOSTED = "('confirmed', 'ongoing', 'completed')"
STARTED = "('ongoing', 'completed')"

# The stored idle values (Placement.idle_last_end L, idle_next_end N, idle_occupied_from M; placements.selectors)
# describe today when L < today <= N: then "idle since" is max(available_from, L) and someone is on the placement
# today exactly when M <= today. The other placements are asked from their assignments, as the product does.
STORED_ANSWERS = ("((p.idle_last_end IS NULL OR p.idle_last_end < %(today)s)"
                  " AND (p.idle_next_end IS NULL OR p.idle_next_end >= %(today)s))")
STORED_STALE = "(p.idle_last_end >= %(today)s OR p.idle_next_end < %(today)s)"
STORED_IDLE_SINCE = "greatest(p.available_from, coalesce(p.idle_last_end, p.available_from))"
IDLE_FILTER = f"""
    p.status = 'open' AND p.available_from < %(idle_before)s AND (p.available_to IS NULL OR p.available_to >= %(today)s)
    AND (({STORED_ANSWERS} AND {STORED_IDLE_SINCE} < %(idle_before)s
          AND (p.idle_occupied_from IS NULL OR p.idle_occupied_from > %(today)s))
         OR ({STORED_STALE}
             AND (SELECT 1 FROM placements_assignment x
                   WHERE x.placement_id = p.id AND x.status IN {HAS_HOSTED}
                     AND coalesce(x.end_date, x.planned_end_date) >= %(idle_before)s
                     AND coalesce(x.end_date, x.planned_end_date) < %(today)s LIMIT 1) IS NULL
             AND (SELECT 1 FROM placements_assignment x
                   WHERE x.placement_id = p.id AND x.status IN {OCCUPYING}
                     AND x.start_date <= %(today)s AND coalesce(x.end_date, x.planned_end_date) >= %(today)s
                   LIMIT 1) IS NULL))
"""
# (scalar subqueries with LIMIT 1, as the product's: a NOT EXISTS inside an OR becomes a hashed subplan built from
# every assignment, whether any row needs it)
# ("idle since before the cut-off" as the stored idle_since, the product's shape: placement_open_idle_idx's ranges)

# One row per placement: the columns of the product's list (title, organisation, unit, area, free/capacity,
# availability, supervisor and training, adaptations) and its figures on `today`.
PLACEMENT_COLUMNS = f"""
    p.id, p.title, o.name, u.name, u.municipality, a.name, p.capacity,
    greatest(p.capacity - coalesce(occ.n, 0), 0) AS free, p.available_from, p.available_to,
    s.name, s.training_completed_on,
    CASE WHEN {STORED_ANSWERS} THEN {STORED_IDLE_SINCE}
         ELSE greatest(p.available_from, coalesce(
             (SELECT max(coalesce(x.end_date, x.planned_end_date)) FROM placements_assignment x
               WHERE x.placement_id = p.id AND x.status IN {HAS_HOSTED}
                 AND coalesce(x.end_date, x.planned_end_date) < %(today)s), p.available_from)) END AS idle_since,
    (SELECT string_agg(ad.name, ', ') FROM placements_placement_adaptations pa
       JOIN organisations_adaptation ad ON ad.id = pa.adaptation_id WHERE pa.placement_id = p.id) AS adaptations
"""
PLACEMENT_JOINS = f"""
    JOIN organisations_unit u ON u.id = p.unit_id
    JOIN organisations_organisation o ON o.id = u.organisation_id
    JOIN organisations_occupationalarea a ON a.id = p.occupational_area_id
    LEFT JOIN organisations_supervisor s ON s.id = p.supervisor_id
    LEFT JOIN LATERAL (SELECT count(*) AS n FROM placements_assignment x
        WHERE x.placement_id = p.id AND x.status IN {OCCUPYING} AND x.start_date <= %(today)s
          AND coalesce(x.end_date, x.planned_end_date) >= %(today)s) occ ON true
"""


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _page(request, per_page: int) -> int:
    try:
        return max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        return 1


def _render(count: int, rows: list[tuple]) -> HttpResponse:
    return HttpResponse(TABLE.render(Context({"count": count, "rows": rows})))


@login_required
@no_participant_data("Platser, inga deltagare.")
def placements(request):
    """The placement list, 25 (or per_page) a page, ordered by title; `idle_days` and `ordering=idle_since`
    as in the product (open, available, nobody on it, free for more than N days / longest free first)."""
    today = timezone.localdate()
    per_page = int(request.GET.get("per_page", 25))
    params = {"today": today, "limit": per_page, "offset": (_page(request, per_page) - 1) * per_page}
    where, order = "true", "p.title, p.id"
    if request.GET.get("status"):
        where += " AND p.status = %(status)s"
        params["status"] = request.GET["status"]
    if request.GET.get("occupational_area"):
        where += " AND p.occupational_area_id = %(area)s"
        params["area"] = int(request.GET["occupational_area"])
    if request.GET.get("idle_days"):
        params["idle_before"] = today - dt.timedelta(days=int(request.GET["idle_days"]))
        where += f" AND {IDLE_FILTER}"
    if request.GET.get("ordering") == "idle_since":
        # The stored key's index while every placement's stored values describe today (the product checks the
        # same); otherwise each stale placement's key from its assignments.
        if _rows(f"SELECT EXISTS (SELECT 1 FROM placements_placement p WHERE {STORED_STALE})", params)[0][0]:
            order = ("CASE WHEN " + STORED_ANSWERS + " THEN " + STORED_IDLE_SINCE + " ELSE greatest(p.available_from,"
                     " coalesce((SELECT max(coalesce(x.end_date, x.planned_end_date)) FROM placements_assignment x"
                     f" WHERE x.placement_id = p.id AND x.status IN {HAS_HOSTED}"
                     " AND coalesce(x.end_date, x.planned_end_date) < %(today)s), p.available_from)) END, p.id")
        else:
            order = f"{STORED_IDLE_SINCE}, p.id"
    keys_from = f"FROM placements_placement p WHERE {where}"
    if where == "true":  # every placement: the stored number, as the product's list
        count = _rows("SELECT coalesce(sum(delta), 0) FROM placements_placementcountchange", {})[0][0]
    else:
        count = _rows(f"SELECT count(*) {keys_from}", params)[0][0]
    rows = _rows(f"""
        WITH page AS (SELECT p.id, row_number() OVER (ORDER BY {order}) AS n {keys_from}
                      ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s)
        SELECT {PLACEMENT_COLUMNS} FROM page JOIN placements_placement p ON p.id = page.id {PLACEMENT_JOINS}
        ORDER BY page.n""", params)
    return _render(count, rows)


@login_required
@shows_participants("Väntelistan (golvsida i prestandamätningen)")
def waiting(request):
    """One agency's waiting list, oldest referral first, 50 a page, from the stored waiting periods (the product's
    participants.models.WaitingPeriod, kept equal to its definition): the count from the stored count changes, the
    page's keys from the periods holding today in their index's order (referral date, start), then its rows with
    each start's state from its period."""
    today = timezone.localdate()
    params = {"today": today, "agency": int(request.GET["agency"]), "limit": 50,
              "offset": (_page(request, 50) - 1) * 50}
    count = _rows("SELECT coalesce(sum(delta), 0) FROM participants_waitingcountchange"
                  " WHERE agency_id = %(agency)s AND day <= %(today)s", params)[0][0]
    rows = _rows("""
        WITH page AS (SELECT wp.referral_id AS id, wp.referral_date, wp.state FROM participants_waitingperiod wp
                      WHERE wp.agency_id = %(agency)s AND wp.until > %(today)s AND wp.first_day <= %(today)s
                      ORDER BY wp.referral_date, wp.referral_id LIMIT %(limit)s OFFSET %(offset)s)
        SELECT pt.id, coalesce(pt.code, pt.first_name || ' ' || pt.last_name), ag.name, pt.gender,
               page.referral_date,
               %(today)s - page.referral_date,
               (SELECT string_agg(oa.name, ', ') FROM participants_referral_interests ri
                  JOIN organisations_occupationalarea oa ON oa.id = ri.occupationalarea_id
                 WHERE ri.referral_id = page.id),
               page.state
        FROM page JOIN participants_referral r ON r.id = page.id
        JOIN participants_participant pt ON pt.id = r.participant_id
        JOIN organisations_agency ag ON ag.id = %(agency)s
        ORDER BY page.referral_date, page.id""", params)
    request.participants_shown([row[0] for row in rows])  # audited like the product's list
    return _render(count, rows)


@login_required
@shows_participants("Deltagarlistan (golvsida i prestandamätningen)")
def participants(request):
    """Every participant, latest referral first (the stored Participant.latest_referral_date and its index, as
    the product sorts), 50 a page, counted from the stored number of participants as the product's list: the
    page's keys first, then its rows."""
    today = timezone.localdate()
    params = {"today": today, "limit": 50, "offset": (_page(request, 50) - 1) * 50}
    count = _rows("SELECT coalesce(sum(delta), 0) FROM participants_participantcountchange", {})[0][0]
    rows = _rows(f"""
        WITH page AS (SELECT pt.id, pt.latest_referral_date, row_number() OVER (
                          ORDER BY pt.latest_referral_date DESC NULLS FIRST, pt.id) AS n
                      FROM participants_participant pt
                      ORDER BY pt.latest_referral_date DESC NULLS FIRST, pt.id LIMIT %(limit)s OFFSET %(offset)s)
        SELECT pt.id, coalesce(pt.code, pt.first_name || ' ' || pt.last_name), pt.identity, pt.gender,
               page.latest_referral_date,
               (SELECT ag.name FROM participants_referral r JOIN organisations_agency ag ON ag.id = r.agency_id
                 WHERE r.participant_id = page.id ORDER BY r.referral_date DESC, r.id DESC LIMIT 1),
               (SELECT pl.title FROM placements_assignment x JOIN participants_referral r ON r.id = x.referral_id
                  JOIN placements_placement pl ON pl.id = x.placement_id
                 WHERE r.participant_id = page.id AND x.status IN {STARTED}
                   AND x.start_date <= %(today)s AND (x.end_date IS NULL OR x.end_date >= %(today)s) LIMIT 1)
        FROM page JOIN participants_participant pt ON pt.id = page.id
        ORDER BY page.n""", params)
    request.participants_shown([row[0] for row in rows])
    return _render(count, rows)


# A share in hundredths of a per cent, places * 100 / employees rounded half to even as the product's Decimal
# quantize rounds it (exact: integer arithmetic), NULL without employees.
SHARE_HUNDREDTHS = """CASE WHEN l.employees > 0 THEN div(l.places * 10000, l.employees)
    + CASE WHEN 2 * mod(l.places * 10000, l.employees) > l.employees
             OR (2 * mod(l.places * 10000, l.employees) = l.employees
                 AND mod(div(l.places * 10000, l.employees), 2) = 1)
           THEN 1 ELSE 0 END END"""


@login_required
@no_participant_data("Organisationer och antal, inga deltagare.")
def organisations(request):
    """The overview's page (25 a page) of the top-level organisations, each with its sub-organisations: places
    (the capacity of the placements existing today), participants on them today, employees (those known) and the
    share of employees, ranked as the product ranks them (share highest first, none last, ties by name), with the
    number of sub-organisations, the level's number of rows and the region's total. One query: the tree walked
    down from each top-level organisation, the placements and assignments summed per top-level organisation."""
    today = timezone.localdate()
    params = {"today": today, "limit": 25, "offset": (_page(request, 25) - 1) * 25}
    rows = _rows(f"""
        WITH RECURSIVE tree (root, id) AS (
            SELECT id, id FROM organisations_organisation WHERE parent_id IS NULL
            UNION ALL
            SELECT tree.root, o.id FROM tree JOIN organisations_organisation o ON o.parent_id = tree.id),
        existing AS (
            SELECT p.id, p.capacity, t.root FROM placements_placement p
            JOIN organisations_unit u ON u.id = p.unit_id JOIN tree t ON t.id = u.organisation_id
            WHERE p.available_from <= %(today)s AND (p.available_to IS NULL OR p.available_to >= %(today)s)
              AND NOT (p.status = 'closed' AND (p.closed_on IS NULL OR p.closed_on <= %(today)s))),
        places AS (SELECT root, sum(capacity) AS n FROM existing GROUP BY root),
        occupied AS (
            SELECT e.root, count(*) AS n FROM placements_assignment x JOIN existing e ON e.id = x.placement_id
            WHERE x.status IN {STARTED} AND x.start_date <= %(today)s
              AND coalesce(x.end_date, DATE '9999-12-31') >= %(today)s  -- assignment_on_placement_idx's range
            GROUP BY e.root),
        employees AS (
            SELECT t.root, sum(o.employee_count) AS n FROM tree t
            JOIN organisations_organisation o ON o.id = t.id GROUP BY t.root),
        l AS (
            SELECT o.id, o.name, o.placement_target_percent AS target, coalesce(pl.n, 0) AS places,
                   coalesce(oc.n, 0) AS occupied, em.n AS employees,
                   (SELECT count(*) FROM organisations_organisation c WHERE c.parent_id = o.id) AS children
            FROM organisations_organisation o
            LEFT JOIN places pl ON pl.root = o.id LEFT JOIN occupied oc ON oc.root = o.id
            LEFT JOIN employees em ON em.root = o.id
            WHERE o.parent_id IS NULL),
        ranked AS (SELECT l.*, {SHARE_HUNDREDTHS} AS share FROM l)
        SELECT id, name, children, places, occupied, employees, share / 100.0, target,
               count(*) OVER (), sum(places) OVER (), sum(occupied) OVER (), sum(employees) OVER ()
        FROM ranked ORDER BY share IS NULL, share DESC, name COLLATE "C" LIMIT %(limit)s OFFSET %(offset)s""",
                 params)
    if not rows:
        return _render(0, [])
    level, places, occupied, employees = rows[0][-4:]
    total = ("Hela regionen", places, occupied, employees,
             (Decimal(places) * 100 / Decimal(employees)).quantize(Decimal("0.01")) if employees else None)
    return _render(level, [row[:-4] for row in rows] + [total])


urlpatterns = [
    path("floor/placements/", placements),
    path("floor/waiting/", waiting),
    path("floor/participants/", participants),
    path("floor/organisations/", organisations),
    *product_urlpatterns,
]
