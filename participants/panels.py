"""Start-page panels (core.home registry): counts and links only, no names, so nothing to audit."""

from django.utils import timezone

from core.home import register_panel
from core.roles import is_case_worker, is_leader
from participants import selectors


@register_panel(order=40)
def case_worker_waiting(request):
    if not is_case_worker(request.user):
        return None
    return "participants/panels/case_worker.html", {
        "states": _states(selectors.my_waiting_counts(user=request.user)),
        "pending": selectors.pending_requests(user=request.user).count(),
    }


@register_panel(order=40)
def leader_followups(request):
    if not is_leader(request.user):
        return None
    return "participants/panels/leader.html", {
        "followups_due": selectors.followups90_due(user=request.user, on=timezone.localdate()).count(),
        "states": _states(selectors.waiting_counts_stored(user=request.user)),  # the whole list: stored
    }


def _states(counts: dict[str, int]) -> dict:
    """The waiting list's four states with their labels, and the total."""
    rows = [(label, counts[value]) for value, label in selectors.WaitingState.choices]
    return {"rows": rows, "total": sum(counts.values()), "waiting": counts[selectors.WaitingState.WAITING]}
