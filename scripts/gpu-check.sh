#!/usr/bin/env bash
# gpu-check.sh: everything the CUDA backend must show, in one unattended run on a GPU machine,
# from a fresh copy of the repository:
#   bash scripts/gpu-check.sh            (logs go to $OUT, else ./gpu-logs)
# Steps: environment report, configure + build (Release, only the GPU's architecture), the CUDA
# parity tests, the training benchmark for the large preset and for GPT-2 124M's shape, and
# PyTorch on the same models when torch with CUDA is importable. Every step has a hard timeout and
# its own log; summary.txt lists each step's exit status, and the script exits non-zero if a test
# or build step failed. Budget: a few minutes on an H100/H200 (the build is most of it).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOGS="${OUT:-$ROOT/gpu-logs}"
BUILD="$ROOT/build/gpu-check"
mkdir -p "$LOGS"
SUMMARY="$LOGS/summary.txt"
: >"$SUMMARY"
FAILED=0
START=$(date +%s)

# step NAME SECONDS MUST_PASS COMMAND...: run with a hard timeout, log to NAME.log, show the tail.
step() {
  local name="$1" limit="$2" must="$3"
  shift 3
  local t0=$(date +%s)
  echo "=== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" >"$LOGS/$name.log" 2>&1
  local rc=$?
  local verdict="ok"
  [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && verdict="TIMEOUT"
  [ "$rc" -ne 0 ] && [ "$verdict" = ok ] && verdict="FAILED"
  [ "$rc" -ne 0 ] && [ "$must" = must ] && FAILED=1
  printf '%-28s rc=%-3s %-8s %4ss\n' "$name" "$rc" "$verdict" "$(( $(date +%s) - t0 ))" | tee -a "$SUMMARY"
  tail -n 40 "$LOGS/$name.log"
  return $rc
}

step environment 60 info bash -c 'nvidia-smi; nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv;
  command -v nvcc && nvcc --version; cmake --version | head -1; gcc --version | head -1; nproc; free -g | head -2'

# Compile for this GPU only (fast); fall back to the default list (sm_80, sm_90, PTX).
ARCH_FLAG=()
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')
if [[ "$CAP" =~ ^[0-9]+$ ]]; then ARCH_FLAG=("-DSL_CUDA_ARCHITECTURES=${CAP}-real"); fi
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi

step configure 180 must cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release "${ARCH_FLAG[@]}" || { echo "configure failed"; exit 1; }
step build 480 must cmake --build "$BUILD" -j"$(nproc)" --target seedling_cuda bench_cuda_train test_cuda_kernels \
  test_cuda_training test_cuda_engine_api test_device_choice || { echo "build failed"; exit 1; }

export SEEDLING_CUDA_LIB="$BUILD/cuda/libseedling_cuda.so"
cd "$ROOT"
step test_cuda_kernels 180 must "$BUILD/cuda/test_cuda_kernels"
step test_cuda_training 240 must "$BUILD/cuda/test_cuda_training"
step test_cuda_engine_api 300 must "$BUILD/cuda/test_cuda_engine_api"
step test_device_choice 60 must "$BUILD/test_device_choice"
# On this machine a skip is a failure: it means the GPU was not usable (e.g. a driver older than
# the CUDA runtime the backend was built with).
if grep -q "skipped: no CUDA device" "$LOGS"/test_cuda_*.log; then
  echo "CUDA tests were SKIPPED on a GPU machine: see test_cuda_kernels.log" | tee -a "$SUMMARY"
  FAILED=1
fi

# Benchmarks: ours, then PyTorch on the same shapes (JSON lines in the logs and in bench.jsonl).
BENCH="$BUILD/cuda/bench_cuda_train"
step bench_large 240 must "$BENCH" --preset large --batch 8 --seq 1024 --steps 20 --json
step bench_gpt2_124m 300 must "$BENCH" --preset large --vocab 50304 --ctx 1024 --d 768 --layers 12 --heads 12 \
  --batch 8 --seq 1024 --steps 20 --json
step bench_large_fp32 240 info "$BENCH" --preset large --batch 8 --seq 1024 --steps 5 --fp32 --json
PY=$(command -v python3 || command -v python || true)
if [ -n "$PY" ] && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  step torch_large 420 info "$PY" scripts/torch_gpu_bench.py --vocab 16384 --ctx 1024 --d 768 --layers 12 --heads 12 \
    --batch 8 --steps 20 --modes eager,compile
  step torch_gpt2_124m 420 info "$PY" scripts/torch_gpu_bench.py --vocab 50304 --ctx 1024 --d 768 --layers 12 --heads 12 \
    --batch 8 --steps 20 --modes eager,compile
else
  echo "torch with CUDA not importable: PyTorch comparison skipped" | tee -a "$SUMMARY"
fi
cat "$LOGS"/bench_*.log "$LOGS"/torch_*.log 2>/dev/null | grep '^{' >"$LOGS/bench.jsonl"

echo "=== summary ($(( $(date +%s) - START ))s)"
cat "$SUMMARY"
echo "--- benchmarks"
cat "$LOGS/bench.jsonl"
exit $FAILED
