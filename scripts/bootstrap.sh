#!/usr/bin/env bash
# Create .venv if missing and install the locked dependencies into it.
# Quick when nothing changed: pip runs only when requirements/lock.txt or pyproject.toml
# differ from what was last installed (a stamp file inside .venv records their hashes).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.installed-lock.sha256"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> Skapar $VENV med $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

want=$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    echo "==> Installerar beroenden från requirements/lock.txt"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    "$VENV/bin/python" -m pip install --quiet -r requirements/lock.txt
    "$VENV/bin/python" -m pip install --quiet -e . --no-deps
    echo "$want" > "$STAMP"
fi
