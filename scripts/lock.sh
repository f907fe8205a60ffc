#!/usr/bin/env bash
# `make lock`: regenerate the lock files from pyproject.toml.
#   requirements/lock.txt     runtime + dev extra: what `make run`, `make test` and CI install
#   requirements/runtime.txt  runtime only, pinned to the same versions: what the Docker image installs
# Existing pins are kept unless pyproject.toml needs otherwise; `scripts/lock.sh --upgrade` takes newer releases.
#   package-lock.json         the npm checkers (vnu-jar, pa11y) that `make test` runs
# The lock files name no hosts: no index URL, no find-links, no resolved or funding URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

COMMON=(--quiet --strip-extras --no-emit-index-url --no-emit-find-links)
.venv/bin/pip-compile "${COMMON[@]}" --allow-unsafe --extra dev "$@" \
    --output-file requirements/lock.txt pyproject.toml
.venv/bin/pip-compile "${COMMON[@]}" --constraint requirements/lock.txt \
    --output-file requirements/runtime.txt pyproject.toml
# The npm checkers (package.json): a lock without download addresses (.npmrc) and without sponsor links.
PUPPETEER_SKIP_DOWNLOAD=1 npm install --package-lock-only --no-audit --no-fund --loglevel=error
node scripts/npm_lock_strip.mjs
if grep -nE "https?://" requirements/lock.txt requirements/runtime.txt package-lock.json; then
    echo "en låsfil nämner en adress: ta bort den" >&2
    exit 1
fi
scripts/bootstrap.sh
