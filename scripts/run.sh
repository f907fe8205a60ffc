#!/usr/bin/env bash
# `make run`: the embedded default (SQLite, Celery eager, DEBUG on) with demo data on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
PY=.venv/bin/python

$PY manage.py migrate --noinput
users=$($PY manage.py shell -c "from django.contrib.auth import get_user_model; print(get_user_model().objects.count())" | tail -n 1)
if [ "$users" = "0" ]; then
    echo "==> Tom databas: laddar demodata (manage.py seed_demo)"
    $PY manage.py seed_demo
fi
echo "==> Självklart startar på http://127.0.0.1:8000/"
exec $PY manage.py runserver "${RUNSERVER_ADDR:-127.0.0.1:8000}"
