/**
 * trainingController.ts: the VS Code side of training: one run at a time, in the background. The run
 * itself (corpus, engine request, run state, checkpoint reloads) is trainingRun.ts; this adapter gives
 * it a cancellable progress notification, notifications, the status bar's state and the event stream
 * the dashboard listens to, and asks the questions around a run (no folder open, resume an interrupted
 * run after VS Code restarts).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readCorpusExcludes, type ConfigService } from '../config';
import type { Engine } from '../../shared/engineApi';
import type { TrainProgress } from '../../shared/protocol';
import { fileExists } from '../fileExists';
import { describeError, type Log } from '../log';
import type { ModelHost } from '../modelHost';
import { readRunState, RunStateWriter, type RunState } from './runState';
import type { StoragePaths } from './storagePaths';
import type { CollectCorpus, TrainingEvent, TrainOutcome } from './trainingEvents';
import { TrainingRun, type RunPhase, type TrainingUi } from './trainingRun';

interface ActiveRun {
  run: TrainingRun;
  done: Promise<TrainOutcome>;
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
  get phase(): RunPhase | 'idle' {
    return this.active?.run.phase ?? 'idle';
  }
  get progress(): TrainProgress | undefined {
    return this.active?.run.progress;
  }
  get corpusText(): string | undefined {
    return this.active?.run.corpusText ?? this.lastCorpusText;
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
    const active = this.active;
    if (!active) return undefined;
    active.run.stop();
    return active.done;
  }

  /** Deletes this workspace's model and training state (after the caller confirmed). */
  async deleteModel(): Promise<string[]> {
    await this.stop();
    this.deps.model.unload();
    const { dir, checkpoint, runState, suggestionOutcomes } = this.deps.paths;
    const removed: string[] = [];
    let names: string[] = [];
    try {
      names = await fs.readdir(dir);
    } catch {
      return removed; // nothing was ever stored
    }
    const checkpointName = path.basename(checkpoint);
    for (const name of names) {
      // The checkpoint, its temporary siblings from interrupted atomic writes, the run state, and what
      // the user did with the suggestions (their signal goes with the model it was about).
      const ours = [checkpointName, path.basename(runState), path.basename(suggestionOutcomes)];
      if (ours.some((own) => name === own || name.startsWith(`${own}.`))) {
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
    const run = new TrainingRun({
      engine: this.deps.engine,
      model: this.deps.model,
      log: this.deps.log,
      ui: this.ui,
      runState: this.runState,
      collectCorpus: this.deps.collectCorpus,
      emit: (event) => this.onRunEvent(event),
      checkpointPath: this.deps.paths.checkpoint,
      extensionPath: this.deps.extensionPath,
    });
    const active: ActiveRun = { run, done: Promise.resolve({ status: 'not-started' }) };
    this.active = active;
    this.stateChanged.fire();
    active.done = this.execute(run, resume).finally(() => {
      this.lastCorpusText = run.corpusText ?? this.lastCorpusText;
      if (this.active === active) this.active = undefined;
      this.stateChanged.fire();
    });
    return active.done;
  }

  /** The questions before a run (is a folder open, is there a run to resume), then the run. */
  private async execute(run: TrainingRun, resume: boolean): Promise<TrainOutcome> {
    const settings = this.deps.config.current;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'Seedling learns from the code of an open folder, and no folder is open. Open a folder, then run "Seedling: Train on Workspace".',
        'Open Folder',
      );
      if (choice === 'Open Folder') void vscode.commands.executeCommand('vscode.openFolder');
      return { status: 'not-started', message: 'no folder open' };
    }

    const refusal = await this.refuseUntrustedOrVirtual(folders);
    if (refusal) return refusal;

    let previous: RunState | undefined;
    if (resume) {
      previous = await readRunState(this.deps.paths.dir);
      if (!previous || !(await fileExists(this.deps.paths.checkpoint))) {
        const choice = await vscode.window.showInformationMessage('There is no training run to resume in this workspace.', 'Train on Workspace');
        if (choice === 'Train on Workspace') queueMicrotask(() => void this.start());
        return { status: 'not-started', message: 'nothing to resume' };
      }
    }
    const excludes = [...new Set(folders.flatMap((f) => readCorpusExcludes(f, settings)))];
    return run.execute({ settings, folders: folders.map((f) => ({ name: f.name, path: f.uri.fsPath })), excludes, previous });
  }

  /**
   * Training reads every file of the folders: not in Restricted Mode (package.json's
   * capabilities.untrustedWorkspaces says so), and not from a virtual folder, whose files have no
   * path on this machine's disk.
   */
  private async refuseUntrustedOrVirtual(folders: readonly vscode.WorkspaceFolder[]): Promise<TrainOutcome | undefined> {
    const virtual = folders.find((f) => f.uri.scheme !== 'file');
    if (virtual) {
      void vscode.window.showInformationMessage(`Seedling trains on files on this machine's disk, and "${virtual.name}" is a ` +
        `virtual folder (${virtual.uri.scheme}:). Clone or open it locally to train on it.`);
      return { status: 'not-started', message: 'virtual workspace' };
    }
    if (!vscode.workspace.isTrusted) {
      const choice = await vscode.window.showInformationMessage('Seedling trains only on trusted folders: training reads ' +
        'every file of the workspace. Trust this folder to train on it.', 'Manage Workspace Trust');
      if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
      return { status: 'not-started', message: 'workspace not trusted' };
    }
    return undefined;
  }

  /** What a run shows, in VS Code's terms. */
  private readonly ui: TrainingUi = {
    showProgress: (title, work) => vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const cancelSub = token.onCancellationRequested(() => void this.stop());
        try {
          return await work((update) => progress.report(update));
        } finally {
          cancelSub.dispose();
        }
      },
    ),
    notify: (severity, message) => {
      if (severity === 'info') void vscode.window.showInformationMessage(message);
      else if (severity === 'warning') void vscode.window.showWarningMessage(message);
      else void vscode.window.showErrorMessage(message, 'Show Log').then((c) => c && this.deps.log.show());
    },
    stateChanged: () => this.stateChanged.fire(),
  };

  /** A run's events: a started run is no longer the interrupted one; then to every listener. */
  private onRunEvent(event: TrainingEvent): void {
    if (event.type === 'runStart') this.interrupted = undefined;
    this.emitter.fire(event);
  }

  dispose(): void {
    // Not aborted here: the engine's shutdown saves the run, and run.json keeps saying "running".
    this.disposed = true;
    this.emitter.dispose();
    this.stateChanged.dispose();
  }
}
