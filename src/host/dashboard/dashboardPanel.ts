/**
 * dashboardPanel.ts: the "Seedling" webview panel. One at a time; revealed if already open. It draws
 * from the recorder's snapshot when the webview (re)loads, then from live messages, with progress
 * points batched to a few messages a second however fast training steps arrive.
 */
import * as vscode from 'vscode';
import { validateWebviewMessage, type HostMessage, type ProgressPoint } from '../../shared/dashboard/messages';
import type { TrainingRecorder } from './trainingRecorder';
import type { SuggestionSummary } from '../../shared/suggestionCounts';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'seedling.dashboard';
const PROGRESS_FLUSH_MS = 100;

export interface DashboardHost {
  recorder: TrainingRecorder;
  /** What became of the suggestions shown, and when that changes. */
  suggestions(): SuggestionSummary;
  onSuggestionsChanged: vscode.Event<void>;
  extensionUri: vscode.Uri;
  stopTraining(): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private pendingProgress = new Map<string, ProgressPoint[]>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Live messages wait until the webview has asked for its snapshot, so none land before it. */
  private ready = false;

  static show(host: DashboardHost): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Seedling', vscode.ViewColumn.Active, webviewOptions(host.extensionUri));
    return new DashboardPanel(panel, host);
  }

  /** VS Code restored a dashboard left open in the last session (WebviewPanelSerializer). */
  static revive(panel: vscode.WebviewPanel, host: DashboardHost): DashboardPanel {
    DashboardPanel.current?.dispose();
    panel.webview.options = webviewOptions(host.extensionUri);
    return new DashboardPanel(panel, host);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly host: DashboardHost) {
    DashboardPanel.current = this;
    panel.webview.html = webviewHtml(panel.webview, host.extensionUri, 'dashboard');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
      host.recorder.onMessage((m) => this.forward(m)),
      host.onSuggestionsChanged(() => { if (this.ready) void this.post({ type: 'suggestions', summary: host.suggestions() }); }),
    );
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.host.log('warn', `Dashboard: rejected a message from the webview: ${checked.error}`);
      return;
    }
    const m = checked.message;
    switch (m.type) {
      case 'ready': {
        // A reload (hidden then shown) starts from a fresh page: drop queued deltas, send everything.
        this.ready = false;
        this.pendingProgress.clear();
        const snap = await this.host.recorder.snapshot();
        this.ready = true;
        await this.post({ type: 'snapshot', runs: snap.runs, activeRunId: snap.activeRunId });
        await this.post({ type: 'suggestions', summary: this.host.suggestions() });
        break;
      }
      case 'stopTraining':
        this.host.stopTraining();
        break;
      case 'log':
        this.host.log(m.level, `Dashboard: ${m.message}`);
        break;
      case 'revealToken':
        break; // only the attention inspector has tokens
    }
  }

  private forward(m: HostMessage): void {
    if (!this.ready) return; // the snapshot that follows `ready` will include it
    if (m.type === 'progress') {
      const list = this.pendingProgress.get(m.runId) ?? [];
      list.push(...m.points);
      this.pendingProgress.set(m.runId, list);
      if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flushProgress(), PROGRESS_FLUSH_MS);
      return;
    }
    // Anything else is ordered after the progress that preceded it.
    this.flushProgress();
    void this.post(m);
  }

  private flushProgress(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    for (const [runId, points] of this.pendingProgress) void this.post({ type: 'progress', runId, points });
    this.pendingProgress.clear();
  }

  private async post(m: HostMessage): Promise<void> {
    try {
      await this.panel.webview.postMessage(m);
    } catch {
      // The panel was closed between the event and the post; nothing to deliver to.
    }
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
