/**
 * trainingRecorder.ts: listens to the training controller from activation on (whether or not the
 * dashboard is open), keeps the run history (runHistory.ts) and turns training events into dashboard
 * messages for whoever is listening.
 */
import * as vscode from 'vscode';
import type { ModelConfig } from '../../shared/protocol';
import type { TrainingEvent } from '../training/trainingEvents';
import { finiteOrNull, toCheckpointPoint, toProgressPoint, type HostMessage, type ModelFacts, type RunRecord } from '../../shared/dashboard/messages';
import { RunHistory } from './runHistory';

export interface LoadedModelFacts { config: ModelConfig; parameters: number }

export class TrainingRecorder implements vscode.Disposable {
  private readonly history: Promise<RunHistory>;
  private activeRunId: string | null = null;
  private activeModel: ModelFacts | undefined;
  private readonly emitter = new vscode.EventEmitter<HostMessage>();
  /** Messages for the dashboard, in event order (progress one point at a time; the panel batches). */
  readonly onMessage = this.emitter.event;

  constructor(historyDir: string, warn: (message: string) => void) {
    this.history = RunHistory.load(historyDir).then(({ history, skippedLines }) => {
      if (skippedLines) warn(`Run history: skipped ${skippedLines} unreadable line(s) in ${history.file}`);
      history.onWriteError = (err) => warn(`Could not save the run history: ${err.message}`);
      return history;
    });
  }

  /** Everything the dashboard needs to draw from scratch (first load, or a recreated webview). */
  async snapshot(): Promise<{ runs: RunRecord[]; activeRunId: string | null }> {
    const h = await this.history;
    return { runs: h.list(), activeRunId: this.activeRunId };
  }

  /** Applied in arrival order: events queue behind the history load (then() callbacks keep order). */
  record(event: TrainingEvent): void {
    void this.history.then((h) => this.apply(h, event));
  }

  /** A checkpoint of the active run was loaded: now its size and shape are known. */
  modelLoaded(model: LoadedModelFacts): void {
    void this.history.then((h) => {
      if (!this.activeRunId || !this.activeModel) return;
      this.activeModel = { ...this.activeModel, parameters: model.parameters, config: { ...model.config } };
      h.setModel(this.activeRunId, this.activeModel);
      this.emitter.fire({ type: 'model', runId: this.activeRunId, model: this.activeModel });
    });
  }

  private apply(h: RunHistory, e: TrainingEvent): void {
    switch (e.type) {
      case 'runStart': {
        this.activeRunId = e.runId;
        this.activeModel = { preset: e.preset, parameters: 0, device: e.device, threads: e.threads };
        const run = { runId: e.runId, startedAt: e.startedAt, model: this.activeModel, resumed: e.resumed };
        h.startRun(run);
        this.emitter.fire({ type: 'runStarted', run });
        break;
      }
      case 'corpus': {
        const corpus = { files: e.summary.files, bytes: e.summary.bytes, skipped: { ...e.summary.skipped } };
        h.setCorpus(e.runId, corpus);
        this.emitter.fire({ type: 'corpus', runId: e.runId, corpus });
        break;
      }
      case 'progress': {
        const point = toProgressPoint(e.progress);
        h.addProgress(e.runId, [point]);
        this.emitter.fire({ type: 'progress', runId: e.runId, points: [point] });
        break;
      }
      case 'checkpoint': {
        const checkpoint = toCheckpointPoint(e.checkpoint);
        h.addCheckpoint(e.runId, checkpoint);
        this.emitter.fire({ type: 'checkpoint', runId: e.runId, checkpoint });
        break;
      }
      case 'runEnd': {
        const r = e.result;
        if (r && this.activeModel && this.activeRunId === e.runId) {
          this.activeModel = { ...this.activeModel, parameters: r.parameters, config: { ...r.config } };
          h.setModel(e.runId, this.activeModel);
          this.emitter.fire({ type: 'model', runId: e.runId, model: this.activeModel });
        }
        const end = {
          runId: e.runId, finishedAt: e.finishedAt, status: e.status,
          ...(r ? { steps: r.steps, tokensSeen: r.tokensSeen, trainLoss: finiteOrNull(r.trainLoss), valLoss: finiteOrNull(r.valLoss) } : {}),
          ...(e.message ? { message: e.message.slice(0, 4000) } : {}),
        };
        h.endRun(end);
        if (this.activeRunId === e.runId) { this.activeRunId = null; this.activeModel = undefined; }
        this.emitter.fire({ type: 'runFinished', end });
        break;
      }
    }
  }

  async dispose(): Promise<void> {
    this.emitter.dispose();
    await (await this.history).flush();
  }
}
