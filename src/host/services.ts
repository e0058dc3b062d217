/**
 * services.ts: what the extension's parts share, built once in activate(). The dashboard and the
 * attention inspector (src/host/dashboard/) receive this object and need nothing else from us.
 */
import type * as vscode from 'vscode';
import type { ConfigService } from './config';
import type { OutcomeTracking } from './completion/outcomeTracking';
import type { Log } from './log';
import type { ModelHost } from './modelHost';
import type { StoragePaths } from './training/storagePaths';
import type { TrainingController } from './training/trainingController';
import type { EngineClient } from '../shared/engineClient';

export interface SeedlingServices {
  context: vscode.ExtensionContext;
  /** The supervised engine child process; forks on first request. */
  engine: EngineClient;
  /** Training runs: start/stop/resume, and `onEvent` (run start/end, corpus, progress, checkpoint). */
  training: TrainingController;
  /** The checkpoint loaded for completions (and attention), reloaded after each checkpoint or crash. */
  model: ModelHost;
  config: ConfigService;
  log: Log;
  paths: StoragePaths;
  /** What became of the suggestions shown (counts only, kept on this machine). */
  outcomes: OutcomeTracking;
}
