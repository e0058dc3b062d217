/**
 * cursorCompletion.ts: the model's own text at a cursor: the prompt (prefix alone or
 * fill-in-the-middle, related workspace code first when asked), token healing at the cursor, and the
 * engine's decoding loop. suggestion.ts decides when this is what the editor shows (the 'model'
 * decoders) and measurements with stop strings reach it directly.
 */
import { rankedCopies, textSource, type CopyMatch } from '../shared/context/copyIndex';
import type { WorkspaceContext } from '../shared/context/workspaceContext';
import type { NativeCancelToken, NativeSession, NativeTokenizer } from './addon';
import type { CompleteParams, CompletionStrategy, StopReason } from '../shared/protocol';

/** The prompt when a request does not say: chosen by `seedling eval` (docs/quality.md, section 1). */
export const DEFAULT_STRATEGY: Required<CompletionStrategy> = {
  promptMode: 'prefix',
  heal: true,
  retrieve: false,
};

/** Share of the prompt's tokens related code may take. */
const CONTEXT_SHARE = 0.4;

export interface CursorCompletion {
  text: string;
  source: 'model' | 'copy';
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  stoppedBy: StopReason;
  contextChars: number;
}

export interface CompletionDeps {
  session: NativeSession;
  tokenizer: NativeTokenizer;
  contextLength: number;
  workspace?: WorkspaceContext;
}

export function strategyOf(params: CompletionStrategy): Required<CompletionStrategy> {
  const s = { ...DEFAULT_STRATEGY };
  for (const key of Object.keys(s) as (keyof CompletionStrategy)[]) {
    if (params[key] !== undefined) (s as Record<string, unknown>)[key] = params[key];
  }
  return s;
}

export async function completeAtCursor(
  deps: CompletionDeps,
  params: CompleteParams,
  generation: { maxTokens: number; temperature: number; cancel: NativeCancelToken },
): Promise<CursorCompletion> {
  const strategy = strategyOf(params);
  const prefix = params.prefix ?? '';
  const suffix = params.suffix ?? '';
  const maxPromptTokens = deps.contextLength - generation.maxTokens;
  const contextMaxTokens = Math.floor(maxPromptTokens * CONTEXT_SHARE);
  const context = strategy.retrieve && deps.workspace
    ? deps.workspace.related(prefix, suffix, Math.floor(contextMaxTokens * charsPerToken(deps.tokenizer, prefix)), params.path)
    : '';
  const r = await deps.session.complete(deps.tokenizer, prefix, suffix, {
    maxTokens: generation.maxTokens,
    temperature: generation.temperature,
    stop: params.stop,
    cancel: generation.cancel,
    promptMode: strategy.promptMode,
    heal: strategy.heal,
    ...(context ? { context, contextMaxTokens } : {}),
  });
  return {
    text: r.text, source: 'model', promptTokens: r.promptTokens, reusedTokens: r.reusedTokens,
    generatedTokens: r.generatedTokens, stoppedBy: r.stoppedBy, contextChars: context.length,
  };
}

/**
 * Copy candidates at the cursor, best first (copyIndex.ts rankedCopies): from the document's text
 * around the cursor (copyBefore/copyAfter when the request sends more of it than the prompt holds)
 * and the workspace's other files.
 */
export function copiesAt(deps: CompletionDeps, params: CompleteParams, limit: number): CopyMatch[] {
  const before = params.copyBefore ?? params.prefix ?? '';
  const after = params.copyAfter ?? params.suffix ?? '';
  return deps.workspace ? deps.workspace.candidates(before, after, limit, params.path) : rankedCopies(before, after, textSource(''), limit);
}

const ratioCache = new WeakMap<NativeTokenizer, number>();

/** Characters per token of this tokenizer on this kind of text (measured once, on a prompt). */
function charsPerToken(tokenizer: NativeTokenizer, sample: string): number {
  let ratio = ratioCache.get(tokenizer);
  if (ratio === undefined) {
    const text = sample.slice(-4000);
    const n = text ? tokenizer.encode(text).length : 0;
    ratio = n >= 32 ? Math.min(6, Math.max(1, text.length / n)) : 3;
    ratioCache.set(tokenizer, ratio);
  }
  return ratio;
}
