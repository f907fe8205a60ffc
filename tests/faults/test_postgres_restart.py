"""Fault: PostgreSQL restarted while the app runs.

The test starts a throwaway PostgreSQL cluster of its own (initdb/pg_ctl via runuser as the
postgres user, as .ci/run does; never the main test database), migrates it, and runs against it:
gunicorn serving the app (persistent connections, CONN_MAX_AGE=60), a writer thread that keeps
saving an organisation and its unit in one transaction, and a long query in flight. Then it stops
PostgreSQL (fast shutdown), checks the app answers quickly with errors, starts it again and checks:
the query in flight got an error, /healthz and the writer recover, and no organisation was left
without its unit (no half-written rows).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction

from organisations.models import OccupationalArea, Organisation, Unit
from placements.models import OrganisationTotalsToken

ALIAS = "fault_pg"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.dir.chmod(0o755)  # the postgres user must be able to enter it
        self.port = _free_port()
        self.data, self.sock, self.log = self.dir / "pg", self.dir / "sock", self.dir / "server.log"
        for path in (self.data, self.sock):
            path.mkdir()
            shutil.chown(path, "postgres", "postgres")
        self.log.touch()
        shutil.chown(self.log, "postgres")
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",  # noqa: S603, S607
                        "CREATE DATABASE app"], check=True, capture_output=True)

    def _pg(self, tool, *args):
        binary = shutil.which(tool) or str(PG_BIN / tool)
        return subprocess.run(["runuser", "-u", "postgres", "--", binary, *args], check=True,  # noqa: S603, S607
                              capture_output=True)

    def start(self):
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sock} -c fsync=off", "start")

    def stop(self):
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - http://127.0.0.1 only
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.monotonic() - started


@pytest.fixture
def restartable_postgres(django_db_blocker):
    if connections["default"].vendor != "postgresql":
        pytest.fail("needs PostgreSQL (mark the test `postgres`)")
    if os.geteuid() != 0 or not (shutil.which("initdb") or (PG_BIN / "initdb").exists()):
        pytest.fail("needs root and PostgreSQL's server binaries to start a throwaway cluster")
    cluster = Cluster()
    connections.settings[ALIAS] = {
        **connections["default"].settings_dict, "NAME": "app", "USER": "postgres", "PASSWORD": "",
        "HOST": "127.0.0.1", "PORT": str(cluster.port), "CONN_MAX_AGE": 60, "TEST": {"NAME": "app"},
    }
    try:
        with django_db_blocker.unblock():
            call_command("migrate", database=ALIAS, verbosity=0)
            yield cluster
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        cluster.destroy()


@pytest.mark.postgres
def test_postgres_restart_errors_in_flight_then_recovers_without_half_written_rows(restartable_postgres, tmp_path):
    cluster = restartable_postgres
    # the migrations' data went to the database migrated, not the default one
    assert OccupationalArea.objects.using(ALIAS).exists()
    assert (set(OrganisationTotalsToken.objects.using(ALIAS).values_list("organisation_id", flat=True))
            == set(Organisation.objects.using(ALIAS).values_list("pk", flat=True)))
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CONN_MAX_AGE": "60",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.port}/app", "REDIS_URL": ""}
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b",  # noqa: S603
                            f"127.0.0.1:{port}", "--workers", "2", "--timeout", "30"],
                           cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    healthz = f"http://127.0.0.1:{port}/healthz"
    stop_writer = threading.Event()
    written, write_errors, in_flight = [], [], []

    def writer():
        n = 0
        while not stop_writer.is_set():
            n += 1
            try:
                with transaction.atomic(using=ALIAS):
                    org = Organisation.objects.using(ALIAS).create(name=f"Feltest {n}")
                    time.sleep(0.02)  # widen the window between the two rows
                    Unit.objects.using(ALIAS).create(organisation=org, name=f"Enhet {n}", municipality="Visby")
                written.append(n)
            except DatabaseError as exc:
                write_errors.append(exc.__class__.__name__)
                connections[ALIAS].close()  # as Django does at the end of a request that failed
                time.sleep(0.05)
        connections[ALIAS].close()

    def long_query():
        try:
            with connections[ALIAS].cursor() as cursor:
                cursor.execute("SELECT pg_sleep(30)")
            in_flight.append("finished")
        except DatabaseError as exc:
            in_flight.append(exc.__class__.__name__)
        finally:
            connections[ALIAS].close()

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(healthz)[0] == 200:
                    break
            except OSError:
                pass
            assert web.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.3)
        threads = [threading.Thread(target=writer), threading.Thread(target=long_query)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        assert written, "the writer wrote nothing before the restart"

        cluster.stop()
        down_status, down_seconds = _get(healthz)
        cluster.start()

        recovered = None
        deadline = time.monotonic() + 20
        while recovered is None and time.monotonic() < deadline:
            status, _ = _get(healthz)
            if status == 200:
                recovered = time.monotonic()
            time.sleep(0.2)
        before = len(written)
        time.sleep(1.5)
        stop_writer.set()
        for thread in threads:
            thread.join(timeout=40)
    finally:
        stop_writer.set()
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=20)
        log.close()

    assert down_status == 503 and down_seconds < 5  # the app answers, with an error, while the database is down
    assert in_flight and in_flight[0] != "finished"  # the query in flight got an error
    assert write_errors  # so did writes during the restart
    assert recovered is not None, "/healthz did not recover after the restart"
    assert len(written) > before  # the writer recovered too
    connections[ALIAS].close()  # this thread's connection (from migrate) died with the restart; a new one
    orphans = Organisation.objects.using(ALIAS).filter(name__startswith="Feltest", units__isnull=True)
    assert not orphans.exists()  # no organisation committed without its unit
    assert Organisation.objects.using(ALIAS).filter(name__startswith="Feltest").count() == len(written)
