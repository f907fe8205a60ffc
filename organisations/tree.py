"""The organisation tree: a Region's förvaltningar and their children, read in one query.

The one place that walks `Organisation.parent`: scoping (a manager of a Region manages its
förvaltningar), the placement list's organisation filter and every roll-up of figures (places,
capacity, occupancy and employees of an organisation include its sub-organisations') use it.
"""

from collections.abc import Iterable

from organisations.models import Organisation


class OrganisationTree:
    def __init__(self, rows: Iterable[tuple[int, int | None]]):
        """`rows`: (pk, parent_id) for every organisation."""
        self.parent: dict[int, int | None] = {}
        self.children: dict[int | None, list[int]] = {}
        for pk, parent_id in rows:
            self.parent[pk] = parent_id
            self.children.setdefault(parent_id, []).append(pk)

    @classmethod
    def load(cls) -> "OrganisationTree":
        return cls(Organisation.objects.order_by().values_list("pk", "parent_id"))

    def with_descendants(self, root_ids: Iterable[int]) -> set[int]:
        """The given organisations and every organisation below them."""
        found = set(root_ids)
        frontier = list(found)
        while frontier:
            frontier = [child for pk in frontier for child in self.children.get(pk, ()) if child not in found]
            found.update(frontier)
        return found

    def roots(self) -> list[int]:
        return [pk for pk, parent in self.parent.items() if parent is None or parent not in self.parent]

    def roll_up(self, direct: dict[int, int | float]) -> dict[int, int | float]:
        """Per organisation: its own value plus all its sub-organisations' (values missing = 0)."""
        total: dict[int, int | float] = {}

        def visit(pk: int, seen: frozenset) -> int | float:
            if pk in total:
                return total[pk]
            value = direct.get(pk) or 0
            for child in self.children.get(pk, ()):
                if child not in seen:  # a cycle cannot be saved through the forms, but never loop
                    value += visit(child, seen | {child})
            total[pk] = value
            return value

        for pk in self.parent:
            visit(pk, frozenset({pk}))
        return total


def organisation_with_descendant_ids(root_ids) -> set[int]:
    """The given organisations and all below them (one query)."""
    return OrganisationTree.load().with_descendants(root_ids)
