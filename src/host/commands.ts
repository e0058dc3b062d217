/**
 * commands.ts: the commands in the palette ("Seedling: …", declared in package.json) and the status bar
 * item's action menu. Each handler is a thin call into the controller that owns the work.
 */
import * as vscode from 'vscode';
import type { SeedlingServices } from './services';
import { SHOW_ACTIONS_COMMAND } from './training/statusBar';

export const COMMANDS = {
  train: 'seedling.train',
  stopTraining: 'seedling.stopTraining',
  resumeTraining: 'seedling.resumeTraining',
  openDashboard: 'seedling.openDashboard',
  inspectAttention: 'seedling.inspectAttention',
  toggleCompletions: 'seedling.toggleCompletions',
  deleteModel: 'seedling.deleteModel',
  showLog: 'seedling.showLog',
  restartEngine: 'seedling.restartEngine',
  showActions: SHOW_ACTIONS_COMMAND,
} as const;

export function registerCommands(services: SeedlingServices): vscode.Disposable[] {
  const { training, config, log } = services;
  return [
    // The returned promise settles when the run ends, so `executeCommand('seedling.train')` can be awaited.
    vscode.commands.registerCommand(COMMANDS.train, () => training.start()),
    vscode.commands.registerCommand(COMMANDS.resumeTraining, () => training.resume()),
    vscode.commands.registerCommand(COMMANDS.stopTraining, async () => {
      if (!training.isActive) {
        void vscode.window.showInformationMessage('Seedling is not training right now.');
        return undefined;
      }
      return training.stop();
    }),
    vscode.commands.registerCommand(COMMANDS.toggleCompletions, async () => {
      const enabled = !config.current.completion.enabled;
      await config.setCompletionsEnabled(enabled);
      vscode.window.setStatusBarMessage(`Seedling inline completions ${enabled ? 'on' : 'off'}`, 3000);
      return enabled;
    }),
    vscode.commands.registerCommand(COMMANDS.deleteModel, () => deleteModel(services)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()),
    // After the breaker stopped restarts (repeated crashes): try again, at once.
    vscode.commands.registerCommand(COMMANDS.restartEngine, () => {
      services.engine.resetRestarts();
      log.info('Engine restarts re-enabled by the user; the next request starts it');
    }),
    vscode.commands.registerCommand(COMMANDS.showActions, () => showActions(services)),
  ];
}

async function deleteModel(services: SeedlingServices): Promise<boolean> {
  const { training } = services;
  const detail = training.isActive
    ? 'Training is running; it will be stopped. Completions stop until you train again.'
    : 'Completions stop until you train again. The workspace files are not touched.';
  const choice = await vscode.window.showWarningMessage("Delete Seedling's model, its training state and the suggestion counts for this workspace?", { modal: true, detail }, 'Delete Model');
  if (choice !== 'Delete Model') return false;
  const removed = await training.deleteModel();
  services.outcomes.clear();
  services.log.info(`Deleted model files: ${removed.join(', ') || '(none)'}`);
  void vscode.window.showInformationMessage(removed.length > 0 ? "Seedling's model for this workspace was deleted." : 'There was no Seedling model to delete for this workspace.');
  return true;
}

interface Action extends vscode.QuickPickItem {
  command: string;
}

async function showActions(services: SeedlingServices): Promise<void> {
  const { training, config, model } = services;
  const items: Action[] = [];
  if (training.isActive) {
    items.push({ label: '$(debug-stop) Stop Training', command: COMMANDS.stopTraining });
  } else {
    if (training.interruptedRun || model.current) items.push({ label: '$(debug-continue) Resume Training', description: 'continue the last run from its checkpoint', command: COMMANDS.resumeTraining });
    items.push({ label: '$(play) Train on Workspace', description: `${config.current.model.preset} model, ${config.current.training.maxMinutes} min`, command: COMMANDS.train });
  }
  items.push(
    { label: '$(graph-line) Open Dashboard', command: COMMANDS.openDashboard },
    { label: config.current.completion.enabled ? '$(circle-slash) Disable Inline Completions' : '$(sparkle) Enable Inline Completions', command: COMMANDS.toggleCompletions },
    { label: '$(output) Show Log', command: COMMANDS.showLog },
    { label: '$(trash) Delete Model', command: COMMANDS.deleteModel },
  );
  const pick = await vscode.window.showQuickPick(items, { title: 'Seedling', placeHolder: training.corpusText ?? 'Choose an action' });
  if (pick) await vscode.commands.executeCommand(pick.command);
}
