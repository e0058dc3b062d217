/**
 * failedModels.ts: checkpoints that failed to load, remembered by path, modification time and size
 * (no 'vscode' import: unit-tested). The completion path asks for the model on every keystroke; a
 * damaged file would otherwise be read (and fail) each time, and the user told each time. A stamp
 * that differs (training wrote a new file, the user replaced it) is a different file and is tried.
 */
import type { CheckpointStamp } from '../shared/checkpointFile';
import { ENGINE_BUSY, ENGINE_TIMEOUT } from '../shared/engineClient';
import { ENGINE_CRASHED, ENGINE_UNAVAILABLE, errorCode } from '../shared/engineErrors';

/** Failures that say nothing about the file: the engine was busy, slow, cancelled or gone. */
const TRANSIENT = new Set<string>(['cancelled', 'disposed', ENGINE_TIMEOUT, ENGINE_BUSY, ENGINE_CRASHED, ENGINE_UNAVAILABLE]);

export function isFileFault(err: unknown): boolean {
  const code = errorCode(err);
  return code === undefined || !TRANSIENT.has(code);
}

function key(s: CheckpointStamp): string {
  return `${s.path}\u0000${s.mtimeMs}\u0000${s.size}`;
}

export class FailedModels {
  private readonly failures = new Map<string, string>();

  /** Why this exact file failed before, or undefined. */
  failure(stamp: CheckpointStamp): string | undefined {
    return this.failures.get(key(stamp));
  }

  /** Remember a failure; true the first time for this stamp (the moment to tell the user). */
  remember(stamp: CheckpointStamp, reason: string): boolean {
    const k = key(stamp);
    if (this.failures.has(k)) return false;
    // One entry per path: an older version of the file is of no interest once it changed.
    for (const other of [...this.failures.keys()]) if (other.startsWith(`${stamp.path}\u0000`)) this.failures.delete(other);
    this.failures.set(k, reason);
    return true;
  }

  /** The file was deleted or retrained: forget what we knew about it. */
  forget(path: string): void {
    for (const k of [...this.failures.keys()]) if (k.startsWith(`${path}\u0000`)) this.failures.delete(k);
  }
}
