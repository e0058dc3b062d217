/**
 * trainingController.ts: one training run at a time, in the background. It collects the corpus, asks
 * the engine to train (fine-tuning the base model unless the user chose from-scratch), shows a
 * cancellable progress notification, keeps a run-state file so an interrupted run can be resumed
 * after VS Code restarts, and hands every checkpoint to the model host so completions improve while
 * training continues.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readCorpusExcludes, type ConfigService, type SeedlingConfig } from '../config';
import type { Engine } from '../../shared/engineApi';
import { ENGINE_CRASHED } from '../../shared/engineErrors';
import type { EngineEvent, PresetName, TrainParams, TrainProgress, TrainResult } from '../../shared/protocol';
import { describeError, type Log } from '../log';
import type { ModelHost } from '../modelHost';
import { describeCorpus } from '../../shared/corpus';
import { formatDuration, formatProgress, formatResult, progressFraction } from '../../shared/format';
import { readRunState, RunStateWriter, type RunState } from './runState';
import type { StoragePaths } from './storagePaths';
import type { CollectCorpus, RunEndStatus, TrainingEvent, TrainOutcome } from './trainingEvents';

/** Samples completed at every checkpoint, so the dashboard shows the model improving on this code. */
const SAMPLE_PROMPTS = 3;
const SAMPLE_PROMPT_CHARS = 240;

interface ActiveRun {
  runId: string;
  abort: AbortController;
  done: Promise<TrainOutcome>;
  phase: 'preparing' | 'training' | 'stopping';
  progress?: TrainProgress;
}

export interface TrainingControllerDeps {
  engine: Engine;
  model: ModelHost;
  config: ConfigService;
  log: Log;
  paths: StoragePaths;
  collectCorpus: CollectCorpus;
  /** Where bundled base models live (the extension's own folder). */
  extensionPath: string;
}

