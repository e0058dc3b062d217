/**
 * The engine channel's structured-clone serialization, and the attention answer end to end:
 *  - against a small echo engine (this file writes it): typed arrays, NaN and undefined cross as they
 *    are, and a value structured clone refuses is a clear error, not a hang;
 *  - against the REAL engine (dist/engineProcess.js, needs npm run build): the attention weights arrive
 *    as one Float32Array of layers x heads x T x T causal rows, and the host turns them into the
 *    webview's view and matrices.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { matrixFor, toAttentionView } from '../../src/host/dashboard/attentionData';
import { EngineClient } from '../../src/shared/engineClient';

const ECHO_ENGINE = `
process.on('message', (m) => {
  if (m.method === 'shutdown') { process.send({ id: m.id, result: null }); return setImmediate(() => process.exit(0)); }
  process.send({ id: m.id, result: { echo: m.params, made: new Float32Array([0.25, NaN, -1]) } });
});
`;

type LooseClient = { request(method: string, params: unknown): Promise<any> };

test('typed arrays, NaN and undefined cross the engine channel unchanged', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-echo-engine-'));
  const enginePath = path.join(dir, 'echoEngine.js');
  writeFileSync(enginePath, ECHO_ENGINE);
  const client = new EngineClient({ enginePath });
  try {
    const loose = client as unknown as LooseClient;
    const sent = { bytes: new Uint8Array([1, 2, 255]), loss: NaN, maybe: undefined, nested: [{ x: 1.5 }] };
    const r = await loose.request('echo', sent);
    assert.ok(r.made instanceof Float32Array, `got ${r.made?.constructor?.name}`);
    assert.deepEqual([...r.made], [0.25, NaN, -1]);
    assert.ok(r.echo.bytes instanceof Uint8Array);
    assert.deepEqual([...r.echo.bytes], [1, 2, 255]);
    assert.ok(Number.isNaN(r.echo.loss));
    assert.ok('maybe' in r.echo && r.echo.maybe === undefined);
    assert.deepEqual(r.echo.nested, [{ x: 1.5 }]);
    await assert.rejects(loose.request('echo', { f: () => 1 }), (err: Error & { code?: string }) =>
      err.code === 'invalid argument' && /cannot send echo to the engine/.test(err.message));
    assert.equal((await loose.request('echo', { still: 'serving' })).echo.still, 'serving');
  } finally {
    await client.dispose();
  }
});

const root = path.resolve(__dirname, '..', '..');
const enginePath = path.join(root, 'dist', 'engineProcess.js');
const built = existsSync(enginePath) && existsSync(path.join(root, 'dist', 'seedling.node'));
const skip = built ? false : 'skipped: dist/engineProcess.js or dist/seedling.node missing (run npm run build)';
let engine: EngineClient | undefined;
after(async () => { await engine?.dispose(); });

test('the real engine answers attention as one causal Float32Array the host can slice', { skip }, async () => {
  engine = new EngineClient({ enginePath, env: { SEEDLING_THREADS: '1' } });
  const work = mkdtempSync(path.join(tmpdir(), 'seedling-attention-test-'));
  const sample = path.join(root, 'test', 'fixtures', 'sample-workspace');
  const files = readdirSync(sample, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(js|py)$/.test(d.name)).map((d) => path.join(d.parentPath ?? d.path, d.name)).sort();
  const checkpointPath = path.join(work, 'tiny.seedling');
  await engine.request('train', { files, checkpointPath, preset: 'tiny', maxSteps: 1, threads: 1, seed: 1 });
  await engine.request('loadModel', { path: checkpointPath });
  const text = 'function add(a, b) {\n  return a + b;\n}\n';
  const r = await engine.request('attention', { text, maxTokens: 128 });
  const t = r.tokens.length;
  assert.ok(t > 5, `${t} tokens`);
  assert.equal(r.tokens.join(''), text);
  assert.ok(r.weights instanceof Float32Array, `weights arrived as ${(r.weights as unknown as object)?.constructor?.name}`);
  assert.equal(r.weights.length, r.layers * r.heads * t * t);
  for (let k = 0; k < r.layers * r.heads; k++) {
    for (let q = 0; q < t; q++) {
      const row = r.weights.subarray((k * t + q) * t, (k * t + q + 1) * t);
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4, `head ${k} row ${q} sums to ${sum}`);
      assert.ok(row.subarray(q + 1).every((w) => w === 0), `head ${k} row ${q} attends to a later token`);
    }
  }
  const view = toAttentionView(r, 1, 'add.js', 0, false);
  assert.equal(view.lastRows.length, r.layers * r.heads * t);
  assert.equal(view.previewSize, Math.min(t, 64));
  const mean = matrixFor(r, 1, r.layers - 1, 0, true);
  const lastRowSum = mean.weights.subarray((t - 1) * t).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(lastRowSum - 1) < 1e-4, `the mean's last row sums to ${lastRowSum}`);
});
