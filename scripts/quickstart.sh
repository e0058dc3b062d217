#!/usr/bin/env bash
# quickstart.sh (`npm run quickstart`): build everything, train a model on the bundled sample
# workspace for a minute or two, show a few completions from it, and package the VSIX.
#   PRESET=tiny|small (default small)   MINUTES=N (default 1.5)   THREADS=N (default: all cores)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PRESET="${PRESET:-small}"
MINUTES="${MINUTES:-1.5}"
OUT_DIR="$ROOT/build/quickstart"
CHECKPOINT="$OUT_DIR/sample-$PRESET.seedling"
WORKSPACE="$ROOT/test/fixtures/sample-workspace"
THREAD_ARGS=()
if [ -n "${THREADS:-}" ]; then THREAD_ARGS=(--threads "$THREADS"); fi

echo "== 1/4 build"
node scripts/build.mjs

echo "== 2/4 train the $PRESET preset for $MINUTES min on $WORKSPACE"
mkdir -p "$OUT_DIR"
node dist/cli.js train "$WORKSPACE" --out "$CHECKPOINT" --preset "$PRESET" --minutes "$MINUTES" "${THREAD_ARGS[@]}"

echo "== 3/4 completions"
complete() {
  printf '%s' "$1"
  printf '\033[2m%s\033[0m\n---\n' "$(node dist/cli.js complete --model "$CHECKPOINT" --prefix "$1" --suffix "${2:-}" --max-tokens 24 "${THREAD_ARGS[@]}")"
}
complete $'class LruCache {\n  constructor({ maxEntries = 100, ttlMs = 0 } = {}) {\n    this.'
complete $'function sleep(ms) {\n  return new Promise((resolve) => '
complete $'def parse_line(line):\n    parts = '
complete $'module.exports = { ' $' };\n'

echo "== 4/4 package"
node scripts/package.mjs --no-build | tail -1

VSIX="$(ls -t "$ROOT"/dist/*.vsix | head -1)"
echo
echo "checkpoint: $CHECKPOINT"
echo "extension:  $VSIX   (install: code --install-extension \"$VSIX\")"
echo "try:        node dist/cli.js complete --model \"$CHECKPOINT\" --prefix 'function '"
