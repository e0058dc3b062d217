#!/usr/bin/env node
// bench.mjs: `npm run bench -- <train|infer|matmul|tokenizer> [options] [--anchor]`
//
// Runs the engine's native benchmark tools (native/tools/bench_*.c, built in build/native) and
// prints their JSON line. With --anchor (train only), also runs PyTorch's trainer on the same model
// and batch in the same run (../shared/bench/torch_gpt_train.py) and prints both figures and the
// ratio: these machines are shared and noisy, so only side-by-side ratios mean anything.
// --anchor-bf16 adds PyTorch with bf16 autocast as a second anchor (and implies --anchor).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build', 'native');
const tools = { train: 'bench_train', infer: 'bench_infer', matmul: 'bench_matmul', tokenizer: 'bench_tokenizer' };

const [kind, ...rest] = process.argv.slice(2);
if (!kind || !(kind in tools) || rest.includes('--help')) {
  console.log(`usage: npm run bench -- <${Object.keys(tools).join('|')}> [tool options] [--anchor]

  train   --preset small --threads 2 --batch 4 --json   training tokens/s, ms/step, peak RSS
  train   --device cuda --preset large --batch 8 --json  the same on an NVIDIA GPU, with MFU
  infer   --preset small --threads 2 --json             prompt/decode tokens/s, cold/warm completion ms
  --anchor (train): also run PyTorch eager on the same model in this run and print the ratio
  --anchor-bf16 (train): also PyTorch eager with bf16 autocast, as a second anchor
  train --precision fp32|bf16|auto picks our matmul precision (auto: the engine's default)`);
  process.exit(kind ? 0 : 1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stdout.write(r.stdout ?? '');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  }
  return r.stdout;
}

function ensureBuilt(tool) {
  const exe = path.join(buildDir, tool);
  // Always let CMake bring the tool up to date: a stale binary would report stale speed.
  if (!existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
    run('cmake', ['-S', root, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  run('cmake', ['--build', buildDir, '--target', tool, '-j2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return exe;
}

function optionValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

function pythonWithTorch() {
  const candidates = [process.env.PYTHON, path.join(root, '.venv', 'bin', 'python'), 'python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

const PRESETS = {
  tiny: { vocab: 512, ctx: 128, d: 64, layers: 2, heads: 2 },
  small: { vocab: 4096, ctx: 512, d: 256, layers: 4, heads: 4 },
  medium: { vocab: 8192, ctx: 1024, d: 384, layers: 6, heads: 6 },
  large: { vocab: 16384, ctx: 1024, d: 768, layers: 12, heads: 12 },
};

const anchorBf16 = rest.includes('--anchor-bf16');
const anchor = anchorBf16 || rest.includes('--anchor');
let toolArgs = rest.filter((a) => a !== '--anchor' && a !== '--anchor-bf16');
// `train --device cuda` runs the CUDA backend's benchmark (cuda/bench_cuda_train.c) instead.
const onCuda = kind === 'train' && optionValue(toolArgs, '--device', 'cpu') === 'cuda';
toolArgs = toolArgs.filter((a, i) => a !== '--device' && toolArgs[i - 1] !== '--device');
const exe = onCuda ? path.join(buildDir, 'cuda', path.basename(ensureBuilt('bench_cuda_train'))) : ensureBuilt(tools[kind]);
const ours = JSON.parse(run(exe, toolArgs.includes('--json') ? toolArgs : [...toolArgs, '--json']).trim().split('\n').pop());

if (!anchor || kind !== 'train' || onCuda) {
  // The GPU's anchor is scripts/torch_gpu_bench.py (scripts/gpu-check.sh runs both side by side).
  console.log(JSON.stringify(anchor && onCuda ? { ...ours, anchor: 'skipped: run scripts/torch_gpu_bench.py' } : ours));
  process.exit(0);
}

const preset = PRESETS[optionValue(toolArgs, '--preset', 'small')];
const py = pythonWithTorch();
if (!preset || !py) {
  console.log(JSON.stringify({ ...ours, anchor: py ? 'skipped: unknown preset' : 'skipped: torch not installed' }));
  process.exit(0);
}
const torchScript = path.join(root, '..', 'shared', 'bench', 'torch_gpt_train.py');
const threads = optionValue(toolArgs, '--threads', '2');
const batch = optionValue(toolArgs, '--batch', '4');
const torchTokensPerSecond = (extra) => {
  const out = run(py, [torchScript, '--vocab', preset.vocab, '--ctx', preset.ctx, '--d', preset.d, '--layers',
    preset.layers, '--heads', preset.heads, '--batch', batch, '--threads', threads, ...extra].map(String));
  return Number(/tokens_per_s=(\d+)/.exec(out)?.[1]);
};
const ratio = (x, y) => Number((x / y).toFixed(3));
const torchTps = torchTokensPerSecond([]);
const result = {
  ...ours,
  anchor: 'pytorch-eager-fp32',
  anchor_tokens_per_s: torchTps,
  ratio_vs_anchor: ratio(ours.tokens_per_s, torchTps),
};
if (anchorBf16) {
  const bf16Tps = torchTokensPerSecond(['--bf16']);
  Object.assign(result, {
    anchor_bf16: 'pytorch-eager-bf16-autocast',
    anchor_bf16_tokens_per_s: bf16Tps,
    ratio_vs_anchor_bf16: ratio(ours.tokens_per_s, bf16Tps),
  });
}
result.load_avg_1m = Number(os.loadavg()[0].toFixed(2)); // how busy the shared machine was
console.log(JSON.stringify(result));
