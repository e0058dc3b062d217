/**
 * index.ts: the dashboard and attention inspector, as the extension sees them. extension.ts calls
 * registerDashboard(context, services) once in activate(); everything else here is internal.
 *
 * `services` is the extension's SeedlingServices; we name only the parts we use, so this folder can
 * be read (and tested) without the rest of the extension.
 */
import * as vscode from 'vscode';
import type { Engine } from '../../shared/engineApi';
import type { AttentionParams, ModelConfig } from '../../shared/protocol';
import type { TrainingEvent } from '../training/trainingEvents';
import type { SuggestionSummary } from '../../shared/suggestionCounts';
import { AttentionPanel } from './attentionPanel';
import { DASHBOARD_VIEW_TYPE, DashboardPanel, type DashboardHost } from './dashboardPanel';
import { TrainingRecorder } from './trainingRecorder';

export interface DashboardServices {
  engine: Engine;
  training: { onEvent: vscode.Event<TrainingEvent>; stop(): Promise<unknown> };
  model: {
    ensureLoaded(): Promise<{ config: ModelConfig; parameters: number } | undefined>;
    onDidChange: vscode.Event<{ config: ModelConfig; parameters: number } | undefined>;
  };
  log: { info(message: string): void; warn(message: string): void; error(message: string, err?: unknown): void };
  /** The run history is kept beside the checkpoint, in the extension's per-workspace storage. */
  paths: { dir: string };
  outcomes: { outcomes: { summary(): SuggestionSummary }; onDidChange: vscode.Event<void> };
}

export const DASHBOARD_COMMANDS = {
  openDashboard: 'seedling.openDashboard',
  inspectAttention: 'seedling.inspectAttention',
} as const;

export function registerDashboard(context: vscode.ExtensionContext, services: DashboardServices): vscode.Disposable {
  const { log } = services;
  const write = (level: 'info' | 'warn' | 'error', message: string) => (level === 'error' ? log.error(message) : log[level](message));
  const recorder = new TrainingRecorder(services.paths.dir, (m) => log.warn(m));
  const host: DashboardHost = {
    recorder,
    extensionUri: context.extensionUri,
    stopTraining: () => void services.training.stop(),
    log: write,
    suggestions: () => services.outcomes.outcomes.summary(),
    onSuggestionsChanged: services.outcomes.onDidChange,
  };
  const attentionHost = {
    extensionUri: context.extensionUri,
    contextLength: async () => (await services.model.ensureLoaded())?.config.contextLength,
    attention: (params: AttentionParams) => services.engine.request('attention', params),
    log: write,
  };

  const disposables: vscode.Disposable[] = [
    recorder,
    services.training.onEvent((e) => recorder.record(e)),
    services.model.onDidChange((m) => { if (m) recorder.modelLoaded(m); }),
    // Returns once the panel exists, so a test (or another command) can await it.
    vscode.commands.registerCommand(DASHBOARD_COMMANDS.openDashboard, () => { DashboardPanel.show(host); }),
    vscode.commands.registerCommand(DASHBOARD_COMMANDS.inspectAttention, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('Seedling: open a file and place the cursor where you want to inspect attention.');
        return undefined;
      }
      const view = await AttentionPanel.get(attentionHost).inspect(editor);
      // Summary for tests and scripts; the full matrices stay in the panel.
      return view && { tokens: view.tokens.length, layers: view.layers, heads: view.heads, ms: view.ms, roundTripMs: view.roundTripMs };
    }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => { DashboardPanel.revive(panel, host); },
    }),
  ];
  const all = vscode.Disposable.from(...disposables);
  context.subscriptions.push(all);
  return all;
}
