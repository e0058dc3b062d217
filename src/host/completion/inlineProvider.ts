/**
 * inlineProvider.ts: Seedling's ghost text. Per request: read only the window of the document the model
 * can see, answer from the cache if possible, otherwise wait out the debounce, ask the engine (cancelled
 * the moment VS Code or a newer keystroke no longer needs the answer, and capped in time), and
 * post-process. The engine runs in its own process; nothing here blocks the extension host.
 */
import * as vscode from 'vscode';
import type { ConfigService } from '../config';
import type { Engine } from '../../shared/engineApi';
import { describeError, type Log } from '../log';
import type { ModelHost } from '../modelHost';
import { CompletionCache } from './cache';
import type { OutcomeTracking } from './outcomeTracking';
import { isCompletableScheme, isLanguageEnabled } from './enablement';
import { COPY_WINDOW_CHARS, editorRequest } from '../../shared/completion/editorRequest';
import { CharsPerToken, fitPromptSticky, promptCharBudget, type Prompt } from '../../shared/completion/promptBuilder';
import { LatestRequestGate, anySignal, runWithDeadline, sleep } from './requestGate';

export type CompletionSource = 'cache' | 'typing' | 'engine';

export interface CompletionAnswer {
  text: string;
  source: CompletionSource;
  /** Whether the engine copied the suggestion from the repository or the model wrote it. */
  origin?: 'copy' | 'model';
  /** Time from the end of the debounce to the answer (what the user waits for beyond their own pause). */
  ms: number;
  /** Engine-reported generation time, when the engine was asked. */
  engineMs?: number;
  /** Prompt tokens, and how many of them the engine's KV cache already held. */
  promptTokens?: number;
  reusedTokens?: number;
  prompt: Prompt;
}

export interface CompleteOptions {
  /** The user asked (Alt+\): no debounce. */
  explicit?: boolean;
  signal?: AbortSignal;
}

