/**
 * main.ts: entry of the webview bundle (dist/webview.js). One bundle serves both panels; the host
 * says which one this is in <body data-view="dashboard|attention">. Every message from the host is
 * checked against its schema before any view sees it; rejected ones are reported back to the log.
 */
import './styles.css';
import { validateHostMessage, type WebviewMessage } from '../src/shared/dashboard/messages';
import { AttentionInspector, type AttentionUiState } from './attentionView';
import { DashboardView, type DashboardUiState } from './dashboardView';
import { readPalette, watchTheme } from './theme';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState { dashboard?: DashboardUiState; attention?: AttentionUiState }

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() ?? {}) as SavedState;
const save = (patch: SavedState) => vscode.setState({ ...((vscode.getState() ?? {}) as SavedState), ...patch });
const post = (m: WebviewMessage) => vscode.postMessage(m);

const root = document.getElementById('app');
if (!root) throw new Error('webview: #app missing');
const palette = readPalette();
const isAttention = document.body.dataset.view === 'attention';
const view = isAttention
  ? new AttentionInspector(root, palette, post, (s) => save({ attention: s }), saved.attention ?? {})
  : new DashboardView(root, palette, post, (s) => save({ dashboard: s }), saved.dashboard ?? {});

watchTheme(() => view.setPalette(readPalette()));

let rejected = 0;
window.addEventListener('message', (event: MessageEvent) => {
  const checked = validateHostMessage(event.data);
  if (!checked.ok) {
    rejected++;
    document.body.dataset.rejectedMessages = String(rejected);
    post({ type: 'log', level: 'warn', message: `webview rejected a message: ${checked.error}` });
    return;
  }
  view.handle(checked.message);
});

// The host answers with a snapshot: on first load, and whenever VS Code recreates a hidden webview.
post({ type: 'ready' });
