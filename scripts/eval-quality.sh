#!/usr/bin/env bash
# eval-quality.sh: the completion-quality tables (docs/quality-results.md).
#
# For each evaluation code base (Python's stdlib `email` and `unittest`, the src/ of npm mobx 7.1.3 and
# immer 10.1.1), the base model is fine-tuned on the training files ($MINUTES-minute budget, $THREADS
# threads) and scored with `seedling eval` through the editor's request path at end-of-line, mid-line
# and new-line cursors in held-out files, beside the copy and char 12-gram baselines and the other
# decoders, with every answer kept (--details) so the tables can be recomputed.
#
# Usage: scripts/eval-quality.sh BASE_CHECKPOINT [OUT_DIR]
#   env: MINUTES (10), THREADS (2), TASKS (100 per kind), RESULTS (default docs/quality-results.md),
#        REUSE=1 scores the fine-tuned models an earlier run kept in OUT_DIR instead of training again
#        (for a change of decoding or confidence only; a change of training needs a fresh run)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
base="${1:?usage: scripts/eval-quality.sh BASE_CHECKPOINT [OUT_DIR]}"
out="${2:-$root/.cache/eval/quality-runs}"
MINUTES="${MINUTES:-10}"
THREADS="${THREADS:-2}"
TASKS="${TASKS:-100}"
RESULTS="${RESULTS:-$root/docs/quality-results.md}"
mkdir -p "$out"
[ -f dist/cli.js ] || npm run build

# The base model may be rewritten while we run (pretraining in progress): score a frozen copy.
frozen="$out/base.seedling"
cp "$base" "$frozen"
# So may dist/seedling.node (a rebuild replaces a mapped library: SIGBUS mid-run): use a copy.
cp dist/seedling.node "$out/seedling.node"
export SEEDLING_ADDON="$out/seedling.node"

stdlib="$(python3 -c 'import os; print(os.path.dirname(os.__file__))')"
pack() { # name@version -> its unpacked package/src
  local spec="$1" dir="$root/.cache/eval/${1%@*}"
  if [ ! -d "$dir/package/src" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack "$spec" --silent >/dev/null && tar xzf ./*.tgz)
  fi
  [ -d "$dir/package/src" ] || { echo "eval-quality: $spec has no src/" >&2; exit 1; }
  echo "$dir/package/src"
}
declare -A dirs=([email]="$stdlib/email" [unittest]="$stdlib/unittest" [mobx]="$(pack mobx@7.1.3)" [immer]="$(pack immer@10.1.1)")
tables=()
for name in email unittest mobx immer; do
  echo "eval-quality: $name" >&2
  if [ "${REUSE:-0}" = 1 ] && [ -f "$out/$name.seedling" ]; then
    model=(--model "$out/$name.seedling")
  else
    model=(--base "$frozen" --minutes "$MINUTES" --keep "$out/$name.seedling")
  fi
  node dist/cli.js eval "${dirs[$name]}" "${model[@]}" --threads "$THREADS" --tasks "$TASKS" \
    --decoders copy-switch,mixture,model --min-confidence 0 --json --details "$out/$name.jsonl" \
    > "$out/$name.json" 2> "$out/$name.log" || { echo "eval-quality: $name failed, see $out/$name.log" >&2; exit 1; }
  tables+=("$name=$out/$name.jsonl")
done
{
  echo "# Completion quality: the current tables"
  echo
  echo "Made by scripts/eval-quality.sh ($(date -u +%Y-%m-%d)$([ "${REUSE:-0}" = 1 ] && echo ', scoring the fine-tuned models of an earlier run')); how to read them: docs/quality.md."
  node scripts/quality-table.mjs "${tables[@]}"
} > "$RESULTS"
echo "eval-quality: wrote $RESULTS" >&2
