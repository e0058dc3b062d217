/**
 * TrainingRun (src/host/training/trainingRun.ts) with a fake engine and a fake UI: a finished run, a
 * run the user stops, an engine error and an empty corpus. What is checked is what the rest of the
 * extension relies on: the outcome, the TrainingEvent order, the run-state file's last word, which
 * checkpoints completions load, and what the user is told.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Engine, EngineRequestOptions } from '../../src/shared/engineApi';
import { CodedError, ENGINE_CRASHED } from '../../src/shared/engineErrors';
import type { MethodName, MethodParams, MethodResult, TrainParams, TrainProgress, TrainResult } from '../../src/shared/protocol';
import type { RunState } from '../../src/host/training/runState';
import type { TrainingEvent } from '../../src/host/training/trainingEvents';
import { TrainingRun, type TrainingRunRequest, type TrainingUi } from '../../src/host/training/trainingRun';

const work = mkdtempSync(path.join(tmpdir(), 'seedling-training-run-'));
const files = ['a.js', 'b.js'].map((name) => {
  const file = path.join(work, name);
  writeFileSync(file, `// ${name}\nexport const value = 1;\n`);
  return file;
});
const checkpointPath = path.join(work, 'model.seedling');

type TrainHandler = (params: TrainParams, options: EngineRequestOptions) => Promise<TrainResult>;

/** Answers only 'train', through the test's handler. */
class FakeEngine implements Engine {
  readonly trainCalls: TrainParams[] = [];
  constructor(private readonly train: TrainHandler) {}
  request<M extends MethodName>(method: M, params: MethodParams<M>, options: EngineRequestOptions = {}): Promise<MethodResult<M>> {
    if (method !== 'train') return Promise.reject(new Error(`the fake engine does not answer ${method}`));
    this.trainCalls.push(params as TrainParams);
    return this.train(params as TrainParams, options) as Promise<MethodResult<M>>;
  }
}

class FakeUi implements TrainingUi {
  readonly titles: string[] = [];
  readonly reports: string[] = [];
  readonly notes: { severity: string; message: string }[] = [];
  stateChanges = 0;
  async showProgress<T>(title: string, work: (report: (u: { message: string }) => void) => Promise<T>): Promise<T> {
    this.titles.push(title);
    return work((u) => this.reports.push(u.message));
  }
  notify(severity: 'info' | 'warning' | 'error', message: string): void { this.notes.push({ severity, message }); }
  stateChanged(): void { this.stateChanges++; }
}

function progress(step: number): TrainProgress {
  return { step, totalSteps: 4, tokensSeen: step * 100, loss: 3 - step / 10, learningRate: 1e-3, tokensPerSecond: 500, elapsedMs: step * 10, etaMs: 0 };
}

function result(stoppedBy: TrainResult['stoppedBy'], steps: number): TrainResult {
  return {
    checkpointPath, steps, tokensSeen: steps * 100, trainLoss: 2.5, valLoss: 2.7, stoppedBy, parameters: 1000, device: 'cpu',
    config: { vocabSize: 512, contextLength: 128, dModel: 64, nLayers: 2, nHeads: 2 },
  };
}

/** A run wired to fakes, with everything it did recorded. */
function harness(train: TrainHandler, corpusFiles = files) {
  const engine = new FakeEngine(train);
  const ui = new FakeUi();
  const events: TrainingEvent[] = [];
  const states: RunState[] = [];
  const loads: { path: string; step?: number; how: 'load' | 'adopt' }[] = [];
  const logs: string[] = [];
  const run = new TrainingRun({
    engine,
    ui,
    model: {
      load: async (p, step) => loads.push({ path: p, step, how: 'load' }),
      adopt: async (p, step) => loads.push({ path: p, step, how: 'adopt' }),
    },
    log: { info: (m) => logs.push(m), error: (m) => logs.push(m), write: (_level, m) => logs.push(m) },
    runState: { write: async (s) => { states.push({ ...s }); } },
    collectCorpus: async () => ({
      files: corpusFiles,
      entries: corpusFiles.map((f) => ({ path: f, root: work, relativePath: path.basename(f), bytes: 50 })),
      summary: { files: corpusFiles.length, bytes: 100, skipped: {} },
    }),
    emit: (e) => events.push(e),
    checkpointPath,
    extensionPath: work, // holds no models/: the run trains from scratch
  });
  const request: TrainingRunRequest = {
    settings: {
      model: { preset: 'tiny', baseModelPath: '' },
      training: { maxMinutes: 1, maxSteps: 4, fromScratch: false, exclude: [] },
      threads: 0,
      device: 'auto',
    },
    folders: [{ name: 'work', path: work }],
    excludes: [],
  };
  return { run, request, engine, ui, events, states, loads, logs };
}

