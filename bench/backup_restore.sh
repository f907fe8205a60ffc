#!/usr/bin/env bash
# Backup and restore check (procedure in docs/benchmarks.md § Backup and restore).
# pg_dump (custom format) of the demo database, pg_restore into a fresh database, then
# `manage.py build_report monthly --format json` (and final) against both: the figures must be identical.
#   DATABASE_URL=postgres://app:app@127.0.0.1:5450/app bench/backup_restore.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${DATABASE_URL:-postgres://app:app@127.0.0.1:5450/app}
export DJANGO_SETTINGS_MODULE=config.settings.local DJANGO_DEBUG=false REDIS_URL= LOG_LEVEL=WARNING
SOURCE=$DATABASE_URL
DB=${SOURCE##*/}
RESTORED_DB="${DB}_restored"
RESTORED=${SOURCE%/*}/$RESTORED_DB
ADMIN_URL=${SOURCE%/*}/postgres
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT   # KEEP=1 keeps the dump and the JSON

t0=$(date +%s.%N)
pg_dump --format=custom --no-owner --file "$WORK/backup.dump" "$SOURCE"
t1=$(date +%s.%N)
echo "pg_dump: $(du -h "$WORK/backup.dump" | cut -f1), $(echo "$t1 - $t0" | bc) s"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$RESTORED_DB\"" -c "CREATE DATABASE \"$RESTORED_DB\""
pg_restore --no-owner --exit-on-error --jobs 2 --dbname "$RESTORED" "$WORK/backup.dump"
t2=$(date +%s.%N)
echo "pg_restore: $(echo "$t2 - $t1" | bc) s"

# Last full month and the whole project so far.
FROM=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m-%d)
TO=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m-%d)
START=$(psql "$SOURCE" -Atc "SELECT start_date FROM organisations_project WHERE slug = 'sjalvklart'")
status=0
for spec in "monthly $FROM $TO" "final $START $(date +%Y-%m-%d)"; do
    set -- $spec
    for side in source restored; do
        url=$SOURCE; [ "$side" = restored ] && url=$RESTORED
        DATABASE_URL=$url .venv/bin/python manage.py build_report "$1" --project sjalvklart --from "$2" --to "$3" \
            --format json --output "$WORK/$1-$side.json"
    done
    # Same figures: equal JSON values once the build timestamp is left out (key order may differ: it follows
    # the order PostgreSQL returns grouped rows in, which a restore can change).
    if .venv/bin/python - "$WORK/$1-source.json" "$WORK/$1-restored.json" <<'PY'
import json, sys

def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k != "generated_at"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value

a, b = (strip(json.load(open(path))) for path in sys.argv[1:3])
sys.exit(0 if a == b else 1)
PY
    then
        echo "$1 $2..$3: figures identical ($(wc -c <"$WORK/$1-source.json") bytes of JSON)"
    else
        echo "$1 $2..$3: figures DIFFER"
        status=1
    fi
done
for table in placements_placement participants_participant participants_referral placements_assignment; do
    a=$(psql "$SOURCE" -Atc "SELECT count(*) FROM $table"); b=$(psql "$RESTORED" -Atc "SELECT count(*) FROM $table")
    echo "$table: $a rows, restored $b"; [ "$a" = "$b" ] || status=1
done
psql "$ADMIN_URL" -qc "DROP DATABASE \"$RESTORED_DB\""
exit $status
