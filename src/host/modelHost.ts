/**
 * modelHost.ts: which checkpoint the engine serves completions from. Training writes checkpoints as it
 * goes; each one is loaded here, so completions improve during a run and come from the last good
 * checkpoint if the run fails. Loads are serialised (a slow load never races a newer one) and forgotten
 * when the engine restarts, so the next completion reloads. Nothing here touches the disk on the
 * extension host thread except one async stat. A checkpoint that fails to load is remembered by path,
 * mtime and size (modelLoader.ts): it is not read again on every keystroke, and the user is offered
 * Delete or Retrain once.
 */
import * as vscode from 'vscode';
import type { Engine } from '../shared/engineApi';
import type { ModelConfig } from '../shared/protocol';
import type { Log } from './log';
import { ModelLoader } from './modelLoader';

export interface LoadedModel {
  path: string;
  config: ModelConfig;
  parameters: number;
  /** Training step of the checkpoint, when it came from a checkpoint event. */
  step?: number;
  loadedAt: number;
}

export class ModelHost implements vscode.Disposable {
  private loaded: LoadedModel | undefined;
  private loading: Promise<LoadedModel | undefined> | undefined;
  /** Bumped by every load/unload; a load that finishes after a newer request is discarded. */
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<LoadedModel | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly loader: ModelLoader;

  constructor(
    engine: Engine,
    private readonly checkpointPath: string,
    private readonly log: Log,
    /** Engine threads for serving (seedling.threads; undefined = the engine's choice). */
    threads: () => number | undefined = () => undefined,
  ) {
    this.loader = new ModelLoader(engine, (m) => log.warn(m), threads);
  }

  get current(): LoadedModel | undefined {
    return this.loaded;
  }

  /**
   * The loaded model, loading the workspace's checkpoint on first use. Resolves undefined when there is
   * no checkpoint yet (nothing trained) or it cannot be loaded (logged once per attempt).
   */
  ensureLoaded(): Promise<LoadedModel | undefined> {
    if (this.loaded) return Promise.resolve(this.loaded);
    if (this.loading) return this.loading;
    return this.load(this.checkpointPath, undefined, { ifExists: true });
  }

  /** Loads `path` (a fresh checkpoint) for completions, replacing the current model when done. */
  load(path: string, step?: number, options: { ifExists?: boolean } = {}): Promise<LoadedModel | undefined> {
    const generation = ++this.generation;
    const previous = this.loading ?? Promise.resolve(undefined);
    const attempt = previous
      .catch(() => undefined)
      .then(async () => {
        const started = Date.now();
        const attempt = await this.loader.load(path, options);
        if (attempt.newFailure !== undefined) this.offerFix(attempt.newFailure);
        const result = attempt.result;
        if (!result) return undefined;
        if (generation !== this.generation) return this.loaded; // superseded by a newer load or unload
        this.loaded = { path: result.path, config: result.config, parameters: result.parameters, step, loadedAt: Date.now() };
        this.log.info(`Loaded model for completions: ${result.parameters.toLocaleString()} parameters, context ${result.config.contextLength}, step ${step ?? '?'} (${Date.now() - started} ms)`);
        this.changed.fire(this.loaded);
        return this.loaded;
      });
    this.loading = attempt;
    void attempt.finally(() => {
      if (this.loading === attempt) this.loading = undefined;
    });
    return attempt;
  }

  /**
   * Training wrote a better checkpoint, and the engine already serves it (it adopts its own
   * checkpoints). Record it and tell listeners (cached answers are stale) without a second load;
   * only when nothing was loaded yet do we ask for it, to learn its configuration.
   */
  adopt(path: string, step: number): Promise<LoadedModel | undefined> {
    if (!this.loaded || this.loading) return this.load(path, step);
    this.generation++;
    this.loaded = { ...this.loaded, path, step, loadedAt: Date.now() };
    this.changed.fire(this.loaded);
    return Promise.resolve(this.loaded);
  }

  /** The engine restarted: its memory is gone, so the next completion reloads from disk. */
  forget(): void {
    this.generation++;
    this.loaded = undefined;
    this.loading = undefined;
    this.changed.fire(undefined);
  }

  /** The model was deleted: stop serving it (a new file at the path is tried afresh). */
  unload(): void {
    this.loader.failed.forget(this.checkpointPath);
    this.forget();
  }

  /** Once per damaged file: it cannot serve, so say so and offer the two ways out. */
  private offerFix(reason: string): void {
    const message = `Seedling could not load its model (${reason}). Completions are off until it is replaced.`;
    this.log.error(message);
    void vscode.window.showErrorMessage(message, 'Delete Model', 'Retrain').then((choice) => {
      if (choice === 'Delete Model') void vscode.commands.executeCommand('seedling.deleteModel');
      else if (choice === 'Retrain') void vscode.commands.executeCommand('seedling.train');
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
