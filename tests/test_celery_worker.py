"""A task goes through Redis to a real Celery worker process, which writes to the test database."""

import time
import uuid

import pytest
from celery.result import EagerResult

from config.celery import app
from core.models import AuditEvent
from core.tasks import ping_database


@pytest.fixture
def through_the_broker():
    """The test settings run tasks eagerly; switch that off on the Celery app for one test."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_executes_task_through_redis(celery_worker_process, through_the_broker):
    token = f"pytest-{uuid.uuid4().hex}"

    result = ping_database.apply_async(args=[token])

    assert not isinstance(result, EagerResult)
    deadline = time.monotonic() + 30
    while not AuditEvent.objects.filter(object_type="healthcheck", object_id=token).exists():
        assert celery_worker_process.process.poll() is None, celery_worker_process.log_tail()
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not run the task within 30 s:\n{celery_worker_process.log_tail()}")
        time.sleep(0.2)
    event = AuditEvent.objects.get(object_type="healthcheck", object_id=token)
    assert event.action == AuditEvent.Action.VIEW
    assert event.user is None
    assert f"Task core.tasks.ping_database[{result.id}] succeeded" in celery_worker_process.log_path.read_text()


def test_ping_database_task_writes_a_healthcheck_row(db):
    ping_database.delay("eager-token")  # eager in the test settings: runs in this process

    assert AuditEvent.objects.filter(object_type="healthcheck", object_id="eager-token").count() == 1
