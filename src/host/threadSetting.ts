/**
 * threadSetting.ts: `seedling.threads` as the engine gets it (no 'vscode' import: unit-tested).
 * A settings.json can say 1024 (or a workspace, outside Restricted Mode, can); the engine's pool would
 * then start 1024 spinning workers on a 2-core machine, and every decode step would wait on the
 * slowest of them. So the value is clamped to the cores this machine has; 0 (the default) lets the
 * engine choose.
 */
import * as os from 'node:os';

export function threadSetting(value: unknown, cores: number = os.availableParallelism()): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return 0;
  return Math.max(1, Math.min(Math.floor(value), Math.max(1, cores)));
}
