"""Small-count suppression for steering-group outputs.

Counts of persons from 1 to SMALL_COUNT_THRESHOLD − 1 are replaced by the string "<5" (the
threshold is settings.SMALL_COUNT_THRESHOLD, default 5), so that no individual in a small region can
be recognised. A share or mean whose denominator is such a small count is replaced by None, because
"2 of 3 = 67 %" would reveal the counts. Zero stays zero. Counts of places (placements, capacity,
free slots) are not counts of persons and stay exact.
"""

import copy

from django.conf import settings

SUPPRESSED = "<5"  # the label for the default threshold; see suppressed_label()

# Paths to counts of persons. "*" = every value of a dict, "[]" = every item of a list.
PERSON_COUNTS = [
    "participants.starts", "participants.unique", "participants.anonymous", "participants.re_enrolments",
    "participants.by_gender.*", "participants.starts_by_gender.*", "participants.by_age_band.*",
    "participants.by_agency.*",
    "referrals.total", "referrals.by_agency.*", "referrals.by_gender.*",
    "waiting_list.total", "waiting_list.without_start", "waiting_list.without_placement",
    "waiting_list.by_gender.*",
    "exits.total", "exits.by_kind.*", "exits.by_reason.*", "exits.by_gender.*",
    "outcomes.work_or_studies.count", "outcomes.work_or_studies.exited",
    "followup_90.total", "followup_90.done", "followup_90.work_or_studies.count",
    "survey.invited", "survey.answered", "survey.statements.[].answers", "survey.statements.[].yes",
    "placements.occupied_by_gender.*",
    "equality.days_to_start.by_gender.*.count",
    "equality.placement_kind.total_by_gender.*", "equality.placement_kind.by_area.[].by_gender.*",
    "trend.starts.[]", "trend.exits.[]",
    "targets.participants.outcome",
]

# (path of a derived value, path of its person-count denominator, relative to the same parent).
DERIVED = [
    ("outcomes.work_or_studies", "share", "exited"),
    ("followup_90", "work_or_studies.share", "done"),
    ("survey.statements.[]", "share", "answers"),
    ("survey.statements.[]", "met", "answers"),
    ("waiting_list", "days_mean", "total"),
    ("waiting_list", "days_median", "total"),
    ("equality.days_to_start.by_gender.*", "mean_days", "count"),
]


def threshold() -> int:
    return int(settings.SMALL_COUNT_THRESHOLD)


def suppressed_label() -> str:
    return f"<{threshold()}"


def is_small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold()


def _parents(node, parts):
    """Yield (container, key) for every match of the path `parts` below `node`."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*" and isinstance(node, dict):
        keys = list(node.keys())
    elif head == "[]" and isinstance(node, list):
        keys = list(range(len(node)))
    elif isinstance(node, dict) and head in node:
        keys = [head]
    else:
        return
    for key in keys:
        if rest:
            yield from _parents(node[key], rest)
        else:
            yield node, key


def _nodes(node, path: str):
    if not path:
        yield node
        return
    for container, key in _parents(node, path.split(".")):
        yield container[key]


def _get(node, dotted: str):
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(node, dotted: str, value):
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict) and parts[-1] in node:
        node[parts[-1]] = value


def suppress_small_counts(figures: dict) -> dict:
    """A deep copy of `figures` with small person counts replaced (the original is left untouched)."""
    shown = copy.deepcopy(figures)
    label = suppressed_label()
    # Derived values first, while their denominators are still numbers.
    for parent_path, value_key, denominator_key in DERIVED:
        for parent in _nodes(shown, parent_path):
            if isinstance(parent, dict) and is_small(_get(parent, denominator_key)):
                _set(parent, value_key, None)
    for path in PERSON_COUNTS:
        for container, key in list(_parents(shown, path.split("."))):
            if is_small(container[key]):
                container[key] = label
    shown.setdefault("meta", {})["suppressed"] = True
    shown["meta"]["small_count_threshold"] = threshold()
    return shown
