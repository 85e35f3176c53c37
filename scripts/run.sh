#!/usr/bin/env bash
# Set up (idempotent), ingest the corpus, and serve the API + applicant widget on embedded defaults.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
VENV="${DAOBAN_VENV:-${DAOBAN_HOME:-$HOME/.cache/daoban}/venv}"
cd "$ROOT"
exec "$VENV/bin/daoban" serve --host "${DAOBAN_HOST:-127.0.0.1}" --port "${DAOBAN_PORT:-8000}"