export class TrainingController implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private readonly emitter = new vscode.EventEmitter<TrainingEvent>();
  private readonly stateChanged = new vscode.EventEmitter<void>();
  private readonly runState: Pick<RunStateWriter, 'write'>;
  private lastCorpusText: string | undefined;
  private interrupted: RunState | undefined;
  /** VS Code is shutting down: a run in flight must stay marked "running" so the next start offers to resume it. */
  private disposed = false;

  /** Run start/end, corpus summary, progress and checkpoints (the dashboard listens here). */
  readonly onEvent = this.emitter.event;
  /** Anything the status bar shows changed. */
  readonly onDidChangeState = this.stateChanged.event;

  constructor(private readonly deps: TrainingControllerDeps) {
    const writer = new RunStateWriter(deps.paths.dir, (err) => deps.log.warn(`Could not save the training state: ${describeError(err)}`));
    this.runState = { write: (state) => (this.disposed ? Promise.resolve() : writer.write(state)) };
  }

  get isActive(): boolean {
    return this.active !== undefined;
  }
  get phase(): ActiveRun['phase'] | 'idle' {
    return this.active?.phase ?? 'idle';
  }
  get progress(): TrainProgress | undefined {
    return this.active?.progress;
  }
  get corpusText(): string | undefined {
    return this.lastCorpusText;
  }
  get interruptedRun(): RunState | undefined {
    return this.interrupted;
  }

  /**
   * After start-up (never during activation): a run still marked "running" was interrupted by a
   * restart or crash. Offer to resume it.
   */
  async offerResumeOfInterruptedRun(): Promise<void> {
    const state = await readRunState(this.deps.paths.dir);
    if (!state || state.status !== 'running' || this.active) return;
    if (!(await fileExists(this.deps.paths.checkpoint))) return; // interrupted before the first checkpoint: nothing to resume
    this.interrupted = state;
    this.stateChanged.fire();
    const at = state.lastCheckpointStep !== undefined ? ` at step ${state.lastCheckpointStep} of ~${state.totalSteps}` : '';
    const choice = await vscode.window.showInformationMessage(
      `Seedling's last training run (${state.preset}) was interrupted${at}. Resume it?`,
      'Resume Training',
      'Not Now',
    );
    if (choice === 'Resume Training') await this.resume();
  }

  start(): Promise<TrainOutcome> {
    return this.run(false);
  }

  resume(): Promise<TrainOutcome> {
    return this.run(true);
  }

  /** Cancels the run (the engine writes a final checkpoint) and resolves when it has ended. */
  async stop(): Promise<TrainOutcome | undefined> {
    const run = this.active;
    if (!run) return undefined;
    if (run.phase !== 'stopping') {
      run.phase = 'stopping';
      this.stateChanged.fire();
      run.abort.abort();
    }
    return run.done;
  }

  /** Deletes this workspace's model and training state (after the caller confirmed). */
  async deleteModel(): Promise<string[]> {
    await this.stop();
    this.deps.model.unload();
    const { dir, checkpoint, runState } = this.deps.paths;
    const removed: string[] = [];
    let names: string[] = [];
    try {
      names = await fs.readdir(dir);
    } catch {
      return removed; // nothing was ever stored
    }
    const checkpointName = path.basename(checkpoint);
    for (const name of names) {
      // The checkpoint, its temporary siblings from interrupted atomic writes, and the run state.
      if (name === checkpointName || name.startsWith(`${checkpointName}.`) || name === path.basename(runState) || name.startsWith(`${path.basename(runState)}.`)) {
        await fs.rm(path.join(dir, name), { force: true, recursive: true });
        removed.push(name);
      }
    }
    this.interrupted = undefined;
    this.lastCorpusText = undefined;
    this.stateChanged.fire();
    return removed;
  }

  private run(resume: boolean): Promise<TrainOutcome> {
    if (this.active) {
      void vscode.window.showInformationMessage('Seedling is already training this workspace.', 'Stop Training').then((c) => {
        if (c === 'Stop Training') void this.stop();
      });
      return this.active.done;
    }
    const runId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const abort = new AbortController();
    const run: ActiveRun = { runId, abort, phase: 'preparing', done: Promise.resolve({ status: 'not-started' }) };
    this.active = run;
    this.stateChanged.fire();
    run.done = this.execute(run, resume).finally(() => {
      if (this.active === run) this.active = undefined;
      this.stateChanged.fire();
    });
    return run.done;
  }

  private async execute(run: ActiveRun, resume: boolean): Promise<TrainOutcome> {
    const config = this.deps.config.current;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'Seedling learns from the code of an open folder, and no folder is open. Open a folder, then run "Seedling: Train on Workspace".',
        'Open Folder',
      );
      if (choice === 'Open Folder') void vscode.commands.executeCommand('vscode.openFolder');
      return { status: 'not-started', message: 'no folder open' };
    }

    let previous: RunState | undefined;
    if (resume) {
      previous = await readRunState(this.deps.paths.dir);
      if (!previous || !(await fileExists(this.deps.paths.checkpoint))) {
        const choice = await vscode.window.showInformationMessage('There is no training run to resume in this workspace.', 'Train on Workspace');
        if (choice === 'Train on Workspace') queueMicrotask(() => void this.start());
        return { status: 'not-started', message: 'nothing to resume' };
      }
    }

    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: resume ? 'Seedling: resuming training' : 'Seedling: training', cancellable: true },
      async (progress, token) => {
        const cancelSub = token.onCancellationRequested(() => void this.stop());
        try {
          return await this.train(run, config, folders, previous, progress);
        } finally {
          cancelSub.dispose();
        }
      },
    );
  }

  private async train(
    run: ActiveRun,
    config: SeedlingConfig,
    folders: readonly vscode.WorkspaceFolder[],
    previous: RunState | undefined,
    progress: vscode.Progress<{ message?: string; increment?: number }>,
  ): Promise<TrainOutcome> {
    const { log, paths, engine } = this.deps;
    const resume = previous !== undefined;
    // A resumed run continues with the preset its checkpoint was made with.
    const preset: PresetName = previous?.preset ?? config.model.preset;
    const fromScratch = previous?.fromScratch ?? config.training.fromScratch;

    progress.report({ message: 'collecting the workspace files…' });
    const excludes = [...new Set(folders.flatMap((f) => readCorpusExcludes(f, config)))];
    let corpus;
    try {
      corpus = await this.deps.collectCorpus(folders.map((f) => f.uri.fsPath), excludes, run.abort.signal);
    } catch (err) {
      if (run.abort.signal.aborted) return { status: 'cancelled' };
      log.error('Collecting the corpus failed', err);
      void vscode.window.showErrorMessage(`Seedling could not read the workspace files: ${describeError(err)}`);
      return { status: 'failed', message: describeError(err) };
    }
    const corpusText = describeCorpus(corpus.summary);
    this.lastCorpusText = corpusText;
    log.info(`Corpus: ${corpusText}`);
    if (corpus.files.length === 0) {
      const names = folders.map((f) => f.name).join(', ');
      void vscode.window.showWarningMessage(
        `Seedling found no source files to learn from in ${names} (${corpusText}). Add some code, or check files.exclude, .gitignore and seedling.training.exclude.`,
      );
      return { status: 'not-started', message: 'empty corpus' };
    }
    if (run.abort.signal.aborted) return { status: 'cancelled' };

    const baseModelPath = fromScratch ? undefined : await this.findBaseModel(config, preset);
    const startedAt = Date.now();
    const state: RunState = {
      version: 1,
      runId: run.runId,
      status: 'running',
      preset,
      fromScratch: fromScratch || baseModelPath === undefined,
      startedAt,
      updatedAt: startedAt,
      step: previous?.step ?? 0,
      totalSteps: previous?.totalSteps ?? 0,
      lastCheckpointStep: previous?.lastCheckpointStep,
    };
    await this.runState.write(state);
    this.interrupted = undefined;
    this.emitter.fire({ type: 'runStart', runId: run.runId, startedAt, preset, resumed: resume, fromScratch: state.fromScratch, threads: config.threads, device: config.device });
    this.emitter.fire({ type: 'corpus', runId: run.runId, summary: corpus.summary, text: corpusText });
    progress.report({ message: `${corpusText} — starting the engine…` });

    const params: TrainParams = {
      files: corpus.files,
      checkpointPath: paths.checkpoint,
      preset,
      resume,
      baseModelPath,
      maxMinutes: config.training.maxMinutes,
      maxSteps: config.training.maxSteps > 0 ? config.training.maxSteps : undefined,
      threads: config.threads > 0 ? config.threads : undefined,
      device: config.device,
      samplePrompts: await samplePrompts(corpus.files),
    };
    log.info(`Training ${preset} ${resume ? '(resumed) ' : ''}${baseModelPath ? `from ${baseModelPath}` : 'from scratch'} on ${corpus.files.length} files; budget ${config.training.maxMinutes} min${params.maxSteps ? ` / ${params.maxSteps} steps` : ''}`);

    run.phase = run.phase === 'stopping' ? 'stopping' : 'training';
    this.stateChanged.fire();
    let reported = 0;
    let firstCheckpointSeen = false;
    const onEvent = (event: EngineEvent) => {
      if (event.event === 'trainProgress') {
        const p = event.data;
        run.progress = p;
        state.step = p.step;
        state.totalSteps = p.totalSteps;
        const fraction = progressFraction(p);
        progress.report({ message: formatProgress(p), increment: Math.max(0, (fraction - reported) * 100) });
        reported = Math.max(reported, fraction);
        this.emitter.fire({ type: 'progress', runId: run.runId, progress: p });
        this.stateChanged.fire();
      } else if (event.event === 'checkpoint') {
        const c = event.data;
        state.lastCheckpointStep = c.step;
        void this.runState.write(state);
        // Completions move to the new checkpoint while training continues. The first one of a run is
        // loaded in full (the run may have changed the preset); later ones the engine already serves.
        void (firstCheckpointSeen ? this.deps.model.adopt(c.path, c.step) : this.deps.model.load(c.path, c.step));
        firstCheckpointSeen = true;
        this.emitter.fire({ type: 'checkpoint', runId: run.runId, checkpoint: c });
      } else if (event.event === 'log') {
        const l = event.data;
        log.write(l.level, `engine: ${l.message}`);
      }
    };

    let result: TrainResult;
    try {
      result = await engine.request('train', params, { onEvent, signal: run.abort.signal });
    } catch (err) {
      const cancelled = run.abort.signal.aborted || (err as { code?: string })?.code === 'cancelled';
      const message = describeError(err);
      const status: RunEndStatus = cancelled ? 'cancelled' : 'failed';
      // A failed run stays resumable from its last checkpoint; mark it so the next start does not nag.
      await this.runState.write({ ...state, status: cancelled ? 'stopped' : 'failed', message });
      this.emitter.fire({ type: 'runEnd', runId: run.runId, finishedAt: Date.now(), status, message });
      if (cancelled) {
        log.info(`Training stopped at step ${state.step}.`);
        // The cancelled engine request may not have written a final checkpoint; reload the last one it did.
        if (state.lastCheckpointStep !== undefined) void this.deps.model.load(paths.checkpoint, state.lastCheckpointStep, { ifExists: true });
        return { status, message };
      }
      log.error('Training failed', err);
      if (!isCrash(err)) {
        // An engine crash is reported by the crash handler (with the restart); everything else here.
        void vscode.window.showErrorMessage(`Seedling's training failed: ${message}`, 'Show Log').then((c) => c && log.show());
      }
      return { status, message };
    }

    const took = formatDuration(Date.now() - startedAt);
    if (result.stoppedBy === 'cancelled' || run.abort.signal.aborted) {
      // A stopped run saved its checkpoint: completions use it, and Resume Training continues it.
      await this.runState.write({ ...state, status: 'stopped', step: result.steps });
      await this.deps.model.load(result.checkpointPath, result.steps);
      log.info(`Training stopped after ${took}: ${formatResult(result)}`);
      this.emitter.fire({ type: 'runEnd', runId: run.runId, finishedAt: Date.now(), status: 'cancelled', result, message: 'stopped by the user' });
      return { status: 'cancelled', result };
    }
    await this.runState.write({ ...state, status: 'finished', step: result.steps });
    await this.deps.model.load(result.checkpointPath, result.steps);
    log.info(`Training finished (${result.stoppedBy}) in ${took}: ${formatResult(result)}`);
    this.emitter.fire({ type: 'runEnd', runId: run.runId, finishedAt: Date.now(), status: 'finished', result, message: result.stoppedBy });
    void vscode.window.showInformationMessage(`Seedling trained on ${corpusText} in ${took}: ${formatResult(result)}. Completions now use the new model.`);
    return { status: 'finished', result };
  }

  /** The base model to fine-tune: the user's choice, else the one bundled for the preset, else none (from scratch). */
  private async findBaseModel(config: SeedlingConfig, preset: PresetName): Promise<string | undefined> {
    if (config.model.baseModelPath) {
      if (await fileExists(config.model.baseModelPath)) return config.model.baseModelPath;
      void vscode.window.showWarningMessage(`Seedling: the base model ${config.model.baseModelPath} (seedling.model.baseModelPath) does not exist; training from scratch.`);
      return undefined;
    }
    const bundled = path.join(this.deps.extensionPath, 'models', `base-${preset}.seedling`);
    if (await fileExists(bundled)) return bundled;
    this.deps.log.info(`No bundled base model for the ${preset} preset (${bundled}); training from scratch.`);
    return undefined;
  }

  dispose(): void {
    // Not aborted here: the engine's shutdown saves the run, and run.json keeps saying "running".
    this.disposed = true;
    this.emitter.dispose();
    this.stateChanged.dispose();
  }
}

function isCrash(err: unknown): boolean {
  return (err as { code?: string })?.code === ENGINE_CRASHED;
}

async function fileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The opening lines of a few training files, spread over the corpus. */
async function samplePrompts(files: string[]): Promise<string[]> {
  const picks = [...new Set([0, Math.floor(files.length / 2), files.length - 1])].slice(0, SAMPLE_PROMPTS).map((i) => files[i]);
  const prompts: string[] = [];
  for (const file of picks) {
    try {
      const handle = await fs.open(file, 'r');
      try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(SAMPLE_PROMPT_CHARS * 2), 0, SAMPLE_PROMPT_CHARS * 2, 0);
        const text = buffer.subarray(0, bytesRead).toString('utf8');
        const cut = text.lastIndexOf('\n', SAMPLE_PROMPT_CHARS);
        const prompt = text.slice(0, cut > 0 ? cut + 1 : SAMPLE_PROMPT_CHARS);
        if (prompt.trim()) prompts.push(prompt);
      } finally {
        await handle.close();
      }
    } catch {
      // An unreadable file only costs a sample.
    }
  }
  return prompts;
}
