#!/usr/bin/env bash
# `make mutation` (on demand, not in CI): mutation testing of the rule modules with mutmut.
# Which modules and which tests: [tool.mutmut] in pyproject.toml; the score and the surviving mutants are
# recorded in docs/mutation.md. Arguments select mutants by name, e.g.
#   scripts/mutation.sh "reporting.suppression*" "placements.permissions*"
# Without arguments every mutant of the configured modules runs (about an hour on one core).
# MUTATION_CHILDREN (default 1) sets how many mutants run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

export DJANGO_SETTINGS_MODULE=config.settings.test
rm -rf mutants   # mutmut reuses an existing copy of the sources: start from the current ones
.venv/bin/mutmut run --max-children "${MUTATION_CHILDREN:-1}" "$@"
.venv/bin/python scripts/mutation_score.py "$@"
