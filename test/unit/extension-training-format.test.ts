import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatDuration, formatProgress, progressFraction } from '../../src/shared/format';
import { readRunState, RunStateWriter, writeRunState, type RunState } from '../../src/host/training/runState';
import { storagePaths } from '../../src/host/training/storagePaths';

test('durations, progress', () => {
  assert.equal(formatDuration(59_400), '59s');
  assert.equal(formatDuration(190_000), '3m 10s');
  assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), '2h 05m');
  // The one formatter serves the dashboard too, where a run may have no time yet.
  for (const unknown of [undefined, null, NaN, -1]) assert.equal(formatDuration(unknown), '–');
  const p = { step: 120, totalSteps: 800, tokensSeen: 1e6, loss: 2.3149, learningRate: 1e-3, tokensPerSecond: 14_200, elapsedMs: 60_000, etaMs: 190_000 };
  assert.equal(formatProgress(p), 'step 120/800 · loss 2.31 · 14k tok/s · 3m 10s left');
  assert.equal(progressFraction(p), 0.15);
  assert.equal(progressFraction({ ...p, totalSteps: 0, elapsedMs: 1, etaMs: 3 }), 0.25);
  assert.equal(formatProgress({ ...p, loss: NaN, valLoss: 1.5, etaMs: 0 }), 'step 120/800 · loss — · val 1.50 · 14k tok/s');
});

test('run state round-trips, tolerates a torn file, and the last write wins', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'seedling-runstate-'));
  try {
    assert.equal(await readRunState(dir), undefined);
    const state: RunState = { version: 1, runId: 'r1', status: 'running', preset: 'tiny', fromScratch: false, startedAt: 1, updatedAt: 1, step: 0, totalSteps: 10 };
    await writeRunState(dir, state);
    assert.deepEqual(await readRunState(dir), state);

    const writer = new RunStateWriter(dir, (err) => assert.fail(String(err)));
    const writes = [1, 2, 3, 4, 5].map((step) => writer.write({ ...state, step }));
    await Promise.all(writes);
    assert.equal((await readRunState(dir))?.step, 5);

    await writeFile(storagePaths(dir).runState, '{"version":1,"runId":');
    assert.equal(await readRunState(dir), undefined);
    assert.ok((await readFile(storagePaths(dir).runState, 'utf8')).length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('storage paths stay inside the storage folder', () => {
  const p = storagePaths('/store/ws1');
  assert.equal(path.dirname(p.checkpoint), '/store/ws1');
  assert.equal(path.dirname(p.runState), '/store/ws1');
});
