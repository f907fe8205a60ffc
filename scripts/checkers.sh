#!/usr/bin/env bash
# Install the outside checkers the test suite runs (package.json: vnu-jar, pa11y) into node_modules/.
# Quick when nothing changed: npm runs only when package-lock.json differs from what was last installed.
# No browser download (pa11y drives Debian's /usr/bin/chromium) and no install scripts (.npmrc).
set -euo pipefail
cd "$(dirname "$0")/.."
STAMP=node_modules/.installed-lock.sha256
if ! command -v npm >/dev/null || ! command -v java >/dev/null; then
    echo "==> npm eller java saknas: vnu och pa11y kan inte installeras (apt-get install nodejs npm openjdk-17-jre-headless)" >&2
    exit 0
fi
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    echo "==> Installerar vnu och pa11y från package-lock.json"
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > "$STAMP"
fi
