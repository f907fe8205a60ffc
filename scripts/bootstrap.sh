#!/usr/bin/env bash
# Create .venv if missing and install the locked dependencies into it.
# Quick when nothing changed: pip runs only when requirements/lock.txt or pyproject.toml
# differ from what was last installed (a stamp file inside .venv records their hashes).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.installed-lock.sha256"
NOISE="is ignored: it is neither a file nor a directory"

if [ ! -x "$VENV/bin/python" ]; then
    echo "==> Skapar $VENV med $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

want=$(cat requirements/lock.txt pyproject.toml | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    echo "==> Installerar beroenden från requirements/lock.txt"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    # (the filter drops one harmless warning per package that pip prints on these machines)
    "$VENV/bin/python" -m pip install --quiet -r requirements/lock.txt 2>&1 | { grep -v "$NOISE" || true; }
    "$VENV/bin/python" -m pip install --quiet -e . --no-deps 2>&1 | { grep -v "$NOISE" || true; }
    echo "$want" > "$STAMP"
fi
