/**
 * The REAL engine process (dist/engineProcess.js with dist/seedling.node) through EngineClient:
 * ping, train the tiny preset a few steps on the sample workspace, resume, complete, cancel, and
 * SIGKILL mid-training and mid-completion (in-flight requests reject, the next request recovers).
 * Also `seedling complete --stdin` (dist/cli.js) answering in order. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineClient } from '../../src/shared/engineClient';
import type { TrainParams, TrainResult } from '../../src/shared/protocol';
import { sampleFiles as sampleWorkspaceFiles } from './sampleWorkspace';

const root = path.resolve(__dirname, '..', '..');
const enginePath = path.join(root, 'dist', 'engineProcess.js');
const cliPath = path.join(root, 'dist', 'cli.js');
const built = existsSync(enginePath) && existsSync(path.join(root, 'dist', 'seedling.node')) && existsSync(cliPath);
const skip = built ? false : 'skipped: dist/engineProcess.js, dist/cli.js or dist/seedling.node missing (run npm run build)';

const sampleFiles = () => sampleWorkspaceFiles(root);

const work = mkdtempSync(path.join(tmpdir(), 'seedling-engine-test-'));
const checkpoint = path.join(work, 'tiny.seedling');
let client: EngineClient;
let trained: TrainResult | undefined;

function tinyParams(extra: Partial<TrainParams> = {}): TrainParams {
  return {
    files: sampleFiles(), checkpointPath: checkpoint, preset: 'tiny', maxSteps: 6, threads: 1,
    evalEverySteps: 3, samplePrompts: ['function '], ...extra,
  };
}

before(() => { client = new EngineClient({ enginePath, env: { SEEDLING_THREADS: '1' } }); });
after(async () => { await client?.dispose(); });

test('ping reports the engine', { skip }, async () => {
  const p = await client.request('ping', {});
  assert.match(p.version, /^\d+\.\d+\.\d+/);
  assert.ok(['avx512', 'avx2', 'generic'].includes(p.kernel));
  assert.ok(p.devices.includes('cpu'));
});

test('train the tiny preset a few steps: progress, checkpoint events with samples, a loadable file', { skip }, async () => {
  const progress: number[] = [];
  const checkpoints: { step: number; samples: unknown[] }[] = [];
  trained = await client.request('train', tinyParams(), {
    onEvent: (e) => {
      if (e.event === 'trainProgress') progress.push(e.data.step);
      if (e.event === 'checkpoint') checkpoints.push(e.data);
    },
  });
  assert.equal(trained.steps, 6);
  assert.equal(trained.stoppedBy, 'budget');
  // "auto" (the default): the GPU where the engine reports one, else the CPU
  const { devices } = await client.request('ping', {});
  assert.equal(trained.device, devices.includes('cuda') ? 'cuda' : 'cpu');
  assert.equal(trained.config.nLayers, 2);
  assert.ok(Number.isFinite(trained.trainLoss));
  assert.ok(progress.includes(6), `progress steps: ${progress}`);
  assert.ok(checkpoints.length >= 1);
  assert.equal(checkpoints[0].samples.length, 1);
  assert.ok(existsSync(checkpoint));
});

test('resume continues the step count from the checkpoint', { skip }, async () => {
  assert.ok(trained, 'needs the trained checkpoint');
  const r = await client.request('train', tinyParams({ resume: true, maxSteps: 3 }));
  // The file holds the best model; resuming continues from its step, 3 steps further.
  assert.ok(r.steps > 3 && r.steps <= trained.steps + 3, `steps ${r.steps}`);
});

test('fine-tuning a base under a time budget plans at most FINETUNE_MAX_EPOCHS passes and stops there', { skip }, async () => {
  assert.ok(trained, 'needs the trained checkpoint as a base');
  const logs: string[] = [];
  const started = Date.now();
  const r = await client.request('train', tinyParams({
    baseModelPath: checkpoint, checkpointPath: path.join(work, 'finetuned.seedling'), maxSteps: undefined, maxMinutes: 5, evalEverySteps: undefined,
  }), { onEvent: (e) => { if (e.event === 'log') logs.push(e.data.message); } });
  const plan = logs.map((m) => /fine-tuning plan: at most (\d+) steps \((\d+) passes over (\d+) tokens\)/.exec(m)).find(Boolean);
  assert.ok(plan, `no plan in the log: ${logs.join(' | ')}`);
  const [cap, passes, tokens] = plan.slice(1).map(Number);
  assert.equal(cap, Math.ceil(passes * tokens / (8 * 128)), 'passes x tokens / tokens per step (tiny: 8 x 128)');
  assert.ok(r.steps <= cap, `${r.steps} steps, cap ${cap}`);
  assert.ok(r.stoppedBy === 'budget' || r.stoppedBy === 'early-stopping', r.stoppedBy);
  assert.ok(Date.now() - started < 4 * 60_000, 'ended by the cap, not the 5-minute budget');
});

test('complete from the checkpoint; the cache is reused while typing', { skip }, async () => {
  await client.request('loadModel', { path: checkpoint });
  const a = await client.request('complete', { prefix: 'function add(a, b) {\n  return', suffix: '\n}\n', maxTokens: 8 });
  assert.equal(typeof a.completion, 'string');
  assert.ok(a.promptTokens > 0);
  const b = await client.request('complete', { prefix: 'function add(a, b) {\n  return a', suffix: '\n}\n', maxTokens: 8 });
  assert.ok(b.reusedTokens > 0, `reused ${b.reusedTokens}`);
});

test('indexing a large workspace does not hold up completions; file updates made meanwhile are kept', { skip }, async () => {
  await client.request('loadModel', { path: checkpoint });
  const dir = path.join(work, 'big-workspace');
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < 400; i++) {
    const file = path.join(dir, `module${i}.js`);
    const body = Array.from({ length: 600 }, (_, k) => `export function f${i}_${k}(a${k}, b) { return a${k} * ${k} + b; }`).join('\n');
    writeFileSync(file, `${body}\n`);
    files.push(file);
  }
  const order: string[] = [];
  const indexing = client.request('indexFiles', { files }).then((r) => { order.push('index'); return r; });
  // Made while the index is built: must survive the swap to the new index.
  await client.request('updateFile', { path: path.join(dir, 'live.js'), text: 'const uniqueLiveName = computeEverything(alpha, beta);\n' });
  const completion = client.request('complete', { prefix: 'const x = ', suffix: '', maxTokens: 1 }).then((r) => { order.push('complete'); return r; });
  const [indexed] = await Promise.all([indexing, completion]);
  assert.deepEqual(order, ['complete', 'index'], 'the completion waited for the whole index');
  assert.equal(indexed.files, 401, '400 files read, and the live one');
  // An editor-shaped request (no stop strings) at the end of a line: the suggestion copies the line.
  const copied = await client.request('complete', { prefix: 'let y = uniqueLiveName = computeEv', suffix: '\n', maxTokens: 8 });
  assert.equal(copied.completion, 'erything(alpha, beta);', 'the update made during indexing is in the new index');
});

test('bad input is a clear error and the engine keeps serving', { skip }, async () => {
  await assert.rejects(client.request('loadModel', { path: path.join(work, 'missing.seedling') }),
    (err: Error & { code?: string }) => err.code === 'i/o error' && /missing\.seedling/.test(err.message));
  await assert.rejects(client.request('train', { ...tinyParams(), files: [] }), /no training text: 0 files/);
  // A method name that is not in the protocol (here one every object inherits) is refused by name.
  const untyped = client as unknown as { request(method: string, params: object): Promise<unknown> };
  await assert.rejects(untyped.request('toString', {}), /unknown method "toString"/);
  const ok = await client.request('complete', { prefix: 'const x = ', suffix: '', maxTokens: 4 });
  assert.equal(typeof ok.completion, 'string');
});

test('asking for CUDA where it cannot be used is a clear error, and the engine keeps serving', { skip }, async (t) => {
  const { devices } = await client.request('ping', {});
  if (devices.includes('cuda')) {
    t.skip('skipped: this machine has a usable CUDA device');
    return;
  }
  await assert.rejects(client.request('train', tinyParams({ device: 'cuda', checkpointPath: path.join(work, 'cuda.seedling') })),
    (err: Error & { code?: string }) => err.code === 'unsupported' && /CUDA requested but no CUDA device is available \(.+\)/.test(err.message));
  assert.ok(!existsSync(path.join(work, 'cuda.seedling')), 'no checkpoint from a run that never started');
  const ok = await client.request('complete', { prefix: 'const x = ', suffix: '', maxTokens: 4 });
  assert.equal(typeof ok.completion, 'string');
});

test('cancelling training stops between steps and still answers with a result', { skip }, async () => {
  const controller = new AbortController();
  const r = await client.request('train', tinyParams({ checkpointPath: path.join(work, 'cancel.seedling'), maxSteps: 10_000 }), {
    signal: controller.signal,
    onEvent: (e) => { if (e.event === 'trainProgress') controller.abort(); },
  });
  assert.equal(r.stoppedBy, 'cancelled');
  assert.ok(r.steps < 10_000);
  assert.ok(existsSync(path.join(work, 'cancel.seedling')));
});

test('SIGKILL mid-training rejects the request; the next request starts a new engine', { skip }, async () => {
  const crashes: string[] = [];
  const sub = client.onCrash((c) => crashes.push(c.reason));
  const before = client.pid!;
  const training = client.request('train', tinyParams({ checkpointPath: path.join(work, 'killed.seedling'), maxSteps: 10_000 }), {
    onEvent: (e) => { if (e.event === 'trainProgress') process.kill(before, 'SIGKILL'); },
  });
  await assert.rejects(training, (err: Error & { code?: string }) =>
    err.code === 'engine-crashed' && /engine stopped unexpectedly \(signal SIGKILL\)/.test(err.message));
  assert.equal(crashes.length, 1);
  const p = await client.request('ping', {});
  assert.ok(p.version);
  assert.notEqual(client.pid, before);
  sub.dispose();
});

// Generations on the tiny preset end within milliseconds (its context is 128 tokens); one step of
// the small preset gives a model whose 400-token generation takes long enough to interrupt.
const smallCheckpoint = path.join(work, 'small.seedling');

test('a one-step small model for the interruption tests', { skip }, async () => {
  const r = await client.request('train', tinyParams({ preset: 'small', checkpointPath: smallCheckpoint, maxSteps: 1, samplePrompts: [] }));
  assert.equal(r.steps, 1);
});

/**
 * A generation that runs for hundreds of milliseconds, so that a kill or a cancel 50 ms in lands while
 * it runs: 400 sampled tokens by the engine's own loop (a request with a stop string, which the
 * editor's never have; theirs stop after a line or 24 mixture tokens and can finish sooner).
 */
