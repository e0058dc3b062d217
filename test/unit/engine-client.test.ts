/**
 * EngineClient against a real child process running a small fake engine (this file writes it): ids,
 * per-request event routing, cancel messages, crash detection and lazy restart. The real engine is
 * covered by engine-process.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EngineClient, type CrashInfo } from '../../src/shared/engineClient';
import type { EngineEvent } from '../../src/shared/protocol';

// ping -> {pid}; train -> 3 progress events then a result, or {cancelled} after a cancel message;
// complete -> echoes prefix after params.delayMs (answers can overtake each other); shutdown -> exits.
const FAKE_ENGINE = `
const waiting = new Map();
process.on('message', (m) => {
  if (typeof m.cancel === 'number') { const w = waiting.get(m.cancel); if (w) w(); return; }
  const reply = (body) => process.send({ id: m.id, ...body });
  switch (m.method) {
    case 'ping': return reply({ result: { pid: process.pid } });
    case 'complete':
      return setTimeout(() => reply({ result: { completion: m.params.prefix.toUpperCase(), ms: 0 } }), m.params.delayMs || 0);
    case 'train': {
      for (let i = 1; i <= 3; i++) process.send({ event: 'trainProgress', id: m.id, data: { step: i } });
      if (!m.params.waitForCancel) return reply({ result: { steps: 3 } });
      waiting.set(m.id, () => reply({ result: { stoppedBy: 'cancelled' } }));
      return;
    }
    case 'hang': return; // never answers: the test kills the process
    case 'fail': return reply({ error: { message: 'bad input here', code: 'invalid argument' } });
    case 'shutdown': reply({ result: null }); return setImmediate(() => process.exit(0));
  }
});
`;

function fakeEnginePath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-fake-engine-'));
  const file = path.join(dir, 'fakeEngine.js');
  writeFileSync(file, FAKE_ENGINE);
  return file;
}

const enginePath = fakeEnginePath();
// The fake speaks only part of the protocol; its extra methods go through this loosely typed view.
type LooseClient = { request(method: string, params: unknown, options?: object): Promise<any> };
const loose = (c: EngineClient) => c as unknown as LooseClient;

test('answers go to the request that asked, even out of order', async () => {
  const client = new EngineClient({ enginePath });
  try {
    const slow = loose(client).request('complete', { prefix: 'slow', delayMs: 60 });
    const fast = loose(client).request('complete', { prefix: 'fast', delayMs: 0 });
    assert.equal((await fast).completion, 'FAST');
    assert.equal((await slow).completion, 'SLOW');
  } finally {
    await client.dispose();
  }
});

test('events are routed to their request; errors keep the engine code', async () => {
  const client = new EngineClient({ enginePath });
  try {
    const events: EngineEvent[] = [];
    const other: EngineEvent[] = [];
    const a = loose(client).request('train', {}, { onEvent: (e: EngineEvent) => events.push(e) });
    const b = loose(client).request('complete', { prefix: 'x' }, { onEvent: (e: EngineEvent) => other.push(e) });
    assert.deepEqual(await a, { steps: 3 });
    await b;
    assert.deepEqual(events.map((e) => (e.data as { step: number }).step), [1, 2, 3]);
    assert.equal(other.length, 0);
    await assert.rejects(loose(client).request('fail', {}), (err: Error & { code?: string }) =>
      err.code === 'invalid argument' && err.message === 'bad input here');
  } finally {
    await client.dispose();
  }
});

test('abort sends a cancel message and the request settles with the engine answer', async () => {
  const client = new EngineClient({ enginePath });
  try {
    const controller = new AbortController();
    let progress = 0;
    const run = loose(client).request('train', { waitForCancel: true }, {
      signal: controller.signal,
      onEvent: () => { if (++progress === 3) controller.abort(); },
    });
    assert.deepEqual(await run, { stoppedBy: 'cancelled' });
    await assert.rejects(client.request('ping', {}, { signal: controller.signal }), /cancelled/);
  } finally {
    await client.dispose();
  }
});

test('a killed engine rejects in-flight requests, reports the crash, and restarts on the next request', async () => {
  const client = new EngineClient({ enginePath });
  const crashes: CrashInfo[] = [];
  client.onCrash((c) => crashes.push(c));
  try {
    const first = (await loose(client).request('ping', {})).pid as number;
    const hung = loose(client).request('hang', {});
    const hung2 = loose(client).request('complete', { prefix: 'never', delayMs: 10_000 });
    process.kill(first, 'SIGKILL');
    for (const p of [hung, hung2]) {
      await assert.rejects(p, (err: Error & { code?: string }) =>
        err.code === 'engine-crashed' && /engine stopped unexpectedly \(signal SIGKILL\)/.test(err.message));
    }
    assert.equal(crashes.length, 1);
    assert.equal(crashes[0].signal, 'SIGKILL');
    assert.match(crashes[0].reason, /SIGKILL/);
    assert.equal(client.running, false);
    const second = (await loose(client).request('ping', {})).pid as number;
    assert.notEqual(second, first);
  } finally {
    await client.dispose();
  }
});

test('dispose shuts the engine down without reporting a crash; later requests are refused', async () => {
  const client = new EngineClient({ enginePath });
  const crashes: CrashInfo[] = [];
  client.onCrash((c) => crashes.push(c));
  const pid = (await loose(client).request('ping', {})).pid as number;
  await client.dispose();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  assert.equal(crashes.length, 0);
  await assert.rejects(client.request('ping', {}), /disposed/);
});

test('a missing engine script fails the request instead of hanging', async () => {
  const client = new EngineClient({ enginePath: path.join(tmpdir(), 'no-such-engine-script.js') });
  try {
    await assert.rejects(client.request('ping', {}), (err: Error & { code?: string }) => err.code === 'engine-crashed');
  } finally {
    await client.dispose();
  }
});

test('every request has a deadline: a request the engine never answers fails with "timeout", the engine lives on', async () => {
  const client = new EngineClient({ enginePath, deadlinesMs: { hang: 100 } });
  try {
    const { pid } = await loose(client).request('ping', {});
    const started = Date.now();
    await assert.rejects(loose(client).request('hang', {}), (e: { code?: string; message: string }) =>
      e.code === 'timeout' && /hang got no answer from the engine within 100 ms/.test(e.message));
    assert.ok(Date.now() - started < 2000);
    assert.equal((await loose(client).request('ping', {})).pid, pid, 'one missed deadline does not restart the engine');
    await assert.rejects(loose(client).request('hang', {}, { timeoutMs: 50 }), { code: 'timeout' });
  } finally {
    await client.dispose();
  }
});

test('the watchdog kills an engine that misses several deadlines in a row; the next request gets a new one', async () => {
  const logs: string[] = [];
  const client = new EngineClient({ enginePath, deadlinesMs: { hang: 50 }, watchdogMisses: 3, log: (_l, m) => logs.push(m) });
  try {
    const { pid } = await loose(client).request('ping', {});
    for (let i = 0; i < 3; i++) await assert.rejects(loose(client).request('hang', {}), { code: 'timeout' });
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(logs.some((l) => /missed 3 deadlines in a row: killing it/.test(l)), logs.join('\n'));
    assert.notEqual((await loose(client).request('ping', {})).pid, pid);
  } finally {
    await client.dispose();
  }
});

test('pending requests are bounded: the oldest completion gives way, and with none to drop a request is refused', async () => {
  const client = new EngineClient({ enginePath, maxPending: 3, deadlinesMs: { hang: 5000 } });
  try {
    const oldest = loose(client).request('complete', { prefix: 'old', delayMs: 300 });
    const hang = loose(client).request('hang', {});
    hang.catch(() => undefined);
    const middle = loose(client).request('complete', { prefix: 'mid', delayMs: 300 });
    const newest = loose(client).request('complete', { prefix: 'new', delayMs: 0 });
    await assert.rejects(oldest, (e: { code?: string; message: string }) => e.code === 'cancelled' && /dropped/.test(e.message));
    assert.equal((await newest).completion, 'NEW');
    assert.equal((await middle).completion, 'MID');
    const more = [loose(client).request('hang', {}), loose(client).request('hang', {})];
    more.forEach((p) => p.catch(() => undefined));
    await assert.rejects(loose(client).request('hang', {}), { code: 'engine-busy' });
  } finally {
    await client.dispose(500);
  }
});
