from decimal import Decimal
from html import escape as _escape

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import formats, numberformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from placements.models import Placement
from placements.selectors import idle_days as _idle_days

register = template.Library()


@register.filter
def idle_days(placement, on=None):
    """Days a placement has stood free on `on` (default today), or None (see placements.selectors.idle_days)."""
    return _idle_days(placement, on=on)


@register.filter
def is_idle(placement, on=None) -> bool:
    days = _idle_days(placement, on=on)
    return days is not None and days > settings.IDLE_PLACEMENT_DAYS


STATUS_BADGE_CLASSES = {"open": "text-bg-success", "paused": "text-bg-warning"}


@register.simple_tag
def status_badge(placement):
    """The placement's status as a coloured badge (green open, yellow paused, grey closed)."""
    css = STATUS_BADGE_CLASSES.get(placement.status, "text-bg-secondary")
    return format_html('<span class="badge {}">{}</span>', css, placement.get_status_display())


@register.simple_tag
def idle_badge(placement):
    """ "ledig i N dagar" when the placement has stood free longer than IDLE_PLACEMENT_DAYS, else nothing."""
    if not is_idle(placement):
        return ""
    return format_html(
        '<span class="badge badge-idle">{}</span>', _("ledig i %(days)s dagar") % {"days": _idle_days(placement)}
    )


@register.simple_tag
def row_badges(row):
    """status_badge and idle_badge for a row of placements.selectors.placement_list_rows (no model object)."""
    css = STATUS_BADGE_CLASSES.get(row.status, "text-bg-secondary")
    label = dict(Placement.Status.choices).get(row.status, row.status)
    badges = format_html('<span class="badge {}">{}</span>', css, label)
    if is_idle(row):
        badges += format_html(' <span class="badge badge-idle">{}</span>',
                              _("ledig i %(days)s dagar") % {"days": _idle_days(row)})
    return badges


# A number no page's key is: the URL reversed once with it is split around it, so that each row's link is the two
# parts around its own key (reverse() per row cost more than the rest of the row).
_KEY_MARK = 918273645546372819

# One row of the placement list. The rows are most of the page's cost: built here with str.format, every value
# escaped by html.escape (what django.utils.html.escape returns, without its check for lazy strings), not with
# the template language, which spends ~0.2 ms a row on lookups, filters and tags.
_PLACEMENT_ROW = (
    '\n    <tr>\n      <th scope="row" class="fw-normal">\n'
    '        <a class="fw-semibold" href="{url_head}{pk}{url_tail}">{title}</a>\n'
    '        <div class="d-flex flex-wrap gap-1 mt-1">\n          {status}\n          {idle}\n          {adaptations}\n'
    "        </div>\n      </th>\n"
    '      <td data-label="{label_organisation}">{organisation}<br>'
    '<span class="text-muted">{unit}, {municipality}</span></td>\n'
    '      <td data-label="{label_area}">{area}</td>\n'
    '      <td data-label="{label_free}" class="text-end text-nowrap"><span class="visually-hidden">{label_free_short} '
    "</span>{free} / {capacity}</td>\n"
    '      <td data-label="{label_available}" class="text-nowrap">{available}</td>\n'
    '      <td data-label="{label_supervisor}">{supervisor}</td>\n'
    "    </tr>\n  "
)


@register.simple_tag
def placement_rows(rows, *, label_free: str, show_supervisors: bool):
    """The placement list's table rows (placements/_results.html) from placements.selectors.placement_list_rows:
    the placement with its status, idle and adaptation badges, organisation and unit, area, free/total
    (`label_free` names that column), availability and the supervisor (the name only when `show_supervisors`)
    with their training. What status_badge and idle_badge draw for a placement, from the row's values."""
    labels = {
        name: _escape(str(text))
        for name, text in {
            "label_organisation": _("Organisation och enhet"),
            "label_area": _("Yrkesområde"),
            "label_available": _("Tillgänglig"),
            "label_supervisor": _("Handledare"),
            "label_free_short": _("Lediga"),
            "label_free": label_free,
        }.items()
    }
    until = _escape(_("till"))
    trained = f'<span class="text-success-emphasis">{_escape(_("utbildad"))}</span>'
    untrained = f'<span class="text-danger-emphasis">{_escape(_("ej utbildad"))}</span>'
    missing = f'<span class="text-danger-emphasis">{_escape(_("saknas"))}</span>'
    url_head, _mark, url_tail = reverse("placements:detail", args=[_KEY_MARK]).partition(str(_KEY_MARK))
    url_head, url_tail = _escape(url_head), _escape(url_tail)
    status_labels = dict(Placement.Status.choices)
    status_badges = {}  # one badge per status value, not one translation per row
    idle_text = _("ledig i %(days)s dagar")
    today = timezone.localdate()
    adaptation_badges = {}  # one escaped badge per adaptation name
    drawn = []
    for row in rows:
        available = row.available_from.isoformat()
        if row.available_to:
            available += f'<br><span class="text-muted">{until} {row.available_to.isoformat()}</span>'
        if row.supervisor_id is not None:
            training = trained if row.supervisor_trained_on else untrained
            supervisor_cell = f"{_escape(row.supervisor_name)}<br>{training}" if show_supervisors else training
        else:
            supervisor_cell = missing
        status = row.status
        if status not in status_badges:
            status_badges[status] = format_html('<span class="badge {}">{}</span>',
                                                STATUS_BADGE_CLASSES.get(status, "text-bg-secondary"),
                                                status_labels.get(status, status))
        days = _idle_days(row, on=today)
        badges = []
        for name in row.adaptations:
            if name not in adaptation_badges:
                adaptation_badges[name] = f'<span class="badge text-bg-light border">{_escape(name)}</span>'
            badges.append(adaptation_badges[name])
        drawn.append(
            _PLACEMENT_ROW.format(
                **labels,
                url_head=url_head, pk=int(row.pk), url_tail=url_tail,
                title=_escape(row.title),
                status=status_badges[status],
                idle=f'<span class="badge badge-idle">{_escape(idle_text % {"days": days})}</span>'
                if days is not None and days > settings.IDLE_PLACEMENT_DAYS else "",
                adaptations="".join(badges),
                organisation=_escape(row.organisation_name),
                unit=_escape(row.unit_name),
                municipality=_escape(row.municipality),
                area=_escape(row.area_name),
                free=row.free,
                capacity=row.capacity,
                available=available,
                supervisor=supervisor_cell,
            )
        )
    # Safe: every value put into the rows above went through _escape or is a badge built by format_html.
    return mark_safe("".join(drawn))  # noqa: S308


