#!/usr/bin/env node
// drill.mjs (`npm run drill`): the kill -9 drill. Real engine processes (dist/engineProcess.js with
// dist/seedling.node) train the tiny preset on a real workspace (test/fixtures/sample-workspace),
// writing a checkpoint at every step, and are SIGKILLed over and over: at a random moment, or the
// instant a checkpoint temporary appears (inside the write, before its rename). After each kill a
// fresh engine must
//   - load the last good checkpoint and complete from it (a real completion through the engine),
//   - resume training from it at a step no earlier than the last checkpoint the killed engine
//     announced (a write the engine reported is never lost),
//   - remove the temporary files killed writes left (they must not pile up).
// Prints one JSON object; exits 1 if any check failed. Options:
//   --kills N   kills to perform (default 200; CI runs 30, see test/unit/kill-drill.test.ts)
//   --seed S    seed of the random kill moments (default: the time)
//   --max-delay-ms M   a random kill lands within M ms of the train request (default 1500)
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const enginePath = join(root, 'dist', 'engineProcess.js');
const workspace = join(root, 'test', 'fixtures', 'sample-workspace');

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string' },
    'max-delay-ms': { type: 'string', default: '1500' },
    keep: { type: 'boolean', default: false },
  },
});
const kills = Number(values.kills);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 1e9;
const maxDelayMs = Number(values['max-delay-ms']);
if (!Number.isInteger(kills) || kills < 1 || !Number.isFinite(seed) || !(maxDelayMs > 0)) {
  console.error('usage: node scripts/drill.mjs [--kills N] [--seed S] [--max-delay-ms M] [--keep]');
  process.exit(2);
}
if (!existsSync(enginePath) || !existsSync(join(root, 'dist', 'seedling.node'))) {
  console.error('drill: dist/engineProcess.js or dist/seedling.node missing (run npm run build)');
  process.exit(2);
}

// mulberry32: a seeded generator, so a failing drill can be replayed with its --seed.
let rngState = seed >>> 0;
function random() {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'seedling-drill-'));
const checkpoint = join(work, 'model.seedling');
// The same shapes as src/shared/staleTemporaries.ts (the engine's mkstemp name, privateFiles.ts's name).
const ours = (name) => name.startsWith(`${basename(checkpoint)}.`) && (/\.tmp-[A-Za-z0-9]{6}$/.test(name) || /\.[0-9a-f]{16}\.tmp$/.test(name));
const temporaries = () => readdirSync(work).filter(ours);

// Validation text shorter than one window means "no validation loss", so every checkpoint interval
// writes the file (with a validation set, only improvements are written, and writes thin out as the
// model converges: the drill wants as many writes to land in as it can).
const validationFile = join(work, 'validation.txt');
writeFileSync(validationFile, 'x = 1\n');
const trainParams = (extra) => ({
  files: filesUnder(workspace), validationFiles: [validationFile], checkpointPath: checkpoint, preset: 'tiny',
  threads: 1, checkpointEverySteps: 1, patience: 0, samplePrompts: [], ...extra,
});

