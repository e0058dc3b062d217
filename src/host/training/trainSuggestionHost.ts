/**
 * trainSuggestionHost.ts: the train suggestion (trainSuggestion.ts) wired to VS Code. It waits until
 * start-up has settled (after the offer to resume an interrupted run, which owns that case), and when
 * the folder had no sources yet, checks again on each save until it has: the user who starts from an
 * empty folder is asked once there is code to learn from.
 */
import * as vscode from 'vscode';
import { COMMANDS } from '../commands';
import { fileExists } from '../fileExists';
import type { Log } from '../log';
import { hasSourceFiles } from './sourceFiles';
import type { TrainingController } from './trainingController';
import { TrainSuggestion, type SuggestionOutcome } from './trainSuggestion';

const STARTUP_DELAY_MS = 3000;

export function startTrainSuggestion(context: vscode.ExtensionContext, training: TrainingController, checkpoint: string, log: Log): { trainSuggestion: TrainSuggestion; atStartup: Promise<SuggestionOutcome> } {
  const trainSuggestion = new TrainSuggestion({
    workspaceState: context.workspaceState,
    globalState: context.globalState,
    folder: () => vscode.workspace.workspaceFolders?.[0]?.uri,
    isTrusted: () => vscode.workspace.isTrusted,
    isTraining: () => training.isActive,
    hasModel: () => fileExists(checkpoint),
    hasSources: hasSourceFiles,
    show: (message, ...items) => vscode.window.showInformationMessage(message, ...items),
    train: () => vscode.commands.executeCommand(COMMANDS.train),
    log: (message) => log.info(message),
  });
  const failed = (err: unknown): SuggestionOutcome => {
    log.error('Checking whether to suggest training failed', err);
    return 'error';
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const atStartup = new Promise<SuggestionOutcome>((resolve) => {
    timer = setTimeout(() => resolve(trainSuggestion.check().catch(failed)), STARTUP_DELAY_MS);
  });
  let onSave: vscode.Disposable | undefined;
  let disposed = false;
  void atStartup.then((outcome) => {
    if (outcome !== 'no-sources' || disposed) return;
    onSave = vscode.workspace.onDidSaveTextDocument(async (doc) => {
      if (doc.uri.scheme !== 'file') return;
      const next = await trainSuggestion.check().catch(failed);
      if (next !== 'no-sources') onSave?.dispose();
    });
  });
  context.subscriptions.push({ dispose: () => { disposed = true; clearTimeout(timer); onSave?.dispose(); } });
  return { trainSuggestion, atStartup };
}
