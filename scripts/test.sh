#!/usr/bin/env bash
# `make test`: lint, check that every model change has a migration, then the whole test suite.
# Extra arguments go to pytest (scripts/test.sh -x core/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export DJANGO_SETTINGS_MODULE=config.settings.test
echo "==> ruff check ."
.venv/bin/ruff check .
echo "==> makemigrations --check"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "==> pytest"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest samlade inte in några tester (exit 5): räknas som fel" >&2
    exit 1
fi
exit "$status"