/** One engine process and its requests. */
class Engine {
  constructor() {
    this.nextId = 1;
    this.pending = new Map();
    this.logs = [];
    this.checkpointSteps = [];
    this.child = fork(enginePath, [], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', env: { ...process.env, SEEDLING_THREADS: '1' } });
    this.stderr = '';
    this.child.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-2000); });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const p of this.pending.values()) p.reject(new Error(`engine exited (${signal ?? code})`));
      this.pending.clear();
    });
    this.child.on('message', (m) => {
      if ('event' in m) {
        if (m.event === 'log') this.logs.push(m.data.message);
        if (m.event === 'checkpoint') this.checkpointSteps.push(m.data.step);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(new Error(`${m.error.code}: ${m.error.message}`));
      else p.resolve(m.result);
    });
  }
  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, method, params });
    });
  }
  async kill() {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(predicate, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

const started = Date.now();
const figures = {
  kills: 0, killsAtRandomMoment: 0, killsOnCheckpointWrite: 0, killsThatLeftATemporary: 0,
  checkpointsChecked: 0, checkpointsIntact: 0, completions: 0,
  leftoversFound: 0, leftoversCleaned: 0, leftoversRemaining: 0,
  stepsAtStart: 0, stepsAtEnd: 0, seed, seconds: 0, failures: [],
};
function fail(message) {
  figures.failures.push(message);
  console.error(`drill: ${message}`);
}

// The first checkpoint: a clean run of a few steps (never killed).
{
  const engine = new Engine();
  const result = await engine.request('train', trainParams({ maxSteps: 3 }));
  figures.stepsAtStart = result.steps ?? engine.checkpointSteps.at(-1) ?? 0;
  await engine.request('shutdown', {}).catch(() => undefined);
  await engine.exited;
}

let announcedStep = figures.stepsAtStart;  // the last checkpoint an engine reported written
// Each leftover counts once, found when it is first seen and cleaned when it is gone: a kill can land
// after the next engine removed it but before it said so, or before it got to it (then it is still
// there for the engine after).
const found = new Set();
const cleaned = new Set();
const account = () => {
  for (const t of temporaries()) found.add(t);
  for (const t of found) if (!existsSync(join(work, t))) cleaned.add(t);
};
for (let i = 0; i < kills; i++) {
  account();
  const leftovers = temporaries();
  const engine = new Engine();
  // 1. The last good checkpoint loads and completes.
  figures.checkpointsChecked++;
  try {
    await engine.request('loadModel', { path: checkpoint });
    const r = await engine.request('complete', { prefix: 'function parse(', suffix: '', stop: ['\n\n'], maxTokens: 8, raw: true });
    if (typeof r.completion !== 'string' || !(r.generatedTokens >= 1)) throw new Error(`empty completion: ${JSON.stringify(r)}`);
    figures.completions++;
    figures.checkpointsIntact++;
  } catch (err) {
    fail(`kill ${i}: the checkpoint did not load and complete: ${err.message} ${engine.stderr.trim()}`);
  }
  // 2. Resume training from it; a kill lands at a random moment or inside a checkpoint write.
  const onWrite = random() < 0.5;
  const delayMs = Math.floor(random() * maxDelayMs);
  let killing;
  let watcher;
  const killNow = (how) => {
    if (killing) return;
    watcher?.close();
    if (how === 'write') figures.killsOnCheckpointWrite++;
    else figures.killsAtRandomMoment++;
    killing = engine.kill();
  };
  const training = engine.request('train', trainParams({ resume: true, maxSteps: 1_000_000 })).catch(() => undefined);
  if (onWrite) {
    // Armed once this run's cleanup is done (so its own unlinks do not trigger it); fires on the
    // first temporary the engine creates, which it is still writing.
    await waitFor(() => engine.logs.some((l) => l.startsWith('resuming from')), 10_000);
    watcher = watch(work, (_type, name) => { if (name && ours(name) && !leftovers.includes(name)) killNow('write'); });
    setTimeout(() => killNow('random'), 5_000);  // no write within 5 s: kill anyway, counted as random
  } else {
    setTimeout(() => killNow('random'), delayMs);
  }
  await waitFor(() => killing !== undefined, 60_000);
  await killing;
  await training;
  figures.kills++;
  if (temporaries().some((t) => !leftovers.includes(t))) figures.killsThatLeftATemporary++;
  // 3. What the killed engine saw of its start: the step it resumed from, the leftovers it removed.
  const resumed = engine.logs.map((l) => /^resuming from .* at step (\d+)$/.exec(l)).find(Boolean);
  if (resumed) {
    const step = Number(resumed[1]);
    if (step < announcedStep) fail(`kill ${i}: resumed at step ${step}, but step ${announcedStep} had been announced as written`);
    // The cleanup runs before the resume: once the engine resumed, every leftover must be gone.
    const kept = leftovers.filter((t) => existsSync(join(work, t)));
    if (kept.length > 0) fail(`kill ${i}: leftovers not removed at start: ${kept.join(', ')}`);
  }
  if (engine.checkpointSteps.length > 0) announcedStep = Math.max(announcedStep, ...engine.checkpointSteps);
}

// A last clean start: it must load, complete, and leave no temporaries behind.
{
  account();
  const engine = new Engine();
  try {
    await engine.request('loadModel', { path: checkpoint });
    await engine.request('train', trainParams({ resume: true, maxSteps: 1 }));
    account();
    figures.stepsAtEnd = Math.max(announcedStep, ...engine.checkpointSteps);
  } catch (err) {
    fail(`final run: ${err.message} ${engine.stderr.trim()}`);
  }
  await engine.request('shutdown', {}).catch(() => undefined);
  await engine.exited;
  figures.leftoversFound = found.size;
  figures.leftoversCleaned = cleaned.size;
  figures.leftoversRemaining = temporaries().length;
  if (figures.leftoversRemaining > 0) fail(`temporaries left at the end: ${temporaries().join(', ')}`);
}

figures.seconds = Math.round((Date.now() - started) / 100) / 10;
if (!values.keep) rmSync(work, { recursive: true, force: true });
else figures.workDir = work;
console.log(JSON.stringify(figures, null, 1));
process.exit(figures.failures.length === 0 && figures.checkpointsIntact === figures.checkpointsChecked ? 0 : 1);
