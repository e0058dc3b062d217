#!/usr/bin/env bash
# native/fuzz/run.sh [SECONDS]: build the checkpoint fuzz target with clang (libFuzzer + ASan +
# UBSan) and fuzz it for SECONDS (default 120), starting from test/native/corpus/.
# Needs clang with libFuzzer: on Debian, `apt-get install clang-14 libclang-rt-14-dev`.
# New inputs go to build/fuzz/corpus (not committed); crashes to build/fuzz/crash-*. A crash
# found should be fixed and its input added to test/native/corpus/ so the CTest replay keeps it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_TO_RUN="${1:-120}"
CLANG="${CLANG:-$(command -v clang || command -v clang-14 || true)}"
if [ -z "$CLANG" ]; then
  echo "skipped: clang not found (apt-get install clang-14 libclang-rt-14-dev)"
  exit 0
fi
OUT="$ROOT/build/fuzz"
# The engine library compiled for fuzzing by the project's own CMake (same sources and SIMD
# flags), instrumented for coverage and sanitizers; the fuzzer main is linked in below.
cmake -S "$ROOT" -B "$OUT/engine" -DCMAKE_C_COMPILER="$CLANG" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSL_SANITIZE=ON -DSL_BUILD_TESTS=OFF \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" >/dev/null
cmake --build "$OUT/engine" --target seedling_engine -j2 >/dev/null
"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$ROOT/native/include" "$ROOT/native/fuzz/fuzz_checkpoint.c" "$OUT/engine/libseedling_engine.a" \
  -lm -lpthread -ldl -o "$OUT/fuzz_checkpoint"
mkdir -p "$OUT/corpus"
cd "$OUT"
# -rss_limit_mb: a model the file really holds is small; -max_len keeps inputs in that range.
"$OUT/fuzz_checkpoint" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -rss_limit_mb=2048 \
  -print_final_stats=1 "$OUT/corpus" "$ROOT/test/native/corpus"
