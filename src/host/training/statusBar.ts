/**
 * statusBar.ts: one status bar item that says what Seedling is doing (no model / ready / training with
 * loss and speed / completions off) and opens the actions menu when clicked.
 */
import * as vscode from 'vscode';
import type { TrainProgress } from '../../shared/protocol';
import type { LoadedModel } from '../modelHost';
import { formatCount, formatLoss, progressFraction } from '../../shared/format';

export const SHOW_ACTIONS_COMMAND = 'seedling.showActions';

export interface StatusFacts {
  training: 'idle' | 'preparing' | 'training' | 'stopping';
  progress?: TrainProgress;
  corpusText?: string;
  model?: LoadedModel;
  completionsEnabled: boolean;
  interruptedRun?: boolean;
  /** "12 of 40 suggestions accepted (30%)" once any was shown. */
  acceptance?: string;
}

export class SeedlingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('seedling.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'Seedling';
    this.item.command = SHOW_ACTIONS_COMMAND;
    this.item.show();
  }

  render(f: StatusFacts): void {
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Seedling** — click for actions\n\n');
    if (f.training === 'training' && f.progress) {
      const p = f.progress;
      const pct = Math.round(progressFraction(p) * 100);
      this.item.text = `$(sync~spin) Seedling ${pct}% · loss ${formatLoss(p.loss)} · ${formatCount(p.tokensPerSecond)} tok/s`;
      tooltip.appendMarkdown(`Training: step ${p.step} of ~${p.totalSteps}, ${formatCount(p.tokensSeen)} tokens seen\n\n`);
    } else if (f.training === 'preparing') {
      this.item.text = '$(sync~spin) Seedling: preparing';
      tooltip.appendMarkdown('Collecting the workspace files and starting the engine\n\n');
    } else if (f.training === 'stopping') {
      this.item.text = '$(sync~spin) Seedling: stopping';
    } else if (f.model) {
      this.item.text = f.completionsEnabled ? '$(sparkle) Seedling' : '$(circle-slash) Seedling';
      tooltip.appendMarkdown(`Model: ${formatCount(f.model.parameters)} parameters, context ${f.model.config.contextLength} tokens\n\n`);
    } else {
      this.item.text = f.interruptedRun ? '$(debug-pause) Seedling: resume?' : '$(sparkle) Seedling: not trained';
      tooltip.appendMarkdown(f.interruptedRun ? 'The last training run was interrupted\n\n' : 'No model for this workspace yet: run "Seedling: Train on Workspace"\n\n');
    }
    if (f.corpusText) tooltip.appendMarkdown(`Corpus: ${f.corpusText}\n\n`);
    tooltip.appendMarkdown(`Inline completions: ${f.completionsEnabled ? 'on' : 'off'}`);
    if (f.acceptance) tooltip.appendMarkdown(`\n\nSuggestions: ${f.acceptance}`);
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
