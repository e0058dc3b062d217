/**
 * trainingRun.ts: one training run of the workspace, from the corpus to the reloaded model, without
 * VS Code. It collects the corpus, picks the starting point (the base model, from scratch, or the
 * interrupted run), asks the engine to train, and turns the engine's events into progress, run-state
 * writes, checkpoint reloads and TrainingEvents. What the user sees goes through a small UI port, so
 * trainingController.ts (the VS Code adapter) stays thin and test/unit/training-run.test.ts drives a
 * run with a fake engine and a fake UI.
 */
import * as path from 'node:path';
import { describeCorpus } from '../../shared/corpus';
import type { Engine } from '../../shared/engineApi';
import { ENGINE_CRASHED, describeError, errorCode } from '../../shared/engineErrors';
import { formatDuration, formatProgress, formatResult, progressFraction } from '../../shared/format';
import type { EngineEvent, PresetName, TrainParams, TrainProgress, TrainResult } from '../../shared/protocol';
import type { SeedlingConfig } from '../config';
import { fileExists } from '../fileExists';
import type { RunState } from './runState';
import { samplePrompts } from './samplePrompts';
import type { CollectCorpus, RunEndStatus, TrainingEvent, TrainOutcome } from './trainingEvents';

/** One update of the progress display: its text, and how many percent to add to its bar. */
export type ProgressUpdate = { message: string; increment?: number };

/** What a run shows the user. */
export interface TrainingUi {
  /** Runs `work` under a progress display that the user may cancel (cancelling stops the run). */
  showProgress<T>(title: string, work: (report: (update: ProgressUpdate) => void) => Promise<T>): PromiseLike<T>;
  /** A notification; an error one offers the log. */
  notify(severity: 'info' | 'warning' | 'error', message: string): void;
  /** The run's phase or progress changed (the status bar redraws). */
  stateChanged(): void;
}

/** The log lines a run writes (log.ts). */
export interface RunLog {
  info(message: string): void;
  error(message: string, err?: unknown): void;
  write(level: 'info' | 'warn' | 'error', message: string): void;
}

/** Serves checkpoints to completions (modelHost.ts). */
export interface CheckpointLoader {
  load(path: string, step?: number, options?: { ifExists?: boolean }): Promise<unknown>;
  adopt(path: string, step: number): Promise<unknown>;
}

export interface TrainingRunDeps {
  engine: Engine;
  model: CheckpointLoader;
  log: RunLog;
  ui: TrainingUi;
  runState: { write(state: RunState): Promise<void> };
  collectCorpus: CollectCorpus;
  /** Run start/end, corpus, progress and checkpoints, in that order. */
  emit(event: TrainingEvent): void;
  /** Where the engine writes this workspace's checkpoint. */
  checkpointPath: string;
  /** Where bundled base models live (the extension's own folder). */
  extensionPath: string;
}

/** The settings a run reads (config.ts), taken once when it starts. */
export type TrainingSettings = Pick<SeedlingConfig, 'model' | 'training' | 'threads' | 'device'>;

export interface TrainingRunRequest {
  settings: TrainingSettings;
  /** The workspace folders to learn from. */
  folders: readonly { name: string; path: string }[];
  /** Globs left out of the corpus. */
  excludes: string[];
  /** The interrupted run to continue; undefined starts a new one. */
  previous?: RunState;
}

export type RunPhase = 'preparing' | 'training' | 'stopping';

export class TrainingRun {
  readonly runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly abort = new AbortController();
  private currentPhase: RunPhase = 'preparing';
  private latest: TrainProgress | undefined;
  private corpusDescription: string | undefined;

  constructor(private readonly deps: TrainingRunDeps) {}

  get phase(): RunPhase { return this.currentPhase; }
  /** The engine's latest progress report. */
  get progress(): TrainProgress | undefined { return this.latest; }
  /** What the corpus came to ("412 files, 3.1 MB; skipped ..."), once collected. */
  get corpusText(): string | undefined { return this.corpusDescription; }

  /** Cancels the run; the engine writes a final checkpoint and execute() resolves 'cancelled'. */
  stop(): void {
    if (this.currentPhase === 'stopping') return;
    this.currentPhase = 'stopping';
    this.deps.ui.stateChanged();
    this.abort.abort();
  }