export class SeedlingInlineProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private readonly cache = new CompletionCache();
  private readonly gate = new LatestRequestGate();
  /** Per document: where the last prompt's prefix started (kept while typing, for the engine's KV cache). */
  private readonly windowStarts = new Map<string, number>();
  private readonly charsPerToken = new CharsPerToken();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly engine: Engine,
    private readonly model: ModelHost,
    private readonly config: ConfigService,
    private readonly log: Log,
    /** Told of each suggestion offered (what became of it is read from the edits that follow). */
    private readonly outcomes?: OutcomeTracking,
  ) {
    this.subscriptions = [
      // A new model makes every cached answer stale.
      model.onDidChange(() => {
        this.cache.clear();
        this.gate.abortAll();
        // The engine's KV cache is gone and the tokenizer may differ: relearn both from the next answer.
        this.windowStarts.clear();
        this.charsPerToken.reset();
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.windowStarts.delete(d.uri.toString())),
      config.onDidChange((change) => {
        if (change.affects('completion')) this.cache.clear();
      }),
    ];
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!this.isWanted(document)) return undefined;
    // While the suggest widget is open VS Code only shows ghost text that extends its selected item;
    // ours would be discarded, so don't spend the engine on it.
    if (context.selectedCompletionInfo) return undefined;

    const cancel = new AbortController();
    const sub = token.onCancellationRequested(() => cancel.abort());
    try {
      const answer = await this.complete(document, position, {
        explicit: context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke,
        signal: cancel.signal,
      });
      if (!answer || answer.text === '') return undefined;
      this.outcomes?.shown(document, position, answer.text, answer.origin ?? 'model');
      return [new vscode.InlineCompletionItem(answer.text, new vscode.Range(position, position))];
    } finally {
      sub.dispose();
    }
  }

  isWanted(document: vscode.TextDocument): boolean {
    const { enabled, languages } = this.config.current.completion;
    return enabled && isCompletableScheme(document.uri.scheme) && isLanguageEnabled(languages, document.languageId);
  }

  /**
   * The whole pipeline for one cursor position; also what the test suite calls (there is no
   * `vscode.execute…` command for inline completions). Resolves undefined when there is nothing to
   * offer: no model yet, superseded, cancelled, timed out, or the engine failed (logged).
   */
  async complete(document: vscode.TextDocument, position: vscode.Position, options: CompleteOptions = {}): Promise<CompletionAnswer | undefined> {
    // The first request after start-up starts the engine and loads the checkpoint (if one exists).
    const model = this.model.current ?? (await this.model.ensureLoaded());
    if (!model || options.signal?.aborted) return undefined;
    const settings = this.config.current.completion;
    const budget = promptCharBudget(model.config.contextLength, settings.maxTokens, this.charsPerToken.value);
    const documentKey = document.uri.toString();
    const window = readWindow(document, position);
    const sticky = fitPromptSticky(window.before, window.beforeStart, window.after, budget, this.windowStarts.get(documentKey));
    this.windowStarts.set(documentKey, sticky.start);
    const prompt = sticky.prompt;
    const offset = document.offsetAt(position);
    const documentEnd = document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
    const cacheRequest = { documentKey, offset, ...prompt, suffixClipped: offset + prompt.suffix.length < documentEnd };

    const started = performance.now();
    const hit = this.cache.lookup(cacheRequest);
    if (hit) return { text: hit.completion, source: hit.kind === 'exact' ? 'cache' : 'typing', origin: hit.source, ms: performance.now() - started, prompt };

    const latest = this.gate.begin();
    const linked = anySignal(options.signal ? [latest, options.signal] : [latest]);
    try {
      if (!options.explicit && !(await sleep(settings.debounceMs, linked.signal))) return undefined;
      const afterDebounce = performance.now();
      const outcome = await runWithDeadline(settings.timeoutMs, linked.signal, (signal) =>
        this.engine.request(
          'complete',
          editorRequest(window.before, window.after, {
            prompt,
            // Copying leaves the document's saved text out: the request carries its live text.
            path: document.uri.scheme === 'file' ? document.uri.fsPath : undefined,
            maxTokens: settings.maxTokens,
            temperature: settings.temperature,
            timeoutMs: settings.timeoutMs,
            minConfidence: settings.minConfidence,
          }),
          { signal },
        ),
      );
      if (outcome.kind !== 'done') {
        if (outcome.kind === 'timeout') this.log.debug(`completion timed out after ${settings.timeoutMs} ms`);
        return undefined;
      }
      if (this.model.current !== model) return undefined; // answered by a model that has since been replaced
      const { promptTokens } = outcome.value;
      this.charsPerToken.observe(prompt.prefix.length + prompt.suffix.length, promptTokens, promptTokens >= model.config.contextLength - settings.maxTokens - 1);
      // The engine shaped, cut and judged the suggestion (src/engine/suggestion.ts): shown as it is.
      const text = outcome.value.completion;
      this.cache.store(cacheRequest, text, outcome.value.source);
      const ms = performance.now() - afterDebounce;
      this.log.debug(`completion ${ms.toFixed(1)} ms (engine ${outcome.value.ms.toFixed(1)} ms, ${promptTokens} prompt tokens, ${outcome.value.reusedTokens} reused): ${JSON.stringify(text.slice(0, 80))}`);
      return { text, source: 'engine', origin: outcome.value.source, ms, engineMs: outcome.value.ms, promptTokens, reusedTokens: outcome.value.reusedTokens, prompt };
    } catch (err) {
      if (!linked.signal.aborted) this.log.warn(`Completion failed: ${describeError(err)}`);
      return undefined;
    } finally {
      linked.dispose();
    }
  }

  dispose(): void {
    this.gate.abortAll();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

/**
 * The document around the cursor: COPY_WINDOW_CHARS each side. The model reads only the part the
 * prompt keeps; copying and the repository's ∞-gram search all of it.
 */
function readWindow(document: vscode.TextDocument, position: vscode.Position): { before: string; beforeStart: number; after: string } {
  const offset = document.offsetAt(position);
  const beforeStart = Math.max(0, offset - COPY_WINDOW_CHARS);
  const before = document.getText(new vscode.Range(document.positionAt(beforeStart), position));
  const after = document.getText(new vscode.Range(position, document.positionAt(offset + COPY_WINDOW_CHARS)));
  return { before, beforeStart, after };
}
