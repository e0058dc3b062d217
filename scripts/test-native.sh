#!/usr/bin/env bash
# test-native.sh (`npm run test:native`): the engine's CTest tests (every test/native/test_*.c),
# twice: an optimised Release build (build/native) and a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (build/native-asan), where any out-of-bounds access, leak, use after
# free or undefined behaviour fails the test with the sanitizer's report in the output.
#
# CUDA tests (names containing "cuda") belong to `npm run test:cuda` and are left out here.
# The sanitized run also leaves out tests matching $SL_ASAN_EXCLUDE (a CTest regex; default
# test_overfit: ~50 s in Release, several minutes under ASan, and it only runs the training code
# that test_training and test_gradcheck already exercise under the sanitizers). test_matmul stays
# in although it is the slowest sanitized test (~3.5 min here): its awkward shapes are exactly
# where an out-of-bounds read in a SIMD kernel would hide.
#
# Environment: SL_TEST_JOBS (default 2), SL_ASAN_EXCLUDE (regex, "" = run all), SL_SKIP_ASAN=1.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${SL_TEST_JOBS:-2}"
ASAN_EXCLUDE="${SL_ASAN_EXCLUDE-test_overfit}"

results=()
failed=0

# build_and_test NAME DIR EXCLUDE_REGEX CMAKE_ARGS...
build_and_test() {
  local name="$1" dir="$2" exclude="$3"
  shift 3
  echo "== $name: configure ($dir)"
  if ! cmake -S "$ROOT" -B "$dir" "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"
    results+=("FAIL  $name: cmake configure failed")
    failed=1
    return
  fi
  echo "== $name: build"
  if ! cmake --build "$dir" -j"$JOBS" >"$dir.build.log" 2>&1; then
    grep -E -B3 'error:|undefined reference|Error [0-9]' "$dir.build.log" | grep -Ev '^\[ *[0-9]+%\]' | head -60
    results+=("FAIL  $name: build failed (errors above; full log: ${dir#$ROOT/}.build.log)")
    failed=1
    return
  fi
  grep -E 'warning:' "$dir.build.log" | sort -u | head -20
  echo "== $name: test"
  local regex="cuda"
  [ -n "$exclude" ] && regex="cuda|$exclude"
  local log="$dir/ctest.log"
  # --output-on-failure prints a failing test's whole output: the CHECK lines and, in the
  # sanitized build, the AddressSanitizer / UBSan report with its stack.
  ctest --test-dir "$dir" -j"$JOBS" -E "$regex" --output-on-failure 2>&1 | tee "$log"
  local rc="${PIPESTATUS[0]}"
  local summary
  summary="$(grep -E 'tests passed|No tests were found' "$log" | tail -1)"
  if [ "$rc" -ne 0 ]; then
    results+=("FAIL  $name: ${summary:-ctest exit $rc} (failed: $(grep -E '^\s+[0-9]+ - ' "$log" | sed -E 's/^\s+[0-9]+ - //; s/ \(.*//' | tr '\n' ' '))")
    failed=1
  else
    results+=("PASS  $name: ${summary}${exclude:+ (excluded: $exclude)}")
  fi
}

mkdir -p build
build_and_test "Release" "$ROOT/build/native" "" -DCMAKE_BUILD_TYPE=Release
if [ "${SL_SKIP_ASAN:-0}" != 1 ]; then
  # halt_on_error: the first report fails the test; detect_leaks: a leak is a failure too.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  build_and_test "ASan+UBSan" "$ROOT/build/native-asan" "$ASAN_EXCLUDE" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSL_SANITIZE=ON
fi

echo
echo "== native test summary"
printf '%s\n' "${results[@]}"
exit "$failed"