  async execute(request: TrainingRunRequest): Promise<TrainOutcome> {
    const title = request.previous ? 'Seedling: resuming training' : 'Seedling: training';
    return await this.deps.ui.showProgress(title, (report) => this.run(request, report));
  }

  private async run(request: TrainingRunRequest, report: (update: ProgressUpdate) => void): Promise<TrainOutcome> {
    const { settings, previous } = request;
    const { log, ui } = this.deps;
    // A resumed run continues with the preset and starting point its checkpoint was made with.
    const preset: PresetName = previous?.preset ?? settings.model.preset;
    const fromScratch = previous?.fromScratch ?? settings.training.fromScratch;

    report({ message: 'collecting the workspace files…' });
    let corpus;
    try {
      corpus = await this.deps.collectCorpus(request.folders.map((f) => f.path), request.excludes, this.abort.signal);
    } catch (err) {
      if (this.abort.signal.aborted) return { status: 'cancelled' };
      log.error('Collecting the corpus failed', err);
      ui.notify('error', `Seedling could not read the workspace files: ${describeError(err)}`);
      return { status: 'failed', message: describeError(err) };
    }
    const corpusText = describeCorpus(corpus.summary);
    this.corpusDescription = corpusText;
    ui.stateChanged();
    log.info(`Corpus: ${corpusText}`);
    if (corpus.files.length === 0) {
      const names = request.folders.map((f) => f.name).join(', ');
      ui.notify('warning', `Seedling found no source files to learn from in ${names} (${corpusText}). ` +
        'Add some code, or check files.exclude, .gitignore and seedling.training.exclude.');
      return { status: 'not-started', message: 'empty corpus' };
    }
    if (this.abort.signal.aborted) return { status: 'cancelled' };

    const baseModelPath = fromScratch ? undefined : await this.findBaseModel(settings, preset);
    const startedAt = Date.now();
    const state: RunState = {
      version: 1,
      runId: this.runId,
      status: 'running',
      preset,
      fromScratch: fromScratch || baseModelPath === undefined,
      startedAt,
      updatedAt: startedAt,
      step: previous?.step ?? 0,
      totalSteps: previous?.totalSteps ?? 0,
      lastCheckpointStep: previous?.lastCheckpointStep,
    };
    await this.deps.runState.write(state);
    this.deps.emit({
      type: 'runStart', runId: this.runId, startedAt, preset, resumed: previous !== undefined, fromScratch: state.fromScratch,
      threads: settings.threads, device: settings.device,
    });
    this.deps.emit({ type: 'corpus', runId: this.runId, summary: corpus.summary, text: corpusText });
    report({ message: `${corpusText} — starting the engine…` });

    const params: TrainParams = {
      files: corpus.files,
      checkpointPath: this.deps.checkpointPath,
      preset,
      resume: previous !== undefined,
      baseModelPath,
      maxMinutes: settings.training.maxMinutes,
      maxSteps: settings.training.maxSteps > 0 ? settings.training.maxSteps : undefined,
      threads: settings.threads > 0 ? settings.threads : undefined,
      device: settings.device,
      samplePrompts: await samplePrompts(corpus.files),
    };
    log.info(`Training ${preset} ${params.resume ? '(resumed) ' : ''}${baseModelPath ? `from ${baseModelPath}` : 'from scratch'} ` +
      `on ${corpus.files.length} files; budget ${settings.training.maxMinutes} min${params.maxSteps ? ` / ${params.maxSteps} steps` : ''}`);

    if (this.currentPhase === 'preparing') this.currentPhase = 'training';
    ui.stateChanged();
    return this.train(params, state, report, corpusText);
  }

  private async train(params: TrainParams, state: RunState, report: (update: ProgressUpdate) => void, corpusText: string): Promise<TrainOutcome> {
    const { log, model } = this.deps;
    const display: ProgressDisplay = { report, filled: 0, checkpointSeen: false };
    let result: TrainResult;
    try {
      result = await this.deps.engine.request('train', params, { onEvent: (e) => this.onEngineEvent(e, state, display), signal: this.abort.signal });
    } catch (err) {
      return this.failed(err, state);
    }

    const took = formatDuration(Date.now() - state.startedAt);
    const stopped = result.stoppedBy === 'cancelled' || this.abort.signal.aborted;
    // A stopped run saved its checkpoint: completions use it, and Resume Training continues it.
    await this.deps.runState.write({ ...state, status: stopped ? 'stopped' : 'finished', step: result.steps });
    await model.load(result.checkpointPath, result.steps);
    if (stopped) {
      log.info(`Training stopped after ${took}: ${formatResult(result)}`);
      this.end('cancelled', result, 'stopped by the user');
      return { status: 'cancelled', result };
    }
    log.info(`Training finished (${result.stoppedBy}) in ${took}: ${formatResult(result)}`);
    this.end('finished', result, result.stoppedBy);
    this.deps.ui.notify('info', `Seedling trained on ${corpusText} in ${took}: ${formatResult(result)}. Completions now use the new model.`);
    return { status: 'finished', result };
  }

