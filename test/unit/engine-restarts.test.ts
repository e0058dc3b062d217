/**
 * Issue 13, item 3: a crash-looping engine is contained. The restart policy's arithmetic; then real
 * child processes (small fake engines written to a temp folder) under the real EngineClient: an
 * engine that dies on every start is restarted with backoff, then not at all, and the user is told
 * twice (restarted, gave up), not once per keystroke; an engine that ignores `shutdown` is killed by
 * the hard-exit timer. Last, the model loader: a checkpoint that fails to load is sent to the engine
 * once per (path, mtime, size), and the user is offered a fix once.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { EngineClient } from '../../src/shared/engineClient';
import { CodedError, ENGINE_UNAVAILABLE, errorCode } from '../../src/shared/engineErrors';
import { RestartPolicy } from '../../src/shared/restartPolicy';
import { crashNoticeKind, type CrashNoticeKind } from '../../src/host/crashNoticePolicy';
import { ModelLoader } from '../../src/host/modelLoader';
import type { Engine } from '../../src/shared/engineApi';

const work = mkdtempSync(path.join(tmpdir(), 'seedling-restarts-'));
const clients: EngineClient[] = [];
after(async () => { for (const c of clients) await c.dispose(500); });

function fakeEngine(name: string, body: string): string {
  const file = path.join(work, name);
  writeFileSync(file, body);
  return file;
}

test('restart policy: first restart at once, then 1 s, 2 s, 4 s, then the breaker opens until reset', () => {
  const p = new RestartPolicy({ baseDelayMs: 1000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 60_000 });
  assert.equal(p.delayBeforeStart(0), 0);
  p.recordCrash(0);
  assert.equal(p.delayBeforeStart(0), 0, 'the first crash restarts at once');
  p.recordCrash(10);
  assert.equal(p.delayBeforeStart(10), 1000);
  assert.equal(p.delayBeforeStart(610), 400, 'the wait counts from the last crash');
  p.recordCrash(2000);
  assert.equal(p.delayBeforeStart(2000), 2000);
  p.recordCrash(5000);
  assert.equal(p.delayBeforeStart(5000), 4000);
  assert.equal(p.open, false);
  p.recordCrash(9000);
  assert.equal(p.open, true);
  assert.equal(p.delayBeforeStart(10_000_000), Infinity, 'open stays open, however long ago');
  p.reset();
  assert.equal(p.open, false);
  assert.equal(p.delayBeforeStart(10_000_000), 0);
});

test('restart policy: crashes further apart than the window start a new episode; delays are capped', () => {
  const p = new RestartPolicy({ baseDelayMs: 1000, maxDelayMs: 3000, maxCrashes: 10, windowMs: 60_000 });
  for (let i = 0; i < 5; i++) p.recordCrash(i);
  assert.equal(p.delayBeforeStart(4), 3000, 'capped at maxDelayMs');
  assert.equal(p.recordCrash(4 + 60_001), 1, 'a crash after a quiet window is the first of a new episode');
  assert.equal(p.delayBeforeStart(4 + 60_001), 0);
});

test('crash notices: the first crash and the one that stops restarts are shown; the rest are logged', () => {
  assert.equal(crashNoticeKind({ crashes: 1, gaveUp: false }), 'restarted');
  assert.equal(crashNoticeKind({ crashes: 2, gaveUp: false }), 'log-only');
  assert.equal(crashNoticeKind({ crashes: 5, gaveUp: true }), 'gave-up');
});

test('an engine that dies at every start: 20 keystrokes fork 4 engines, the user sees 2 notices, then requests fail fast', async () => {
  // Dies the moment it starts, as a broken build or a model that crashes the engine would.
  const enginePath = fakeEngine('dies.js', 'process.exit(7);\n');
  const client = new EngineClient({ enginePath, restart: { baseDelayMs: 40, maxDelayMs: 1000, maxCrashes: 4, windowMs: 30_000 } });
  clients.push(client);
  const notices: CrashNoticeKind[] = [];
  client.onCrash((info) => notices.push(crashNoticeKind(info)));
  const codes: (string | undefined)[] = [];
  // Keystrokes 30 ms apart for 1.2 s: without backoff each one would fork an engine (and be told).
  for (let i = 0; i < 20; i++) {
    codes.push(await client.request('complete', { prefix: 'x', suffix: '' }).then(() => 'ok', (err) => errorCode(err)));
    // a loadModel now and then, as the model host asks after a crash: it waits out the backoff
    if (i % 5 === 4) codes.push(await client.request('ping', {}).then(() => 'ok', (err) => errorCode(err)));
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.equal(notices.length, 4, `crashes seen: ${notices.join(', ')}`);
  assert.deepEqual(notices, ['restarted', 'log-only', 'log-only', 'gave-up']);
  assert.equal(notices.filter((n) => n !== 'log-only').length, 2, 'two notifications in all');
  assert.equal(client.restartsStopped, true);
  assert.ok(codes.filter((c) => c === ENGINE_UNAVAILABLE).length >= 10, `codes: ${codes.join(' ')}`);
  assert.equal(client.running, false);
  // The user chooses Restart Engine: the next request starts one again at once.
  client.resetRestarts();
  const again = await client.request('ping', {}).then(() => 'ok', (err) => errorCode(err));
  assert.equal(again, 'engine-crashed', 'a fresh engine was started (and died again)');
  assert.deepEqual(notices.at(-1), 'restarted', 'a new episode is told once');
});

test('a request other than a completion waits out the backoff instead of failing', async () => {
  // Dies at its first two starts (a counter file), then answers.
  const counter = path.join(work, 'starts.txt');
  writeFileSync(counter, '0');
  const enginePath = fakeEngine('flaky.js', `
const fs = require('fs');
const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(n));
if (n <= 2) process.exit(9);
process.on('message', (m) => process.send({ id: m.id, result: { version: '0.0.0', kernel: 'generic', threads: 1, devices: ['cpu'] } }));
`);
  const client = new EngineClient({ enginePath, restart: { baseDelayMs: 300, maxDelayMs: 1000, maxCrashes: 5, windowMs: 30_000 } });
  clients.push(client);
  await assert.rejects(client.request('ping', {}), /unexpectedly/);
  await assert.rejects(client.request('ping', {}), /unexpectedly/);  // second crash: the next start waits 300 ms
  const t0 = Date.now();
  await assert.rejects(client.request('complete', { prefix: 'x', suffix: '' }), (err: CodedError) => err.code === ENGINE_UNAVAILABLE);
  const pong = await client.request('ping', {});
  assert.equal(pong.kernel, 'generic');
  assert.ok(Date.now() - t0 >= 250, `the ping waited ${Date.now() - t0} ms`);
});

test('shutdown to an engine that never exits: the hard-exit timer kills it (no orphan)', async () => {
  // Ignores every message, as a wedged engine would, and keeps itself alive.
  const enginePath = fakeEngine('wedged.js', 'process.on("message", () => {}); setInterval(() => {}, 1000);\n');
  const client = new EngineClient({ enginePath, hardExitMs: 300, deadlinesMs: { shutdown: 5000 } });
  clients.push(client);
  await assert.rejects(client.request('ping', {}, { timeoutMs: 100 }), /no answer/);
  const pid = client.pid!;
  const t0 = Date.now();
  await assert.rejects(client.request('shutdown', {}), /shut down \(signal SIGKILL\)/);
  assert.ok(Date.now() - t0 < 3000, `killed after ${Date.now() - t0} ms`);
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the process is gone');
});

test('a checkpoint that fails to load is sent to the engine once per path, mtime and size', async () => {
  const file = path.join(work, 'bad.seedling');
  writeFileSync(file, 'not a checkpoint');
  let loads = 0;
  let transient = false;
  const engine: Engine = {
    request: (async (method: string) => {
      assert.equal(method, 'loadModel');
      loads++;
      if (transient) throw new CodedError('timeout', 'no answer in time');
      throw new CodedError('bad format', 'not a Seedling checkpoint (bad magic)');
    }) as Engine['request'],
  };
  const warnings: string[] = [];
  const loader = new ModelLoader(engine, (m) => warnings.push(m));
  const failures: string[] = [];
  for (let i = 0; i < 50; i++) {  // fifty keystrokes
    const a = await loader.load(file, { ifExists: true });
    assert.equal(a.result, undefined);
    if (a.newFailure) failures.push(a.newFailure);
  }
  assert.equal(loads, 1, 'read once');
  assert.equal(failures.length, 1, 'Delete or Retrain is offered once');
  assert.match(failures[0]!, /bad magic/);
  // The file changes (training wrote a new one): it is tried again, and offered again if bad.
  writeFileSync(file, 'still not a checkpoint, but longer');
  await loader.load(file, { ifExists: true });
  await loader.load(file, { ifExists: true });
  assert.equal(loads, 2);
  // Same size, new mtime: a different file too.
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const third = await loader.load(file, { ifExists: true });
  assert.equal(loads, 3);
  assert.ok(third.newFailure);
  // A timeout says nothing about the file: not remembered, tried again next time.
  writeFileSync(file, 'x');
  transient = true;
  await loader.load(file, { ifExists: true });
  await loader.load(file, { ifExists: true });
  assert.equal(loads, 5);
});

test('the serving model is stat\'ed first: a FIFO or a missing file never reaches the engine', async () => {
  let loads = 0;
  const engine: Engine = { request: (async () => { loads++; throw new Error('unexpected'); }) as Engine['request'] };
  const loader = new ModelLoader(engine, () => undefined);
  const fifo = path.join(work, 'model.fifo');
  execFileSync('mkfifo', [fifo]);
  const a = await loader.load(fifo);
  assert.match(a.newFailure ?? '', /not a regular file/);
  const b = await loader.load(fifo);
  assert.equal(b.newFailure, undefined, 'told once');
  assert.deepEqual(await loader.load(path.join(work, 'missing.seedling'), { ifExists: true }), {});
  assert.equal(loads, 0);
});