test('a finished run: progress and checkpoints reach the listeners, the model reloads, the user is told', async () => {
  const h = harness(async (_params, { onEvent }) => {
    onEvent?.({ event: 'trainProgress', id: 1, data: progress(2) });
    onEvent?.({ event: 'checkpoint', id: 1, data: { path: checkpointPath, step: 2, samples: [] } });
    onEvent?.({ event: 'log', id: 1, data: { level: 'info', message: 'halfway' } });
    onEvent?.({ event: 'trainProgress', id: 1, data: progress(4) });
    onEvent?.({ event: 'checkpoint', id: 1, data: { path: checkpointPath, step: 4, samples: [] } });
    return result('budget', 4);
  });
  const outcome = await h.run.execute(h.request);

  assert.equal(outcome.status, 'finished');
  assert.equal(outcome.result?.steps, 4);
  assert.deepEqual(h.events.map((e) => e.type), ['runStart', 'corpus', 'progress', 'checkpoint', 'progress', 'checkpoint', 'runEnd']);
  assert.ok(h.events.every((e) => e.runId === h.run.runId));
  const params = h.engine.trainCalls[0];
  assert.deepEqual(params.files, files);
  assert.equal(params.preset, 'tiny');
  assert.equal(params.baseModelPath, undefined, 'no bundled base model: from scratch');
  assert.equal(params.maxSteps, 4);
  assert.equal(params.threads, undefined, 'threads 0 leaves the choice to the engine');
  assert.equal(params.samplePrompts?.length, 2, 'one sample prompt per distinct file picked');
  // The first checkpoint of a run is loaded in full; later ones the engine already serves.
  assert.deepEqual(h.loads.map((l) => `${l.how}@${l.step}`), ['load@2', 'adopt@4', 'load@4']);
  assert.equal(h.states.at(0)?.status, 'running');
  assert.equal(h.states.at(-1)?.status, 'finished');
  assert.equal(h.states.at(-1)?.step, 4);
  assert.equal(h.run.progress?.step, 4);
  assert.equal(h.run.phase, 'training');
  assert.ok(h.logs.includes('engine: halfway'));
  assert.deepEqual(h.ui.titles, ['Seedling: training']);
  assert.ok(h.ui.reports.some((r) => r.startsWith('step 4/4')), h.ui.reports.join('\n'));
  assert.deepEqual(h.ui.notes.map((n) => n.severity), ['info']);
  assert.match(h.ui.notes[0].message, /Completions now use the new model/);
});

test('a stopped run: the engine saves and answers "cancelled"; the run state says stopped and the model reloads', async () => {
  const h = harness((_params, { onEvent, signal }) => new Promise((resolve) => {
    signal?.addEventListener('abort', () => resolve(result('cancelled', 3)), { once: true });
    onEvent?.({ event: 'trainProgress', id: 1, data: progress(3) });
  }));
  h.ui.stateChanged = () => { h.ui.stateChanges++; if (h.run.progress) h.run.stop(); };
  const outcome = await h.run.execute(h.request);

  assert.equal(outcome.status, 'cancelled');
  assert.equal(h.run.phase, 'stopping');
  assert.equal(h.states.at(-1)?.status, 'stopped');
  assert.equal(h.states.at(-1)?.step, 3);
  assert.deepEqual(h.loads.map((l) => `${l.how}@${l.step}`), ['load@3']);
  const end = h.events.at(-1);
  assert.equal(end?.type === 'runEnd' && end.status, 'cancelled');
  assert.deepEqual(h.ui.notes, [], 'stopping is what the user asked for: no notification');
});

test('an engine error: the run fails, says why, and stays resumable; a crash is left to the crash notice', async () => {
  const h = harness(async (_params, { onEvent }) => {
    onEvent?.({ event: 'checkpoint', id: 1, data: { path: checkpointPath, step: 2, samples: [] } });
    throw new CodedError('i/o error', 'disk full');
  });
  const outcome = await h.run.execute(h.request);
  assert.deepEqual(outcome, { status: 'failed', message: 'disk full' });
  assert.equal(h.states.at(-1)?.status, 'failed');
  assert.equal(h.states.at(-1)?.lastCheckpointStep, 2);
  assert.deepEqual(h.ui.notes, [{ severity: 'error', message: "Seedling's training failed: disk full" }]);
  const end = h.events.at(-1);
  assert.equal(end?.type === 'runEnd' && end.status, 'failed');

  const crashed = harness(async () => { throw new CodedError(ENGINE_CRASHED, 'engine stopped unexpectedly (signal SIGKILL)'); });
  assert.equal((await crashed.run.execute(crashed.request)).status, 'failed');
  assert.deepEqual(crashed.ui.notes, []);
});

test('an empty corpus starts nothing and tells the user where to look', async () => {
  const h = harness(async () => assert.fail('the engine must not be asked'), []);
  const outcome = await h.run.execute(h.request);
  assert.deepEqual(outcome, { status: 'not-started', message: 'empty corpus' });
  assert.deepEqual(h.events, []);
  assert.equal(h.ui.notes[0].severity, 'warning');
  assert.match(h.ui.notes[0].message, /no source files to learn from in work/);
});
