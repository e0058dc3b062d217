#!/usr/bin/env bash
# test-native-cross.sh (`npm run test:native-cross`): the engine and its CTest tests built for two
# more platforms and run on this linux-x64 machine:
#   linux-arm64  Debian's cross gcc (crossbuild-essential-arm64), the tests under qemu-aarch64:
#                the NEON kernels against the references, and all the portable C on arm64
#   win32-x64    mingw-w64 (gcc-mingw-w64-x86-64), the tests under Wine: platform_win32.c and
#                the x86 kernels as Windows runs them
# Release builds of the engine library and its tests only (no addon, no benchmark tools), in
# build/cross-arm64 and build/cross-win64. Left out on both: the CUDA tests (test:cuda) and
# test_overfit (a minute of training natively; it checks convergence of the same C code that
# test_training and test_gradcheck already run here, and the kernels have their own tests).
#
# Where a toolchain or emulator is missing the platform is skipped, and the last line says so
# ("skipped: ..."), unless SL_CROSS_REQUIRED=1 (.ci/run sets it, after installing them): then a
# missing tool is a failure, so CI cannot pass without really running both.
#
# Environment: SL_TEST_JOBS (default 2), SL_CROSS_REQUIRED, SL_CROSS_ONLY=arm64|win64.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${SL_TEST_JOBS:-2}"
EXCLUDE="cuda|test_overfit"
REQUIRED="${SL_CROSS_REQUIRED:-0}"
results=()
skipped=()
failed=0

# The first of the commands that exists, or nothing.
first_tool() {
  for t in "$@"; do
    if command -v "$t" >/dev/null 2>&1; then echo "$t"; return; elif [ -x "$t" ]; then echo "$t"; return; fi
  done
}

# run_platform NAME TOOLCHAIN DIR: configure, build, CTest; a result line per platform.
run_platform() {
  local name="$1" toolchain="$2" dir="$3" start=$SECONDS
  echo "== $name: configure ($dir)"
  rm -f "$dir/CMakeCache.txt" # the emulator found by the toolchain file may have moved
  if ! cmake -S "$ROOT" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$ROOT/$toolchain" -DCMAKE_BUILD_TYPE=Release \
       -DSL_BUILD_TOOLS=OFF >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"
    results+=("FAIL  $name: cmake configure failed"); failed=1; return
  fi
  echo "== $name: build"
  if ! cmake --build "$dir" -j"$JOBS" >"$dir.build.log" 2>&1; then
    grep -E -B3 'error:|undefined reference|Error [0-9]' "$dir.build.log" | grep -Ev '^\[ *[0-9]+%\]' | head -60
    results+=("FAIL  $name: build failed (full log: ${dir#$ROOT/}.build.log)"); failed=1; return
  fi
  grep -E 'warning:' "$dir.build.log" | sort -u | head -20
  local built=$((SECONDS - start))
  echo "== $name: test (built in ${built}s)"
  local log="$dir/ctest.log"
  ctest --test-dir "$dir" -j"$JOBS" -E "$EXCLUDE" --output-on-failure 2>&1 | tee "$log"
  local rc="${PIPESTATUS[0]}"
  local summary
  summary="$(grep -E 'tests passed|No tests were found' "$log" | tail -1)"
  local secs="build ${built}s, tests $((SECONDS - start - built))s"
  if [ "$rc" -ne 0 ] || ! grep -q 'tests passed' "$log"; then
    results+=("FAIL  $name: ${summary:-ctest exit $rc} ($secs; failed: $(grep -E '^\s+[0-9]+ - ' "$log" | sed -E 's/^\s+[0-9]+ - //; s/ \(.*//' | tr '\n' ' '))")
    failed=1
  else
    results+=("PASS  $name: $summary ($secs; excluded: $EXCLUDE)")
  fi
}

# skip_platform NAME WHY
skip_platform() {
  if [ "$REQUIRED" = 1 ]; then
    results+=("FAIL  $1: $2 (SL_CROSS_REQUIRED=1)"); failed=1
  else
    results+=("SKIP  $1: $2"); skipped+=("$1 ($2)")
  fi
}

mkdir -p build
ONLY="${SL_CROSS_ONLY:-}"

if [ -z "$ONLY" ] || [ "$ONLY" = arm64 ]; then
  if [ -z "$(first_tool aarch64-linux-gnu-gcc)" ]; then
    skip_platform linux-arm64 "no aarch64-linux-gnu-gcc (apt-get install crossbuild-essential-arm64)"
  elif [ -z "$(first_tool qemu-aarch64 qemu-aarch64-static)" ]; then
    skip_platform linux-arm64 "no qemu-aarch64 (apt-get install qemu-user)"
  else
    export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
    run_platform "linux-arm64 (qemu-aarch64)" cmake/aarch64-linux-gnu.cmake "$ROOT/build/cross-arm64"
  fi
fi

if [ -z "$ONLY" ] || [ "$ONLY" = win64 ]; then
  wine="$(first_tool /usr/lib/wine/wine64 wine64 wine)"
  if [ -z "$(first_tool x86_64-w64-mingw32-gcc-win32 x86_64-w64-mingw32-gcc)" ]; then
    skip_platform win32-x64 "no x86_64-w64-mingw32-gcc (apt-get install gcc-mingw-w64-x86-64)"
  elif [ -z "$wine" ]; then
    skip_platform win32-x64 "no wine (apt-get install wine wine64)"
  else
    # A prefix of our own (never the user's ~/.wine), made once; no display is needed for console
    # programs, and Wine's own debug chatter is off.
    export WINEPREFIX="$ROOT/.cache/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
      echo "== win32-x64: creating the Wine prefix .cache/wine"
      mkdir -p "$WINEPREFIX"
      "$wine" wineboot --init >/dev/null 2>&1 || true
    fi
    # One Wine server and one set of Wine's own background processes (services.exe, winedevice...)
    # for the whole run, started here with their output to /dev/null. Started by the first test
    # instead, they would inherit that test's output pipe and outlive it, and CTest, waiting for
    # the pipe to close, held that test until the last one ended (or timed it out).
    wineserver="$(first_tool /usr/lib/wine/wineserver64 wineserver)"
    if [ -n "$wineserver" ]; then
      "$wineserver" -p >/dev/null 2>&1
      trap '"$wineserver" -k >/dev/null 2>&1' EXIT
    fi
    "$wine" wineboot >/dev/null 2>&1 </dev/null || true
    run_platform "win32-x64 (Wine)" cmake/x86_64-w64-mingw32.cmake "$ROOT/build/cross-win64"
  fi
fi

echo
echo "== cross-platform native test summary"
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then exit 1; fi
if [ "${#skipped[@]}" -gt 0 ]; then
  echo "skipped: $(IFS=';'; echo "${skipped[*]}")"
fi
exit 0