@register.simple_tag
def target_progress(progress):
    """An organisation's progress towards its placement target (a row of placements.selectors._progress_row):
    the bar and the sentence under it. Drawn here rather than in an included template because the organisation
    overview draws one per organisation: two blocktranslates and an include cost several times as much a row."""
    return _target_progress(progress, formats.localize, _progress_texts())


def _progress_texts() -> tuple[str, str, str]:
    """The three sentences of target_progress in the current language (looked up once for many rows)."""
    return (_("%(places)s platser; antal anställda saknas, så andelen kan inte räknas ut."),
            _("Andel av målet för %(name)s"),
            _("%(places)s platser = %(share)s %% av anställda (mål %(target)s %%)"))


def _target_progress(progress, local, texts: tuple[str, str, str]) -> str:
    """target_progress with `local` formatting the numbers (formats.localize, or _localizer's for many rows) and
    `texts` from _progress_texts. What format_html would return: every value escaped, the whole marked safe."""
    no_employees, bar_label, sentence = texts
    places = local(progress["places"])
    if progress["share"] is None:
        return mark_safe(f'<p class="small mb-0">{_escape(no_employees % {"places": places})}</p>')  # noqa: S308
    text = sentence % {"places": places, "share": local(progress["share"]), "target": local(progress["target"])}
    return mark_safe(  # noqa: S308 (every value escaped)
        f'<progress class="target-progress{" reached" if progress["reached"] else ""}" max="100" '
        f'value="{_escape(str(progress["of_target"]))}" '
        f'aria-label="{_escape(bar_label % {"name": progress["organisation"].name})}">'
        f'{_escape(local(progress["of_target"]))} %</progress>\n<p class="small mb-0">{_escape(text)}</p>')


def _sub_organisations_link(organisation, local) -> str:
    """The link from an organisation's row to the overview's level of its sub-organisations (in the row header
    cell, beside its name: the link's context)."""
    count = organisation.children
    text = ngettext("%(count)s underorganisation", "%(count)s underorganisationer", count) % {"count": local(count)}
    return f'<br><a class="small" href="?under={organisation.pk}">{_escape(text)}</a>'


def _localizer():
    """formats.localize for the numbers of many rows: what it returns, with the language's number formats looked
    up once instead of three times a number (and an int without grouping as str() gives it)."""
    language = get_language()
    decimal_separator, grouping, thousand_separator = (
        formats.get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR"))
    grouped = settings.USE_THOUSAND_SEPARATOR

    def local(value):
        if isinstance(value, bool) or not isinstance(value, (Decimal, float, int)):
            return formats.localize(value)
        if isinstance(value, int) and not grouped:
            return str(value)
        return numberformat.format(value, decimal_separator, None, grouping, thousand_separator, use_l10n=True)

    return local


# One row of the organisation overview (placements/organisation_overview.html), as the template loop drew it.
_ORGANISATION_ROW = (
    "\n    <tr>\n      <td>{rank}</td>\n"
    '      <th scope="row" class="fw-normal"><a href="{url_head}{pk}{url_tail}">{name}</a>{below}</th>\n'
    '      <td class="text-end">{places}</td>\n'
    "      {occupied}\n"
    '      <td class="text-end">{employees}</td>\n'
    "      <td>{progress}</td>\n"
    "    </tr>\n  "
)


@register.simple_tag
def organisation_rows(table, *, show_occupancy: bool, start: int = 1):
    """The organisation overview's table rows from one level of placements.selectors.organisation_overview_level:
    rank (by share, the first row's being `start`; "–" without employees), the organisation with its link and, when
    it has sub-organisations, a link to their level (?under=<pk>), places, participants on them today
    (`show_occupancy`), employees and the target bar. Built with str.format, every value escaped, the numbers
    formatted as the template's {{ }} formats them: the rows are the page's cost."""
    local, texts = _localizer(), _progress_texts()
    url_head, _mark, url_tail = reverse("placements:organisation_detail", args=[_KEY_MARK]).partition(str(_KEY_MARK))
    url_head, url_tail = _escape(url_head), _escape(url_tail)
    rows = []
    for rank, progress in enumerate(table, start=start):
        organisation = progress["organisation"]
        rows.append(_ORGANISATION_ROW.format(
            rank=local(rank) if progress["share"] is not None else "–",
            url_head=url_head, pk=organisation.pk, url_tail=url_tail,
            name=_escape(organisation.name),
            below=_sub_organisations_link(organisation, local) if organisation.children else "",
            places=_escape(local(progress["places"])),
            occupied=f'<td class="text-end">{_escape(local(progress["occupied"]))}</td>' if show_occupancy else "",
            employees=_escape(local(progress["employees"])) if progress["employees"] else "–",
            progress=_target_progress(progress, local, texts),
        ))
    # Safe: every value put into the rows above went through _escape or is the bar built by _target_progress.
    return mark_safe("".join(rows))  # noqa: S308
