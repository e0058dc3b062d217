/**
 * workspaceIndexer.ts: keeps the engine's picture of the workspace (the files completions retrieve
 * related code from and copy lines from; src/shared/context/) in step with the disk. The whole corpus
 * is sent when a model starts being served (the engine forgets it when it restarts), then each saved,
 * created or deleted file is sent as it changes. Unsaved edits of the open document need no update:
 * the document's own text reaches the engine in every completion request.
 */
import * as vscode from 'vscode';
import { readCorpusExcludes, type ConfigService } from '../config';
import { collectCorpus, singleFileVerdict } from '../../shared/corpus';
import type { Engine } from '../../shared/engineApi';
import { describeError, type Log } from '../log';
import type { ModelHost } from '../modelHost';

/** Files above this size are not worth sending on every save (generated or data files). */
const MAX_UPDATE_BYTES = 1024 * 1024;

export class WorkspaceIndexer implements vscode.Disposable {
  private indexed = false;
  private indexing: Promise<void> | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly engine: Engine, model: ModelHost, private readonly config: ConfigService, private readonly log: Log) {
    this.subscriptions = [
      model.onDidChange((loaded) => {
        if (!loaded) this.indexed = false; // the engine restarted or the model went away
        else if (!this.indexed) void this.indexAll();
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.update(d.uri, d.getText())),
      vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((uri) => this.update(uri, undefined))),
      vscode.workspace.onDidRenameFiles(() => { this.indexed = false; void this.indexAll(); }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => { if (model.current) void this.indexAll(); }),
    ];
  }

  private indexAll(): Promise<void> {
    if (this.indexing) return this.indexing;
    // Indexing reads the folders' files without a command: not in Restricted Mode, and only folders on disk.
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length === 0 || !vscode.workspace.isTrusted) return Promise.resolve();
    this.indexed = true;
    this.indexing = (async () => {
      try {
        const excludes = [...new Set(folders.flatMap((f) => readCorpusExcludes(f, this.config.current)))];
        const corpus = await collectCorpus(folders.map((f) => f.uri.fsPath), excludes);
        const r = await this.engine.request('indexFiles', { files: corpus.files });
        this.log.info(`Completion context: ${r.files} files, ${r.chunks} chunks indexed in ${r.ms.toFixed(0)} ms`);
      } catch (err) {
        this.indexed = false;
        this.log.warn(`Could not index the workspace for completions: ${describeError(err)}`);
      } finally {
        this.indexing = undefined;
      }
    })();
    return this.indexing;
  }

  /** Resolves when the workspace index being built (if any) serves completions. */
  whenIndexed(): Promise<void> {
    return this.indexing ?? Promise.resolve();
  }

  private update(uri: vscode.Uri, text: string | undefined): void {
    if (!this.indexed || uri.scheme !== 'file' || !vscode.workspace.isTrusted) return;
    void this.admit(uri, text).then((admitted) => this.engine.request('updateFile', admitted === undefined ? { path: uri.fsPath } : { path: uri.fsPath, text: admitted }))
      .catch((err) => this.log.debug(`updateFile ${uri.fsPath}: ${describeError(err)}`));
  }

  /**
   * The saved text when the corpus walk would keep this file, else undefined: a save must not bring
   * an ignored, excluded or secret-looking file into the index. A file that is left out is also
   * removed from the index, in case an earlier version of it was in.
   */
  private async admit(uri: vscode.Uri, text: string | undefined): Promise<string | undefined> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (text === undefined || !folder || text.length > MAX_UPDATE_BYTES) return undefined;
    const reason = await singleFileVerdict(folder.uri.fsPath, uri.fsPath, Buffer.from(text, 'utf8'), {
      excludeGlobs: readCorpusExcludes(folder, this.config.current), maxFileBytes: MAX_UPDATE_BYTES,
    });
    if (reason === undefined) return text;
    this.log.debug(`not indexed (${reason}): ${uri.fsPath}`);
    return undefined;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }
}
