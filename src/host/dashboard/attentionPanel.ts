/**
 * attentionPanel.ts: "Seedling: Inspect Attention at Cursor". Sends the text before the cursor (or
 * the selection) to the engine, shows the answer in the "Seedling Attention" panel beside the editor,
 * and maps a clicked token back to its place in the document.
 *
 * The engine's answer (every head's full matrix) stays here; the webview first gets the last query
 * rows and small previews (attentionData.ts), then asks for the full matrix of the head the user picks,
 * which is answered from the kept answer without another engine call.
 */
import * as vscode from 'vscode';
import type { AttentionParams, AttentionResult } from '../../shared/protocol';
import { matrixFor, toAttentionView } from './attentionData';
import { validateWebviewMessage, type AttentionSelection, type AttentionView, type HostMessage } from '../../shared/dashboard/messages';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const ATTENTION_VIEW_TYPE = 'seedling.attention';
/** Characters sent per context token: code averages 3-4 characters a token; this leaves margin. */
const CHARS_PER_TOKEN = 8;

export interface AttentionHost {
  extensionUri: vscode.Uri;
  /** The loaded model's context length, or undefined when there is no trained model yet. */
  contextLength(): Promise<number | undefined>;
  attention(params: AttentionParams): Promise<AttentionResult>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

interface Inspected {
  inspection: number;
  result: AttentionResult;  // the engine's full answer, for the webview's matrix requests
  uri: vscode.Uri;
  baseOffset: number;  // document offset of the first character sent
  text: string;
  tokenOffsets: number[];
}

export class AttentionPanel implements vscode.Disposable {
  private static current: AttentionPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private inspected: Inspected | undefined;
  private lastMessage: HostMessage | undefined;
  private requestSeq = 0;

  static get(host: AttentionHost): AttentionPanel {
    if (AttentionPanel.current) {
      AttentionPanel.current.panel.reveal(undefined, true);
      return AttentionPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(ATTENTION_VIEW_TYPE, 'Seedling Attention',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(host.extensionUri));
    return new AttentionPanel(panel, host);
  }

  private constructor(readonly panel: vscode.WebviewPanel, private readonly host: AttentionHost) {
    AttentionPanel.current = this;
    panel.webview.html = webviewHtml(panel.webview, host.extensionUri, 'attention');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw) => this.receive(raw)),
    );
  }

  /** Inspects the editor's selection, or the text before its cursor. Resolves with what was shown. */
  async inspect(editor: vscode.TextEditor): Promise<AttentionView | undefined> {
    const seq = ++this.requestSeq;
    const doc = editor.document;
    const name = vscode.workspace.asRelativePath(doc.uri, false);
    const ctx = await this.host.contextLength();
    if (!ctx) {
      this.send({ type: 'attentionError', message: 'there is no trained model yet. Run “Seedling: Train on Workspace” first.' });
      return undefined;
    }
    const sel = editor.selection;
    const end = doc.offsetAt(sel.isEmpty ? sel.active : sel.end);
    const wanted = sel.isEmpty ? 0 : doc.offsetAt(sel.start);
    const start = Math.max(wanted, end - ctx * CHARS_PER_TOKEN, 0);
    const text = doc.getText(new vscode.Range(doc.positionAt(start), doc.positionAt(end)));
    if (text.length === 0) {
      this.send({ type: 'attentionError', message: 'there is no text before the cursor. Place the cursor after some code, or select some.' });
      return undefined;
    }
    this.send({ type: 'attentionPending', documentName: name, characters: text.length });
    const t0 = performance.now();
    let view: AttentionView;
    try {
      const result = await this.host.attention({ text, maxTokens: ctx });
      if (seq !== this.requestSeq) return undefined; // a newer request superseded this one
      view = toAttentionView(result, seq, name, 0, start > wanted);
      view.roundTripMs = performance.now() - t0; // the engine, the channel, and the view's rows and previews
      this.inspected = { inspection: seq, result, uri: doc.uri, baseOffset: start, text, tokenOffsets: view.tokenOffsets };
    } catch (err) {
      if (seq === this.requestSeq) this.send({ type: 'attentionError', message: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
    this.host.log('info', `Attention: ${view.tokens.length} tokens, engine ${view.ms.toFixed(0)} ms, round trip ${view.roundTripMs.toFixed(0)} ms`);
    this.send({ type: 'attention', view });
    return view;
  }

  /** Sends m; `replay` messages are sent again when the webview is recreated (it then asks for its matrix anew). */
  private send(m: HostMessage, replay = true): void {
    if (replay) this.lastMessage = m;
    void this.panel.webview.postMessage(m).then(undefined, () => {});
  }

  private async receive(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      this.host.log('warn', `Attention: rejected a message from the webview: ${checked.error}`);
      return;
    }
    const m = checked.message;
    if (m.type === 'ready') {
      // The webview was (re)created, e.g. after being hidden: show the last answer again.
      if (this.lastMessage) this.send(this.lastMessage);
    } else if (m.type === 'revealToken') {
      await this.reveal(m.index);
    } else if (m.type === 'requestAttentionMatrix') {
      this.sendMatrix(m);
    } else if (m.type === 'log') {
      this.host.log(m.level, `Attention view: ${m.message}`);
    }
  }

  private sendMatrix(m: AttentionSelection & { inspection: number }): void {
    const ins = this.inspected;
    // An answer replaced by a newer inspection: the webview asks again once it has the new one.
    if (!ins || m.inspection !== ins.inspection) return;
    try {
      this.send({ type: 'attentionMatrix', matrix: matrixFor(ins.result, ins.inspection, m.layer, m.head, m.average) }, false);
    } catch (err) {
      this.host.log('warn', `Attention: rejected a matrix request: ${(err as Error).message}`);
    }
  }

  private async reveal(index: number): Promise<void> {
    const ins = this.inspected;
    if (!ins || index >= ins.tokenOffsets.length) return;
    const from = ins.baseOffset + ins.tokenOffsets[index];
    const to = ins.baseOffset + (index + 1 < ins.tokenOffsets.length ? ins.tokenOffsets[index + 1] : ins.text.length);
    const doc = await vscode.workspace.openTextDocument(ins.uri);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === ins.uri.toString());
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    const range = new vscode.Range(doc.positionAt(from), doc.positionAt(to));
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    if (AttentionPanel.current === this) AttentionPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
