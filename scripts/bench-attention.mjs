#!/usr/bin/env node
// bench-attention.mjs: how fast the attention inspector's engine request answers for a full context
// (512 tokens, small preset, 2 threads by default), straight through the engine child process as the
// extension uses it. Prints JSON. The model is trained for a couple of steps only: attention costs
// the same for any weights of a given shape.
//
//   node scripts/bench-attention.mjs [--preset small] [--threads 2] [--repeat 7]
import { fork } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const preset = arg('preset', 'small');
const threads = Number(arg('threads', 2));
const repeat = Number(arg('repeat', 7));

const engine = fork(path.join(root, 'dist', 'engineProcess.js'), [], { env: { ...process.env, SEEDLING_THREADS: String(threads) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let nextId = 1;
const pending = new Map();
engine.on('message', (m) => {
  if (m && typeof m.id === 'number' && ('result' in m || 'error' in m) && pending.has(m.id)) {
    const { resolve, reject } = pending.get(m.id);
    pending.delete(m.id);
    if ('error' in m) reject(new Error(`${m.error.code}: ${m.error.message}`)); else resolve(m.result);
  }
});
const request = (method, params) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  engine.send({ id, method, params });
});

const scratch = await mkdtemp(path.join(tmpdir(), 'seedling-bench-attention-'));
try {
  const fixture = path.join(root, 'test', 'fixtures', 'e2e-workspace', 'src');
  const files = (await readdir(fixture)).map((f) => path.join(fixture, f));
  const checkpointPath = path.join(scratch, 'model.seedling');
  await request('train', { files, checkpointPath, preset, maxSteps: 2, threads, device: 'cpu', seed: 1 });
  const loaded = await request('loadModel', { path: checkpointPath });
  const ctx = loaded.config.contextLength;
  // Enough code to fill the context whatever the tokenizer's compression.
  const { readFile } = await import('node:fs/promises');
  let text = '';
  for (const f of files) text += await readFile(f, 'utf8');
  while (text.length < ctx * 16) text += text;
  const runs = [];
  let tokens = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await request('attention', { text, maxTokens: ctx });
    const roundTrip = performance.now() - t0;
    tokens = r.tokens.length;
    runs.push({ engineMs: r.ms, roundTripMs: roundTrip, payloadBytes: r.weights.flat().reduce((n, s) => n + s.length, 0) });
  }
  const med = (k) => { const v = runs.map((r) => r[k]).sort((a, b) => a - b); return +v[v.length >> 1].toFixed(1); };
  console.log(JSON.stringify({
    bench: 'attention', preset, threads, tokens, layers: loaded.config.nLayers, heads: loaded.config.nHeads, repeat,
    firstEngineMs: +runs[0].engineMs.toFixed(1), medianEngineMs: med('engineMs'), medianRoundTripMs: med('roundTripMs'),
    base64Bytes: runs[0].payloadBytes, targetMs: 300,
  }));
} finally {
  await request('shutdown', {}).catch(() => {});
  engine.kill();
  await rm(scratch, { recursive: true, force: true });
}
