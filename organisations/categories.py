"""The category lists a project leader may extend on the set-up pages. Each app registers its own lists in
AppConfig.ready(), so organisations imports no app to its right."""

from django.utils.translation import gettext_lazy as _

from organisations.models import Adaptation, Agency, CategoryBase, CostCategory, OccupationalArea

_LISTS: dict[str, type[CategoryBase]] = {}


def register_category_list(slug: str, model: type[CategoryBase]) -> None:
    _LISTS[slug] = model


def category_lists() -> dict[str, type[CategoryBase]]:
    return dict(_LISTS)


def category_model(slug: str) -> type[CategoryBase] | None:
    return _LISTS.get(slug)


register_category_list("yrkesomraden", OccupationalArea)
register_category_list("anpassningar", Adaptation)
register_category_list("myndigheter", Agency)
register_category_list("kostnadsslag", CostCategory)

HELP = {
    "myndigheter": _("Anvisande myndigheter. Koden används i deltagarkoderna (till exempel AF-2026-0001)."),
    "kostnadsslag": _("Kostnadsslagen i projektets budget."),
}
