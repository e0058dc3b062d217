#!/usr/bin/env node
// bench-attention.mjs: how fast the attention inspector answers for a full context (512 tokens, small
// preset, 2 threads by default), through the code the extension runs: EngineClient (engine child
// process, advanced IPC serialization) and the host's view building (attentionData.ts), bundled here
// with esbuild from the sources. Prints JSON:
//   engineMs          sl_model_attention and the engine process's own work (the engine's `ms`)
//   engineToHostMs    request to answer in the host (engine plus the 16 MB tensor over IPC)
//   roundTripMs       engineToHostMs plus building the webview's message (last rows, previews): what the
//                     inspector's header shows as "round trip"; the target is 300 ms
//   headMatrixMs / averageMatrixMs   answering the webview's request for one head's full matrix / a
//                     layer's mean over heads, from the kept answer
//   *Bytes            what crosses each boundary (typed arrays' bytes plus the JSON of the rest)
// The load average is printed too: these machines are shared, so compare runs taken together. The model
// is trained for a couple of steps only: attention costs the same for any weights of a given shape.
//
//   node scripts/bench-attention.mjs [--preset small] [--threads 2] [--repeat 7]   (needs npm run build)
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSource } from './require-source.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const preset = arg('preset', 'small');
const threads = Number(arg('threads', 2));
const repeat = Number(arg('repeat', 7));

/** Bytes of a message as it crosses: each typed array's bytes, plus the JSON of everything else. */
function messageBytes(message) {
  let binary = 0;
  const json = JSON.stringify(message, (_k, v) => {
    if (ArrayBuffer.isView(v)) { binary += v.byteLength; return null; }
    return v;
  });
  return binary + Buffer.byteLength(json);
}

const scratch = await mkdtemp(path.join(tmpdir(), 'seedling-bench-attention-'));
let client;
try {
  const { EngineClient, toAttentionView, matrixFor } = await requireSource(
    "export { EngineClient } from './src/shared/engineClient';\n" +
    "export { toAttentionView, matrixFor } from './src/host/dashboard/attentionData';\n");
  client = new EngineClient({ enginePath: path.join(root, 'dist', 'engineProcess.js'), env: { SEEDLING_THREADS: String(threads) } });

  const fixture = path.join(root, 'test', 'fixtures', 'e2e-workspace', 'src');
  const files = (await readdir(fixture)).map((f) => path.join(fixture, f));
  const checkpointPath = path.join(scratch, 'model.seedling');
  await client.request('train', { files, checkpointPath, preset, maxSteps: 2, threads, device: 'cpu', seed: 1 });
  const loaded = await client.request('loadModel', { path: checkpointPath });
  const ctx = loaded.config.contextLength;
  // Enough code to fill the context whatever the tokenizer's compression.
  let text = '';
  for (const f of files) text += await readFile(f, 'utf8');
  while (text.length < ctx * 16) text += text;

  const runs = [];
  let sizes;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await client.request('attention', { text, maxTokens: ctx });
    const t1 = performance.now();
    const view = toAttentionView(r, i, 'bench', 0, false);
    const t2 = performance.now();
    const head = matrixFor(r, i, 0, 0, false);
    const t3 = performance.now();
    const mean = matrixFor(r, i, 0, 0, true);
    const t4 = performance.now();
    runs.push({ engineMs: r.ms, engineToHostMs: t1 - t0, roundTripMs: t2 - t0, headMatrixMs: t3 - t2, averageMatrixMs: t4 - t3 });
    sizes ??= {
      tokens: r.tokens.length,
      engineToHostBytes: messageBytes({ id: 1, result: r }),
      toWebviewBytes: messageBytes({ type: 'attention', view }),
      headMatrixBytes: messageBytes({ type: 'attentionMatrix', matrix: head }),
      averageMatrixBytes: messageBytes({ type: 'attentionMatrix', matrix: mean }),
      allMatricesBytes: r.weights.byteLength, // what the webview used to get
    };
  }
  const med = (k) => { const v = runs.map((r) => r[k]).sort((a, b) => a - b); return +v[v.length >> 1].toFixed(1); };
  console.log(JSON.stringify({
    bench: 'attention', preset, threads, tokens: sizes.tokens, layers: loaded.config.nLayers, heads: loaded.config.nHeads, repeat,
    firstEngineMs: +runs[0].engineMs.toFixed(1), medianEngineMs: med('engineMs'), medianEngineToHostMs: med('engineToHostMs'),
    medianRoundTripMs: med('roundTripMs'), medianHeadMatrixMs: med('headMatrixMs'), medianAverageMatrixMs: med('averageMatrixMs'),
    engineToHostBytes: sizes.engineToHostBytes, toWebviewBytes: sizes.toWebviewBytes, headMatrixBytes: sizes.headMatrixBytes,
    averageMatrixBytes: sizes.averageMatrixBytes, allMatricesBytes: sizes.allMatricesBytes,
    targetMs: 300, loadAverage: loadavg().map((x) => +x.toFixed(2)),
  }));
} finally {
  await client?.dispose().catch(() => {});
  await rm(scratch, { recursive: true, force: true });
}
