#!/usr/bin/env bash
# test-cuda.sh (`npm run test:cuda`): the CUDA backend's tests, where a CUDA device is present.
# Elsewhere it says so and succeeds: CI compiles the CUDA code but has no GPU to run it on.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "skipped: no CUDA device"
  exit 0
fi

# The CUDA tests are CTest tests labelled "cuda" (test/cuda/test_cuda_*), built with the CUDA backend.
BUILD="$ROOT/build/cuda-tests"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
if ! ctest --test-dir "$BUILD" -N -L cuda | grep -q 'Total Tests: [1-9]'; then
  echo "skipped: no CUDA tests built (is nvcc on PATH?)"
  exit 0
fi
ctest --test-dir "$BUILD" -L cuda --output-on-failure

# Training throughput on the GPU (JSON), a short run of the large preset.
"$BUILD/cuda/bench_cuda_train" --preset large --batch 8 --steps 10 --json
