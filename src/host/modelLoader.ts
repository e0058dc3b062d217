/**
 * modelLoader.ts: one attempt to have the engine serve a checkpoint, with the checks that keep a bad
 * file from costing a keystroke each (no 'vscode' import: unit-tested with a fake engine). The file is
 * stat'ed first (a regular file within the size bound, checkpointFile.ts); a file that failed before
 * with the same path, mtime and size is not sent to the engine again (failedModels.ts); a new failure
 * is reported once, as `newFailure`, for the caller to offer Delete or Retrain.
 */
import { checkCheckpointFile } from '../shared/checkpointFile';
import type { Engine } from '../shared/engineApi';
import { ENGINE_UNAVAILABLE, describeError, errorCode } from '../shared/engineErrors';
import type { LoadModelResult } from '../shared/protocol';
import { FailedModels, isFileFault } from './failedModels';

export interface LoadAttempt {
  result?: LoadModelResult;
  /** Set the first time this exact file fails: why. */
  newFailure?: string;
}

export class ModelLoader {
  readonly failed = new FailedModels();

  constructor(
    private readonly engine: Engine,
    private readonly warn: (message: string) => void,
    private readonly threads: () => number | undefined = () => undefined,
  ) {}

  async load(path: string, options: { ifExists?: boolean } = {}): Promise<LoadAttempt> {
    const check = await checkCheckpointFile(path);
    if (!check.ok && check.missing) {
      if (!options.ifExists) this.warn(`Could not load the model ${path}: it does not exist`);
      return {};
    }
    const stamp = check.stamp;
    if (stamp && this.failed.failure(stamp) !== undefined) return {};  // known bad, unchanged: no engine round trip
    if (!check.ok) return this.fail(check.reason, stamp);
    try {
      return { result: await this.engine.request('loadModel', { path, threads: this.threads() }) };
    } catch (err) {
      const reason = describeError(err);
      if (!isFileFault(err)) {
        // Restarts stopped or backing off: the crash notice told the user once; a line per keystroke would bury the log.
        if (errorCode(err) !== ENGINE_UNAVAILABLE) this.warn(`Could not load the model ${path}: ${reason}`);
        return {};
      }
      return this.fail(reason, stamp);
    }
  }

  private fail(reason: string, stamp: { path: string; mtimeMs: number; size: number } | undefined): LoadAttempt {
    this.warn(`Could not load the model ${stamp?.path ?? ''}: ${reason}`);
    if (!stamp || !this.failed.remember(stamp, reason)) return {};
    return { newFailure: reason };
  }
}
