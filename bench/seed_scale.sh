#!/usr/bin/env bash
# Seed benchmark: time `manage.py seed_demo --scale N` (default 100) on PostgreSQL.
# DROPS and re-creates the database named in DATABASE_URL (default postgres://app:app@127.0.0.1:5450/app),
# migrates it (not timed) and times the seed alone. Target: < 2 min on 2 cores at scale 100.
#   DATABASE_URL=postgres://app:app@127.0.0.1:5450/app bench/seed_scale.sh [SCALE]
# The database is left filled, ready for bench/pages.py, bench/reports.py and bench/backup_restore.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-100}
export DATABASE_URL=${DATABASE_URL:-postgres://app:app@127.0.0.1:5450/app}
export DJANGO_SETTINGS_MODULE=config.settings.local DJANGO_DEBUG=false REDIS_URL= LOG_LEVEL=WARNING
DB=${DATABASE_URL##*/}
ADMIN_URL=${DATABASE_URL%/*}/postgres
LOG=$(mktemp)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL: $(psql "$ADMIN_URL" -Atc 'SHOW server_version'), fsync=$(psql "$ADMIN_URL" -Atc 'SHOW fsync')"
psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\"" -c "CREATE DATABASE \"$DB\""
.venv/bin/python manage.py migrate -v0
start=$(date +%s.%N)
/usr/bin/time -f "max RSS %M kB, user %U s, sys %S s" -o "$LOG.time" \
    .venv/bin/python manage.py seed_demo --scale "$SCALE" >"$LOG"
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc)
head -12 "$LOG"; cat "$LOG.time"; rm -f "$LOG" "$LOG.time"
echo "seed_demo --scale $SCALE: ${seconds} s wall (target at scale 100: < 120 s)"
psql "$DATABASE_URL" -Atc "SELECT 'database size: ' || pg_size_pretty(pg_database_size(current_database()))"
