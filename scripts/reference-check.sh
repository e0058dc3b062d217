#!/usr/bin/env bash
# reference-check.sh (`npm run test:reference`): the engine against an independent PyTorch GPT-2
# (scripts/reference_check.py): logits, loss, every gradient, and weights after AdamW steps.
# Python: $PYTHON if set, else ./.venv/bin/python if present, else python3. Without torch it says
# how to get it and succeeds (CI may have no wheel).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -n "${PYTHON:-}" ]; then
  PY="$PYTHON"
elif [ -x "$ROOT/.venv/bin/python" ]; then
  PY="$ROOT/.venv/bin/python"
else
  PY="python3"
fi
if ! "$PY" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "skipped: torch not installed (install: python3 -m venv --system-site-packages .venv && .venv/bin/pip install --no-deps /opt/wheels/torch-*.whl, then PYTHON=.venv/bin/python npm run test:reference)"
  exit 0
fi

BUILD="$ROOT/build/native"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" --target reference_dump -j2 >/dev/null
OUT="$ROOT/build/reference"
rm -rf "$OUT"
mkdir -p "$OUT"
"$BUILD/reference_dump" "$OUT"
"$PY" "$ROOT/scripts/reference_check.py" "$OUT"
