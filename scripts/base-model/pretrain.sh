#!/usr/bin/env bash
# pretrain.sh RUN_DIR: pretrains the small preset from scratch to the end of a 32,000-step cosine
# schedule (batch 4 x 512: about 65M tokens, 3 passes over the 21.6M-token corpus), on one thread at
# the lowest priority, so the other core stays free for building and testing (issue 15).
#
# RUN_DIR gets its own copy of dist/ (a rebuild of the repository's dist/ would replace a library the
# run has mapped) and a link to the corpus (python3 scripts/base-model/build_corpus.py build).
# Resumable: run it again after an interruption and it continues from the last checkpoint, which holds
# the optimizer state and the data stream's position, for the steps that remain. Logs: RUN_DIR/train-*.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
run="${1:?usage: scripts/base-model/pretrain.sh RUN_DIR}"
total="${STEPS:-32000}"
mkdir -p "$run"
cd "$run"
[ -d dist ] || cp -r "$root/dist" dist
[ -e corpus ] || ln -s "$root/.cache/base-corpus" corpus
[ -d corpus/train ] || { echo "pretrain: no corpus; run python3 scripts/base-model/build_corpus.py build" >&2; exit 1; }
args=(train corpus/train --out run.seedling --preset small --from-scratch --threads 1 --seed 7 --patience 0)
if [ -f run.seedling ]; then
  done_steps=$(grep -ho 'checkpoint at step [0-9]*' train-*.log | tail -1 | grep -o '[0-9]*$')
  args+=(--resume --steps $((total - done_steps)))
else
  args+=(--steps "$total")
fi
log="train-$(date -u +%Y%m%dT%H%M%S).log"
exec nice -n 19 node dist/cli.js "${args[@]}" > "$log" 2>&1
