"""Embedded default for a newcomer's machine: SQLite, eager Celery, debug on."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
