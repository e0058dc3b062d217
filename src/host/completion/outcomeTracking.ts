/**
 * outcomeTracking.ts: feeds suggestionOutcomes.ts from the editor (edits, cursor moves, closed
 * documents) and keeps its counts in this workspace's storage (0600, counts only, never text), saved
 * a few seconds after they change and when the window closes. Nothing leaves the machine.
 */
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { writePrivateFileAtomically } from '../../shared/privateFiles';
import type { Log } from '../log';
import { SuggestionOutcomes, type SuggestionSource } from './suggestionOutcomes';

const SAVE_DELAY_MS = 5000;

export class OutcomeTracking implements vscode.Disposable {
  readonly outcomes: SuggestionOutcomes;
  private readonly subscriptions: vscode.Disposable[];
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fires (at most every few seconds' worth of changes) when the counts changed. */
  readonly onDidChange = this.changeEmitter.event;
  private readonly loaded: Promise<void>;

  constructor(private readonly file: string, private readonly log: Log) {
    this.outcomes = new SuggestionOutcomes(() => this.scheduleSave());
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        this.outcomes.documentChanged(e.document.uri.toString(), e.contentChanges.map((c) => ({ offset: c.rangeOffset, removedLength: c.rangeLength, text: c.text })));
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const document = e.textEditor.document;
        this.outcomes.cursorMoved(document.uri.toString(), document.offsetAt(e.selections[0].active));
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.outcomes.documentClosed(d.uri.toString())),
      this.changeEmitter,
    ];
    // Read off the activation path; counts offered before it finishes are added to what was saved.
    this.loaded = readFile(file, 'utf8').then((text) => this.outcomes.load(JSON.parse(text)), () => undefined);
  }

  /** A suggestion the provider offered. */
  shown(document: vscode.TextDocument, position: vscode.Position, text: string, source: SuggestionSource): void {
    this.outcomes.shown(document.uri.toString(), document.offsetAt(position), text, source, document.languageId);
  }

  /** Forget the counts (Delete Model): in memory and on disk. */
  clear(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.outcomes.clear();
    this.outcomes.takeChanged();
    this.changeEmitter.fire();
  }

  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    await this.loaded;
    if (!this.outcomes.takeChanged()) return;
    try {
      await writePrivateFileAtomically(this.file, `${JSON.stringify(this.outcomes.toJSON())}\n`);
    } catch (err) {
      this.log.warn(`could not save the suggestion counts: ${(err as Error).message}`);
    }
  }

  private scheduleSave(): void {
    this.changeEmitter.fire();
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => void this.flush(), SAVE_DELAY_MS);
  }

  dispose(): void {
    void this.flush();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
