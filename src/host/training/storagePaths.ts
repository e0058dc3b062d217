/**
 * storagePaths.ts: where Seedling keeps its files for a workspace. Always in the extension's storage
 * (per workspace; the global storage when no folder is open), never inside the workspace itself.
 * Pure: no 'vscode' import (extension.ts passes the storage folder in).
 */
import * as path from 'node:path';
import { RUN_STATE_FILE } from './runState';

export interface StoragePaths {
  /** Folder that holds everything below; created on first write. */
  dir: string;
  /** The model and its training state (written atomically by the engine). */
  checkpoint: string;
  /** What the last run was doing (runState.ts). */
  runState: string;
  /** What became of the suggestions shown: counts only (completion/suggestionOutcomes.ts). */
  suggestionOutcomes: string;
}

export function storagePaths(dir: string): StoragePaths {
  return {
    dir,
    checkpoint: path.join(dir, 'model.seedling'),
    runState: path.join(dir, RUN_STATE_FILE),
    suggestionOutcomes: path.join(dir, 'suggestion-outcomes.json'),
  };
}
