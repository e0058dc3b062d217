#!/usr/bin/env bash
# quickstart.sh (`npm run quickstart`): build everything, fine-tune the base model on the bundled
# sample workspace (a minute or two at most), show what the editor would suggest at cursors in files
# it did not train on, and package the VSIX.
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

echo "== 2/4 train the $PRESET preset for up to $MINUTES min on $WORKSPACE (all but its held-out files)"
mkdir -p "$OUT_DIR"
# seedling eval trains on the workspace's training files, indexes them as the editor indexes an open
# folder, and asks the engine what the editor would ask at cursors of each kind in the held-out files
# (sampled by a fixed seed, not picked for the model's strengths), beside two baselines.
node dist/cli.js eval "$WORKSPACE" --keep "$CHECKPOINT" --preset "$PRESET" --minutes "$MINUTES" --tasks 2 \
  --details "$OUT_DIR/demo.jsonl" "${THREAD_ARGS[@]}"

echo "== 3/4 what the editor shows at those cursors"
node scripts/quickstart-demo.mjs "$OUT_DIR/demo.jsonl"

echo "== 4/4 package"
node scripts/package.mjs --no-build | tail -1

VSIX="$(ls -t "$ROOT"/dist/*.vsix | head -1)"
echo
echo "checkpoint: $CHECKPOINT"
echo "extension:  $VSIX   (install: code --install-extension \"$VSIX\")"
echo "try:        node dist/cli.js complete --model \"$CHECKPOINT\" --workspace \"$WORKSPACE\" --prefix 'function '"
