"""Whether anything was written to the database since a moment, told by PostgreSQL itself.

Every table except those in NOT_WATCHED carries a statement-level trigger that records the writing transaction's
ID in `core_datachange` (one row per transaction, inserted and never updated, so writers never wait on each
other). A moment is a transaction snapshot (`pg_current_snapshot()`); the data changed since it when a
transaction is recorded that the snapshot does not see: committed after it, or still running when it was taken.
The trigger fires for every path that writes (services, imports, the admin, raw SQL, a data-only restore), also
where a session replays changes (`session_replication_role = replica`: it is enabled ALWAYS), so what is kept
against a moment cannot outlive a change that nothing told it about. A moment also names the data it is of (the
cluster and its timeline, the database, the watched tables and whether their triggers are enabled), so a restore
that makes any of them anew, a standby promoted, or a trigger disabled (as `pg_restore --disable-triggers` does
while it loads) is a change too.

Installed after every `migrate` (post_migrate), so a table added later gets its trigger. PostgreSQL only: on
another database `moment()` is None and nothing is kept.
"""

import datetime as dt

from django.db import DEFAULT_DB_ALIAS, connections

TABLE = "core_datachange"
TRIGGER = "core_note_data_change"
# Written often (every login, page view, import's progress, e-mail, report run, the final report's texts as they
# are typed), read by no figure (reporting/tests/test_figure_reuse.py checks the figures' queries): a write to them
# does not make kept figures old. The report runs' own table is read only for the run's metadata, which is read
# again whenever kept figures are used; the final report's texts are read by every build, beside its figures.
NOT_WATCHED = frozenset({
    TABLE,
    "django_session", "django_migrations", "django_admin_log",
    "core_user", "core_auditevent", "core_importjob", "core_outgoingemail",
    "account_emailaddress", "account_emailconfirmation", "mfa_authenticator",
    "reporting_reportrun", "reporting_finalreporttext",
})
# How long a change is remembered: longer than anything is kept against a moment (settings.
# REPORT_FIGURES_REUSE_SECONDS is at most a day), with a day's margin for a transaction that runs long.
REMEMBERED = dt.timedelta(days=2)


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def install(using: str = DEFAULT_DB_ALIAS) -> int:
    """The change table, the trigger function and the trigger on every watched table that lacks it (and none on
    the tables not watched); the number of triggers added. Nothing on a database other than PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE TABLE IF NOT EXISTS {TABLE} (
                xact xid8 PRIMARY KEY,
                recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )""")
        cursor.execute(f"""
            CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO {TABLE} (xact) VALUES (pg_current_xact_id()) ON CONFLICT (xact) DO NOTHING;
                RETURN NULL;
            END $$""")  # noqa: S608 - the module's names, no input
        cursor.execute("""
            SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()""", [TRIGGER])
        tables = cursor.fetchall()
        for name in [name for name, has in tables if has and name in NOT_WATCHED]:
            cursor.execute(f"DROP TRIGGER {TRIGGER} ON {_quote(connection, name)}")
        missing = [name for name, has in tables if not has and name not in NOT_WATCHED]
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                           f"{_quote(connection, name)} FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()")
        cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE t.tgname = %s AND t.tgenabled <> 'A'", [TRIGGER])
        not_always = [name for (name,) in cursor.fetchall()]
        for name in not_always:
            cursor.execute(f"ALTER TABLE {_quote(connection, name)} ENABLE ALWAYS TRIGGER {TRIGGER}")
        if not_always and set(not_always) - set(missing):
            # A trigger found disabled (or enabled only outside replication) may have missed writes; enabled
            # again, the identity is the one it had before them, so the change is recorded here.
            cursor.execute(f"INSERT INTO {TABLE} (xact) VALUES (pg_current_xact_id()) "  # noqa: S608 - no input
                           "ON CONFLICT (xact) DO NOTHING")
    return len(missing)


def install_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    install(using)


def watched_tables(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The tables that carry the trigger."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
                       [TRIGGER])
        return {name for (name,) in cursor.fetchall()}


# Which data a moment is of: the cluster (a new one after a restore elsewhere) and its timeline (a new one after a
# recovery to a point in time or a standby promoted, which may lack transactions the moment saw and reuse their
# IDs), the database (a new one after a restore beside it) and the watched tables themselves (new ones after a
# restore that drops and creates them, whose rows are loaded before their triggers exist) with their triggers'
# state (one disabled records nothing). Transaction IDs are only compared within one such identity. A primary's
# timeline is its WAL's (the last checkpoint's lags a promotion); a standby, where that cannot be read, has its
# last restart point's.
_IDENTITY = f"""
    (SELECT system_identifier FROM pg_control_system())::text
    || '/' || CASE WHEN pg_is_in_recovery()
                   THEN lpad(to_hex((SELECT timeline_id FROM pg_control_checkpoint())), 8, '0')
                   ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END
    || '/' || (SELECT oid FROM pg_database WHERE datname = current_database())::text
    || '/' || (SELECT md5(string_agg(tgrelid::text || tgenabled::text, ',' ORDER BY tgrelid)) FROM pg_trigger
               WHERE tgname = '{TRIGGER}')
"""  # noqa: S608 - the module's names


def in_transaction(connection) -> bool:
    """Whether a transaction is open on the connection: in atomic, or with autocommit turned off."""
    return connection.in_atomic_block or not connection.get_autocommit()


def moment(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """This moment, to ask later whether the data changed since: the data's identity and a snapshot. None on a
    database other than PostgreSQL, inside a transaction (whose own writes are not committed, and whose snapshot
    may be older than now) or where no table is watched yet."""
    connection = connections[using]
    if connection.vendor != "postgresql" or in_transaction(connection):
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_IDENTITY}, pg_current_snapshot()::text")  # noqa: S608 - the module's names
        identity, snapshot = cursor.fetchone()
    return None if identity is None else f"{identity} {snapshot}"


def changed_since(since: str, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether a transaction that `since` (a `moment()`) does not see has written to a watched table and
    committed, or the data is no longer the data of that moment (another cluster, database or tables: a
    restore); also true on a database other than PostgreSQL or inside a transaction (nothing can be told)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or in_transaction(connection):
        return True
    identity, snapshot = since.split(" ")
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT ({_IDENTITY}) IS DISTINCT FROM %s
                OR EXISTS (SELECT 1 FROM {TABLE}
                           WHERE xact >= pg_snapshot_xmin(%s::pg_snapshot)
                             AND NOT pg_visible_in_snapshot(xact, %s::pg_snapshot))""",  # noqa: S608 - no input
                       [identity, snapshot, snapshot])
        return cursor.fetchone()[0]


def newest_change_age(using: str = DEFAULT_DB_ALIAS) -> dt.timedelta | None:
    """How long ago the newest recorded change was made (its transaction's first write; the newest transaction
    has the highest ID), None where none is recorded or not on PostgreSQL."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT clock_timestamp() - recorded_at FROM {TABLE} "  # noqa: S608 - the module's names
                       "ORDER BY xact DESC LIMIT 1")
        row = cursor.fetchone()
    return None if row is None else row[0]


def forget_old(using: str = DEFAULT_DB_ALIAS) -> int:
    """Deletes the changes older than REMEMBERED; how many."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE recorded_at < clock_timestamp() - %s",  # noqa: S608 - no input
                       [REMEMBERED])
        return cursor.rowcount
