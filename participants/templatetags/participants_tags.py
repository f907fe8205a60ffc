from html import escape as _escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from participants.models import Participant
from participants.selectors import WaitingState

register = template.Library()

# One row of the participant list. Built with str.format, every value escaped by html.escape (what
# django.utils.html.escape returns, without its check for lazy strings): the template language spent most of the
# page's drawing on its 50 rows.
_PARTICIPANT_ROW = (
    '\n    <tr>\n      <th scope="row"><a href="{url}">{name}</a></th>\n'
    '      <td data-label="{label_stage}">{stage}</td>\n'
    '      <td data-label="{label_agency}">{agency}</td>\n'
    '      <td data-label="{label_placement}">{placement}</td>\n'
    '      <td data-label="{label_days}" class="text-end">{days}</td>\n'
    '      <td data-label="{label_identity}">{identity}</td>\n'
    '      <td data-label="{label_gender}">{gender}</td>\n'
    '      <td data-label="{label_latest}" class="text-nowrap">{latest}</td>\n'
    "    </tr>\n  "
)
NONE = "–"


def _empty_row(text: str) -> str:
    """The one row a list shows when it has none (both tables have eight columns)."""
    return mark_safe(f'\n    <tr><td colspan="8">{_escape(text)}</td></tr>\n  ')  # noqa: S308 (escaped)


def _escaped(labels: dict[str, str]) -> dict[str, str]:
    return {name: _escape(text) for name, text in labels.items()}


# A number no page's key is: the URL reversed once with it is split around it, so that each row's link is the two
# parts around its own key (reverse() per row cost more than the rest of the row).
_KEY_MARK = 918273645546372819


def _url_parts(name: str) -> tuple[str, str]:
    """The escaped parts of URL `name` before and after its one integer argument."""
    head, _mark, tail = reverse(name, args=[_KEY_MARK]).partition(str(_KEY_MARK))
    return _escape(head), _escape(tail)


@register.simple_tag
def participant_rows(rows):
    """The participant list's table rows (participants/list.html) from the view's (row, stage label, days waiting)
    rows (participants.selectors.ParticipantListRow): name or code, stage, agency, current placement, days
    waiting, registration, gender and latest start, "–" where there is none; one row saying so when there are no
    rows."""
    if not rows:
        return _empty_row(_("Inga deltagare matchar filtret."))
    labels = _escaped({
        "label_stage": _("Skede"),
        "label_agency": _("Myndighet"),
        "label_placement": _("Aktuell plats"),
        "label_days": _("Dagar i väntan"),
        "label_identity": _("Registrering"),
        "label_gender": _("Kön"),
        "label_latest": _("Senaste anvisning"),
    })
    identity_labels = dict(Participant._meta.get_field("identity").flatchoices)
    gender_labels = dict(Participant._meta.get_field("gender").flatchoices)
    identities, genders = {}, {}  # one label per value, not one translation per row
    detail_head, detail_tail = _url_parts("participants:detail")
    drawn = []
    for row, stage, days in rows:
        if row.identity not in identities:
            identities[row.identity] = _escape(str(identity_labels.get(row.identity, row.identity)))
        if row.gender not in genders:
            genders[row.gender] = _escape(str(gender_labels.get(row.gender, row.gender)))
        name = Participant.display_name_of(pk=row.pk, identity=row.identity, code=row.code,
                                           first_name=row.first_name, last_name=row.last_name)
        latest = row.latest_referral
        drawn.append(
            _PARTICIPANT_ROW.format(
                **labels,
                url=f"{detail_head}{int(row.pk)}{detail_tail}",
                name=_escape(name),
                stage=_escape(str(stage)) if stage else NONE,
                agency=_escape(row.current_agency) if row.current_agency else NONE,
                placement=_escape(row.current_placement) if row.current_placement else NONE,
                days=NONE if days is None else days,
                identity=identities[row.identity],
                gender=genders[row.gender],
                latest=latest.isoformat() if latest else NONE,
            )
        )
    # Safe: every value put into the rows above went through _escape or is a number or an ISO date.
    return mark_safe("".join(drawn))  # noqa: S308


_WAITING_ROW = (
    '\n    <tr>\n      <th scope="row"><a href="{url}">{name}</a></th>\n'
    '      <td data-label="{label_agency}">{agency}</td>\n'
    '      <td data-label="{label_gender}">{gender}</td>\n'
    '      <td data-label="{label_interests}">{interests}</td>\n'
    '      <td data-label="{label_referred}" class="text-nowrap">{referred}</td>\n'
    '      <td data-label="{label_days}" class="text-end">{days}</td>\n'
    '      <td data-label="{label_state}">{state}</td>\n'
    '      <td><a class="btn btn-sm btn-outline-primary" href="{matching_url}">{match}'
    '<span class="visually-hidden"> {name}</span></a></td>\n'
    "    </tr>\n  "
)


@register.simple_tag
def waiting_rows(rows):
    """The waiting list's table rows (participants/waiting_list.html) from the view's (row, days waiting) rows
    (participants.selectors.WaitingListRow): the participant, agency, gender, interests ("–" when none), referral
    date, days, state and the matching link named after the participant; one row saying so when nobody waits."""
    if not rows:
        return _empty_row(_("Ingen väntar just nu."))
    labels = _escaped({
        "label_agency": _("Myndighet"),
        "label_gender": _("Kön"),
        "label_interests": _("Yrkesintressen"),
        "label_referred": _("Anvisad"),
        "label_days": _("Dagar i väntan"),
        "label_state": _("Läge"),
        "match": _("Matcha"),
    })
    gender_labels = dict(Participant._meta.get_field("gender").flatchoices)
    state_labels = dict(WaitingState.choices)
    genders, states = {}, {}  # one label per value, not one translation per row
    detail_head, detail_tail = _url_parts("participants:detail")
    matching_head, matching_tail = _url_parts("participants:matching")
    drawn = []
    for row, days in rows:
        if row.gender not in genders:
            genders[row.gender] = _escape(str(gender_labels.get(row.gender, row.gender)))
        if row.waiting_state not in states:
            states[row.waiting_state] = _escape(str(state_labels[row.waiting_state]))
        interests = ", ".join(_escape(name) for name in row.interests)
        name = Participant.display_name_of(pk=row.participant_id, identity=row.identity, code=row.code,
                                           first_name=row.first_name, last_name=row.last_name)
        drawn.append(
            _WAITING_ROW.format(
                **labels,
                url=f"{detail_head}{int(row.participant_id)}{detail_tail}",
                name=_escape(name),
                agency=_escape(row.agency_name),
                gender=genders[row.gender],
                interests=interests or NONE,
                referred=row.referral_date.isoformat() if row.referral_date else "",
                days=days,
                state=states[row.waiting_state],
                matching_url=f"{matching_head}{int(row.pk)}{matching_tail}",
            )
        )
    # Safe: every value put into the rows above went through _escape or is a number or an ISO date.
    return mark_safe("".join(drawn))  # noqa: S308