const LONG_GENERATION = { prefix: 'function ', suffix: '', maxTokens: 400, temperature: 1, stop: ['\u0000'] };

test('SIGKILL mid-completion rejects the request; the engine recovers', { skip }, async () => {
  await client.request('loadModel', { path: smallCheckpoint });
  const pid = client.pid!;
  const started = Date.now();
  const completion = client.request('complete', LONG_GENERATION);
  setTimeout(() => process.kill(pid, 'SIGKILL'), 50);
  await assert.rejects(completion, /engine stopped unexpectedly \(signal SIGKILL\)/);
  assert.ok(Date.now() - started < 5000);
  await client.request('loadModel', { path: smallCheckpoint });
  const ok = await client.request('complete', { prefix: 'const ', suffix: '', maxTokens: 4 });
  assert.equal(typeof ok.completion, 'string');
});

test('cancelling a completion rejects it with code cancelled, promptly', { skip }, async () => {
  const controller = new AbortController();
  const started = Date.now();
  const completion = client.request('complete', LONG_GENERATION, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(completion, (err: Error & { code?: string }) => err.code === 'cancelled');
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  const ok = await client.request('complete', { prefix: 'const ', suffix: '', maxTokens: 4 });
  assert.equal(typeof ok.completion, 'string');
});

test('seedling complete --stdin answers every line, in order', { skip }, () => {
  const lines = [
    { prefix: 'function add(a, b) {', suffix: '}' },
    'this is not json',
    { prefix: 'const cache = new ', suffix: '' },
    { suffix: 'no prefix' },
    { prefix: 'class TaskQueue ', suffix: '' },
  ].map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
  const r = spawnSync(process.execPath, [cliPath, 'complete', '--stdin', '--model', checkpoint, '--max-tokens', '6', '--threads', '1'],
    { input: `${lines.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { completion?: string; ms?: number; error?: string });
  assert.equal(answers.length, 5);
  assert.deepEqual(answers.map((a) => (a.error !== undefined ? 'error' : 'ok')), ['ok', 'error', 'ok', 'error', 'ok']);
  assert.match(answers[1].error!, /not valid JSON/);
  assert.match(answers[3].error!, /prefix/);
  for (const a of [answers[0], answers[2], answers[4]]) {
    assert.equal(typeof a.completion, 'string');
    assert.ok(a.ms! > 0);
  }
});

test('seedling complete prints what the editor would show: one line when text follows the cursor', { skip }, () => {
  const run = (...extra: string[]) => spawnSync(process.execPath,
    [cliPath, 'complete', '--model', checkpoint, '--prefix', 'const total = sum(', '--suffix', ');\n', '--max-tokens', '40', '--threads', '1', ...extra],
    { encoding: 'utf8', timeout: 60_000 });
  const shown = run();
  assert.equal(shown.status, 0, shown.stderr);
  assert.ok(!shown.stdout.includes('\n'), `one line: ${JSON.stringify(shown.stdout)}`);
  // Greedy both times, and nothing to copy from: post-processing only ever cuts the model's text.
  const raw = run('--raw');
  assert.equal(raw.status, 0, raw.stderr);
  assert.ok(raw.stdout.split('\n')[0].startsWith(shown.stdout), `${JSON.stringify(shown.stdout)} is a cut of ${JSON.stringify(raw.stdout)}`);
});

test('seedling bench copy times the copy search over a workspace and prints one JSON line', { skip }, () => {
  const r = spawnSync(process.execPath, [cliPath, 'bench', 'copy', path.join(root, 'test', 'fixtures', 'sample-workspace'), '--requests', '5'],
    { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: number; corpusMB: number; requests: number; p50Ms: number; p95Ms: number };
  assert.ok(report.files > 0);
  assert.equal(report.requests, 5);
  assert.ok(report.p50Ms >= 0 && report.p95Ms >= report.p50Ms, JSON.stringify(report));
});