  /** The train request rejected: cancelled before the engine could answer, or an error. */
  private async failed(err: unknown, state: RunState): Promise<TrainOutcome> {
    const cancelled = this.abort.signal.aborted || errorCode(err) === 'cancelled';
    const message = describeError(err);
    const status: RunEndStatus = cancelled ? 'cancelled' : 'failed';
    // A failed run stays resumable from its last checkpoint; mark it so the next start does not nag.
    await this.deps.runState.write({ ...state, status: cancelled ? 'stopped' : 'failed', message });
    this.end(status, undefined, message);
    if (cancelled) {
      this.deps.log.info(`Training stopped at step ${state.step}.`);
      // The cancelled request may not have written a final checkpoint; reload the last one it did.
      if (state.lastCheckpointStep !== undefined) void this.deps.model.load(this.deps.checkpointPath, state.lastCheckpointStep, { ifExists: true });
      return { status, message };
    }
    this.deps.log.error('Training failed', err);
    // An engine crash is reported by the crash handler (with the restart); everything else here.
    if (errorCode(err) !== ENGINE_CRASHED) this.deps.ui.notify('error', `Seedling's training failed: ${message}`);
    return { status, message };
  }

  private end(status: RunEndStatus, result: TrainResult | undefined, message: string): void {
    this.deps.emit({ type: 'runEnd', runId: this.runId, finishedAt: Date.now(), status, ...(result ? { result } : {}), message });
  }

  /** The base model to fine-tune: the user's choice, else the one bundled for the preset, else none (from scratch). */
  private async findBaseModel(settings: TrainingSettings, preset: PresetName): Promise<string | undefined> {
    const chosen = settings.model.baseModelPath;
    if (chosen) {
      if (await fileExists(chosen)) return chosen;
      this.deps.ui.notify('warning', `Seedling: the base model ${chosen} (seedling.model.baseModelPath) does not exist; training from scratch.`);
      return undefined;
    }
    const bundled = path.join(this.deps.extensionPath, 'models', `base-${preset}.seedling`);
    if (await fileExists(bundled)) return bundled;
    this.deps.log.info(`No bundled base model for the ${preset} preset (${bundled}); training from scratch.`);
    return undefined;
  }

  /** The engine's events during the train request: progress, checkpoints and its log lines. */
  private onEngineEvent(event: EngineEvent, state: RunState, display: ProgressDisplay): void {
    const { emit, model, log } = this.deps;
    switch (event.event) {
      case 'trainProgress': {
        const p = event.data;
        this.latest = p;
        state.step = p.step;
        state.totalSteps = p.totalSteps;
        const fraction = progressFraction(p);
        display.report({ message: formatProgress(p), increment: Math.max(0, (fraction - display.filled) * 100) });
        display.filled = Math.max(display.filled, fraction);
        emit({ type: 'progress', runId: this.runId, progress: p });
        this.deps.ui.stateChanged();
        break;
      }
      case 'checkpoint': {
        const c = event.data;
        // Completions move to the new checkpoint while training continues. The first one of a run is
        // loaded in full (the run may have changed the preset); later ones the engine already serves.
        state.lastCheckpointStep = c.step;
        void this.deps.runState.write(state);
        void (display.checkpointSeen ? model.adopt(c.path, c.step) : model.load(c.path, c.step));
        display.checkpointSeen = true;
        emit({ type: 'checkpoint', runId: this.runId, checkpoint: c });
        break;
      }
      case 'log':
        log.write(event.data.level, `engine: ${event.data.message}`);
        break;
    }
  }
}

/** The progress display of one train request: how to update it, how much of its bar is filled. */
interface ProgressDisplay {
  report(update: ProgressUpdate): void;
  filled: number;
  checkpointSeen: boolean;
}
