#!/usr/bin/env bash
# eval-quality.sh: the completion-quality evidence table (docs/quality-results.md).
#
# For each evaluation corpus (Python's stdlib `email` package, npm mobx's src/), three models, each
# scored with `seedling eval` beside the copy and char 12-gram baselines on the same held-out lines:
#   base         the pretrained base model alone (--model)
#   base+ft      the base fine-tuned on the corpus's training files for $MINUTES minutes
#   scratch      a model and tokenizer trained from scratch for $MINUTES minutes
# Every model is scored with the strategies in $VARIANTS (see `seedling eval --help`), the first of
# which should be the shipped default.
#
# Usage: scripts/eval-quality.sh BASE_CHECKPOINT [OUT_DIR]
#   env: MINUTES (10), THREADS (2), TASKS (300), VARIANTS, CONTEXT_SHARE (training packing share),
#        RESULTS (where the table goes; default docs/quality-results.md)
# Runs one evaluation at a time (about 2 x (MINUTES + a few) minutes per corpus); JSON per run in
# OUT_DIR (default .cache/eval/quality-runs), the table in docs/quality-results.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
base="${1:?usage: scripts/eval-quality.sh BASE_CHECKPOINT [OUT_DIR]}"
out="${2:-$root/.cache/eval/quality-runs}"
MINUTES="${MINUTES:-10}"
THREADS="${THREADS:-2}"
TASKS="${TASKS:-300}"
RESULTS="${RESULTS:-$root/docs/quality-results.md}"
VARIANTS="${VARIANTS:-prefix+heal+copy1,prefix+heal,fim,prefix,prefix+heal+retrieve,prefix+heal+copy4,prefix+heal+retrieve+copy4,prefix+heal+rank4}"
mkdir -p "$out"
[ -f dist/cli.js ] || npm run build

# The base model may be rewritten while we run (pretraining in progress): score a frozen copy.
frozen="$out/base.seedling"
cp "$base" "$frozen"
# So may dist/seedling.node (a rebuild replaces a mapped library: SIGBUS mid-run): use a copy.
cp dist/seedling.node "$out/seedling.node"
export SEEDLING_ADDON="$out/seedling.node"

email="${EMAIL_DIR:-$(python3 -c 'import email, os; print(os.path.dirname(email.__file__))')}"
mobx_dir="$root/.cache/eval/mobx"
if [ ! -d "$mobx_dir/package/src" ]; then
  mkdir -p "$mobx_dir"
  (cd "$mobx_dir" && npm pack mobx@7.1.3 --silent >/dev/null && tar xzf mobx-*.tgz)
fi
[ -d "$mobx_dir/package/src" ] || { echo "eval-quality: mobx has no src/ in $mobx_dir/package" >&2; exit 1; }

share=()
[ -n "${CONTEXT_SHARE:-}" ] && share=(--context-share "$CONTEXT_SHARE")
common=(--tasks "$TASKS" --threads "$THREADS" --json --variants "$VARIANTS")
run() { # name dir args...
  local name="$1" dir="$2"; shift 2
  echo "eval-quality: $name" >&2
  node dist/cli.js eval "$dir" "${common[@]}" "$@" > "$out/$name.json" 2> "$out/$name.log" \
    || { echo "eval-quality: $name failed, see $out/$name.log" >&2; exit 1; }
}
for corpus in email mobx; do
  dir="$email"; [ "$corpus" = mobx ] && dir="$mobx_dir/package/src"
  run "$corpus-base" "$dir" --model "$frozen"
  run "$corpus-base+ft" "$dir" --base "$frozen" --minutes "$MINUTES" "${share[@]}"
  run "$corpus-scratch" "$dir" --from-scratch --minutes "$MINUTES" "${share[@]}"
done
node scripts/quality-results.mjs "$out" "email-base" "email-base+ft" "email-scratch" "mobx-base" "mobx-base+ft" "mobx-scratch" \
  --note "budget ${MINUTES} min of training on ${THREADS} threads; ${TASKS} tasks per corpus (fewer if the held-out files have fewer lines)" \
  > "$RESULTS"
echo "eval-quality: wrote $RESULTS" >&2
