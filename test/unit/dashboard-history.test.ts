import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, appendFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HISTORY_FILE, RunHistory } from '../../src/host/dashboard/runHistory';

const model = { preset: 'tiny', parameters: 0, device: 'cpu', threads: 2 };
const point = (step: number) => ({ step, totalSteps: 100, tokensSeen: step * 512, loss: 6 - step / 50, learningRate: 1e-3, tokensPerSecond: 1000, elapsedMs: step * 10, etaMs: 1000 });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seedling-history-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

test('a run written, then reloaded after a "restart", has its curve, samples and end', () => withDir(async (dir) => {
  const { history } = await RunHistory.load(dir);
  history.startRun({ runId: 'a', startedAt: 1000, model });
  history.setCorpus('a', { files: 3, bytes: 1200, skipped: { binary: 1 } });
  history.addProgress('a', [point(1), point(2)]);
  history.addProgress('a', [point(3)]);
  history.addCheckpoint('a', { step: 3, samples: [{ prompt: 'def ', completion: 'f():' }], valLoss: 5.1, at: 2000 });
  history.setModel('a', { ...model, parameters: 98_000 });
  history.endRun({ runId: 'a', finishedAt: 3000, status: 'finished', steps: 3, trainLoss: 5.94, valLoss: 5.1 });
  await history.flush();

  const { history: again, skippedLines } = await RunHistory.load(dir);
  assert.equal(skippedLines, 0);
  const [run] = again.list();
  assert.equal(run.info.runId, 'a');
  assert.deepEqual(run.progress.map((p) => p.step), [1, 2, 3]);
  assert.equal(run.checkpoints[0].samples[0].completion, 'f():');
  assert.equal(run.info.corpus?.files, 3);
  assert.equal(run.info.model.parameters, 98_000);
  assert.equal(run.end?.status, 'finished');
}));

test('a torn last line and garbage lines are skipped, the rest loads', () => withDir(async (dir) => {
  const file = path.join(dir, HISTORY_FILE);
  await appendFile(file, JSON.stringify({ kind: 'start', run: { runId: 'b', startedAt: 5, model } }) + '\n');
  await appendFile(file, JSON.stringify({ kind: 'progress', runId: 'b', points: [point(1)] }) + '\n');
  await appendFile(file, 'not json\n{"kind":"progress","runId":"nope","points":[]}\n');
  await appendFile(file, '{"kind":"progress","runId":"b","po');
  const { history, skippedLines } = await RunHistory.load(dir);
  assert.equal(skippedLines, 3);
  assert.equal(history.get('b')?.progress.length, 1);
  assert.equal(history.get('b')?.end, undefined); // shown as interrupted
}));

test('only the 20 most recent runs are kept', () => withDir(async (dir) => {
  const { history } = await RunHistory.load(dir);
  for (let i = 0; i < 25; i++) history.startRun({ runId: `r${i}`, startedAt: i, model });
  await history.flush();
  assert.equal(history.list().length, 20);
  assert.equal(history.list()[0].info.runId, 'r5');
  const reloaded = (await RunHistory.load(dir)).history;
  assert.equal(reloaded.list().length, 20);
  assert.ok((await readFile(path.join(dir, HISTORY_FILE), 'utf8')).includes('"r0"'));
}));

test('a missing folder is an empty history, and the first write creates it', () => withDir(async (dir) => {
  const nested = path.join(dir, 'not', 'yet');
  const { history } = await RunHistory.load(nested);
  assert.equal(history.list().length, 0);
  history.startRun({ runId: 'c', startedAt: 1, model });
  await history.flush();
  assert.equal((await RunHistory.load(nested)).history.list().length, 1);
}));
