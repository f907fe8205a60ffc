"""A web worker freezes what is alive after its first request, so the collector's oldest generation no longer walks
Django, the compiled templates and the kept lists on every pass (core/collector.py)."""

import gc
import importlib
from unittest import mock

import pytest
from django.core.signals import request_finished

from core import collector


@pytest.fixture
def _collector_restored():
    threshold = gc.get_threshold()
    yield
    request_finished.disconnect(dispatch_uid=collector._UID)
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.django_db
@pytest.mark.usefixtures("_collector_restored")
def test_the_objects_of_the_first_request_are_frozen_once(client):
    gc.unfreeze()
    collector.freeze_after_first_request()
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    client.get("/healthz")
    frozen = gc.get_freeze_count()
    assert frozen > 10_000
    with mock.patch.object(gc, "collect") as collect, mock.patch.object(gc, "freeze") as freeze:
        client.get("/healthz")
    collect.assert_not_called()
    freeze.assert_not_called()


def test_the_wsgi_entry_point_freezes_after_the_first_request():
    import config.wsgi

    with mock.patch("core.collector.freeze_after_first_request") as freeze:
        importlib.reload(config.wsgi)
    freeze.assert_called_once_with()
