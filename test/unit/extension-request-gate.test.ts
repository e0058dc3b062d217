import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatestRequestGate, percentile, runWithDeadline, sleep } from '../../src/host/completion/requestGate';
import { isCompletableScheme, isLanguageEnabled } from '../../src/host/completion/enablement';

test('sleep resolves true after the delay, false at once when aborted', async () => {
  assert.equal(await sleep(5), true);
  const c = new AbortController();
  const started = Date.now();
  const pending = sleep(10_000, c.signal);
  c.abort();
  assert.equal(await pending, false);
  assert.ok(Date.now() - started < 1000);
  assert.equal(await sleep(10, c.signal), false); // already aborted
});

test('LatestRequestGate aborts the previous request when a new one begins', () => {
  const gate = new LatestRequestGate();
  const first = gate.begin();
  assert.equal(first.aborted, false);
  const second = gate.begin();
  assert.equal(first.aborted, true);
  assert.equal(second.aborted, false);
  gate.abortAll();
  assert.equal(second.aborted, true);
});

test('runWithDeadline: done, cancelled, timeout, error', async () => {
  const never = (signal: AbortSignal) => new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  assert.deepEqual(await runWithDeadline(1000, new AbortController().signal, async () => 'ok'), { kind: 'done', value: 'ok' });

  let workSawAbort = false;
  const timed = await runWithDeadline(20, new AbortController().signal, (s) => {
    s.addEventListener('abort', () => (workSawAbort = true));
    return never(s);
  });
  assert.deepEqual(timed, { kind: 'timeout' });
  assert.equal(workSawAbort, true, 'the work is told to stop when the deadline passes');

  const c = new AbortController();
  const pending = runWithDeadline(10_000, c.signal, never);
  c.abort();
  assert.deepEqual(await pending, { kind: 'cancelled' });

  await assert.rejects(runWithDeadline(1000, new AbortController().signal, async () => { throw new Error('engine said no'); }), /engine said no/);
});

test('percentile (nearest rank)', () => {
  const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
  assert.equal(percentile(xs, 50), 5);
  assert.equal(percentile(xs, 95), 10);
  assert.equal(percentile(xs, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('language enablement', () => {
  assert.equal(isLanguageEnabled(['*'], 'python'), true);
  assert.equal(isLanguageEnabled(['typescript'], 'python'), false);
  assert.equal(isLanguageEnabled(['typescript', 'python'], 'python'), true);
  assert.equal(isLanguageEnabled(['*', '!plaintext'], 'plaintext'), false);
  assert.equal(isLanguageEnabled([], 'c'), false);
  assert.equal(isCompletableScheme('file'), true);
  assert.equal(isCompletableScheme('output'), false);
});
