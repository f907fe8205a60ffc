#!/usr/bin/env bash
# `make test`: lint, the import layers, check that every model change has a migration, then the whole test
# suite. All four run even when an earlier one fails; the exit code is non-zero if any failed.
# Extra arguments go to pytest (scripts/test.sh -x core/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/checkers.sh

export DJANGO_SETTINGS_MODULE=config.settings.test
failed=()

echo "==> ruff check ."
.venv/bin/ruff check . || failed+=("ruff")

echo "==> lint-imports (app layers: demo > reporting > participants > placements > organisations > core)"
.venv/bin/lint-imports --no-cache || failed+=("lint-imports (en app importerar uppåt i lagren)")

echo "==> manage.py makemigrations --check --dry-run"
.venv/bin/python manage.py makemigrations --check --dry-run || failed+=("makemigrations (en modelländring saknar migrering)")

echo "==> pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    failed+=("pytest (inga tester samlades in)")
elif [ "$status" -ne 0 ]; then
    failed+=("pytest (exit $status)")
fi

if [ "${#failed[@]}" -gt 0 ]; then
    printf 'make test misslyckades: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "make test: allt gick igenom"
