#!/usr/bin/env bash
# `make lock`: regenerate requirements/lock.txt from pyproject.toml (runtime + dev extra).
# The lock names no hosts: no index URL, no find-links.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/pip-compile --quiet --allow-unsafe --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
    --output-file requirements/lock.txt pyproject.toml
if grep -n "http" requirements/lock.txt; then
    echo "requirements/lock.txt nämner en adress: ta bort den" >&2
    exit 1
fi
scripts/bootstrap.sh
