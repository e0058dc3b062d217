/**
 * editorRequest.ts: the one shape of completion request. The inline provider, `seedling complete`
 * and `seedling eval` all build theirs here from the document text around the cursor, so what is
 * measured is what the editor asks (and the engine's suggestion.ts decides the rest).
 */
import type { CompleteParams } from '../protocol';
import { fitPrompt, promptCharBudget, type Prompt } from './promptBuilder';

/**
 * The estimate of being kept below which nothing is shown (seedling.completion.minConfidence),
 * chosen by measurement on asyncio and rxjs (not evaluation targets) by scripts/fit-confidence.mjs:
 * with the calibration fitted on one and scored on the other, the lowest threshold at which at least
 * 0.55 of the suggestions shown were right at every cursor kind of both (docs/quality.md, "Show
 * nothing rather than a wrong guess").
 */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/** The longest suggestion, in tokens (seedling.completion.maxTokens; the CLI's and eval's default too). */
export const DEFAULT_MAX_TOKENS = 48;

/** How much of the document each side of the cursor goes with a request, for copying and the ∞-gram. */
export const COPY_WINDOW_CHARS = 100_000;

export interface EditorRequestOptions {
  /** The document's file, left out of the workspace the suggestion copies from (its live text comes along). */
  path?: string;
  maxTokens: number;
  temperature?: number;
  timeoutMs?: number;
  minConfidence?: number;
}

/**
 * The request for a cursor: `before` ends at the cursor, `after` starts there (each up to
 * COPY_WINDOW_CHARS); `prompt` is the part the model reads, fitted by the caller (the editor keeps its
 * window start across keystrokes, fitPromptSticky) or here by fitPrompt.
 */
export function editorRequest(before: string, after: string, options: EditorRequestOptions & { prompt?: Prompt; contextLength?: number }): CompleteParams {
  const prompt = options.prompt ?? fitPrompt(before, after, promptCharBudget(options.contextLength ?? 512, options.maxTokens));
  const request: CompleteParams = { prefix: prompt.prefix, suffix: prompt.suffix, maxTokens: options.maxTokens };
  const beforeWindow = before.length > COPY_WINDOW_CHARS ? before.slice(before.length - COPY_WINDOW_CHARS) : before;
  const afterWindow = after.length > COPY_WINDOW_CHARS ? after.slice(0, COPY_WINDOW_CHARS) : after;
  if (beforeWindow.length > prompt.prefix.length) request.copyBefore = beforeWindow;
  if (afterWindow.length > prompt.suffix.length) request.copyAfter = afterWindow;
  if (options.path !== undefined) request.path = options.path;
  if (options.temperature !== undefined) request.temperature = options.temperature;
  if (options.timeoutMs !== undefined) request.timeoutMs = options.timeoutMs;
  if (options.minConfidence !== undefined) request.minConfidence = options.minConfidence;
  return request;
}
