"""Role predicates. Object-level scoping lives in each app's permissions.py and uses these."""

from core.models import Role


def is_leader(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.LEADER))


def is_manager(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.MANAGER)


def is_case_worker(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.CASE_WORKER)


def is_steering(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.STEERING)


def may_see_individuals(user) -> bool:
    """The steering group sees aggregates only, never a person."""
    return is_leader(user) or is_manager(user) or is_case_worker(user)
