/**
 * cursorCompletion.ts: one completion at a cursor, the way the measurements say is best
 * (docs/quality.md): the prompt (prefix alone or fill-in-the-middle, related workspace code first),
 * token healing at the cursor, and for single-line requests a choice between the model's line and
 * the line copied from the longest match in the workspace. Used by the engine process for the CLI,
 * the evaluation and the extension alike.
 */
import { rankedCopies, textSource, type CopyMatch } from '../shared/context/copyIndex';
import type { WorkspaceContext } from '../shared/context/workspaceContext';
import type { NativeCancelToken, NativeSession, NativeTokenizer } from './addon';
import type { CompleteParams, CompletionStrategy, StopReason } from '../shared/protocol';

/** The strategy when a request does not say: chosen by `seedling eval` (docs/quality.md). */
export const DEFAULT_STRATEGY: Required<CompletionStrategy> = {
  promptMode: 'prefix',
  heal: true,
  retrieve: false,
  rank: 'copy',
  copyMinMatch: 32,
  copyCandidates: 1,
  lineScore: 'sum',
};

/** Share of the prompt's tokens related code may take. */
const CONTEXT_SHARE = 0.4;
/** Candidates are scored up to this many tokens (a line rarely needs more). */
const MAX_SCORED_TOKENS = 32;

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

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
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
  const singleLine = params.stop?.includes('\n') ?? false;
  const ranking = singleLine && strategy.rank !== 'none';
  const scoring = ranking && (strategy.rank === 'model' || strategy.rank === 'copy');
  const copies = ranking ? copiesAt(deps, params, strategy.rank === 'match' ? 1 : Math.max(1, strategy.copyCandidates)) : [];
  // The best copy alone needs no model: answer at once (the model runs only when nothing matched).
  if (ranking && strategy.rank === 'copy' && strategy.copyCandidates <= 1 && copies.length > 0) {
    return { text: copies[0].continuation, source: 'copy', promptTokens: 0, reusedTokens: 0, generatedTokens: 0, stoppedBy: 'stop', contextChars: 0 };
  }
  const r = await deps.session.complete(deps.tokenizer, prefix, suffix, {
    maxTokens: generation.maxTokens,
    temperature: generation.temperature,
    stop: params.stop,
    cancel: generation.cancel,
    promptMode: strategy.promptMode,
    heal: strategy.heal,
    ...(context ? { context, contextMaxTokens } : {}),
    returnPrompt: scoring,
  });
  const result: CursorCompletion = {
    text: r.text, source: 'model', promptTokens: r.promptTokens, reusedTokens: r.reusedTokens,
    generatedTokens: r.generatedTokens, stoppedBy: r.stoppedBy, contextChars: context.length,
  };
  if (!ranking || r.stoppedBy === 'cancelled') return result;

  const modelLine = firstLine(r.text);
  if (strategy.rank === 'match') {
    if (copies.length > 0 && copies[0].matchLength >= strategy.copyMinMatch) {
      result.text = copies[0].continuation;
      result.source = 'copy';
    }
    return result;
  }
  const lines = new Set<string>(copies.map((c) => c.continuation));
  if (strategy.rank === 'copy') {
    // The model's own greedy line is locally the likeliest by construction, so it is left out: the
    // model only judges between lines that were written somewhere.
    if (lines.size === 0) return result;
    if (lines.size === 1) return { ...result, text: [...lines][0], source: 'copy' };
  } else {
    for (const line of lines) if (line.trimEnd() === modelLine.trimEnd()) lines.delete(line);
    if (lines.size === 0) return result;
    lines.add(modelLine);
  }
  // Sorted, neighbours share their starts, which the session's cache then computes once.
  let best = strategy.rank === 'copy' ? '' : modelLine;
  let bestScore = -Infinity;
  for (const line of [...lines].sort()) {
    const score = await lineLogProb(deps, r.prompt!, r.healed + line, strategy.lineScore);
    if (score > bestScore) {
      best = line;
      bestScore = score;
    }
  }
  if (best !== modelLine && best !== '') {
    result.text = best;
    result.source = 'copy';
  }
  return result;
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

/**
 * log P(line, then the end of the line | prompt) under the model ('sum'), or that divided by the
 * number of predictions it took ('mean').
 */
async function lineLogProb(deps: CompletionDeps, prompt: Int32Array, line: string, mode: 'sum' | 'mean'): Promise<number> {
  const tokens = deps.tokenizer.encode(line).subarray(0, MAX_SCORED_TOKENS);
  if (tokens.length === 0) return -Infinity;
  const { logprobs, next } = await deps.session.score(prompt, tokens, { next: true });
  let sum = endOfLineLogProb(deps.tokenizer, next!);
  for (const lp of logprobs) sum += lp;
  return mode === 'mean' ? sum / (tokens.length + 1) : sum;
}

const EOT = 256;
const lineEnders = new WeakMap<NativeTokenizer, number[]>();

/** Token ids that end a line: those whose text starts with a newline, and end-of-text. */
function lineEndingTokens(tokenizer: NativeTokenizer): number[] {
  let ids = lineEnders.get(tokenizer);
  if (!ids) {
    ids = [EOT];
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      const bytes = tokenizer.tokenBytes(id);
      if (bytes && bytes.length > 0 && bytes[0] === 0x0a) ids.push(id);
    }
    lineEnders.set(tokenizer, ids);
  }
  return ids;
}

/** log of the probability mass the next-token distribution puts on ending the line. */
export function endOfLineLogProb(tokenizer: NativeTokenizer, logits: Float32Array): number {
  return logSumExp(logits, lineEndingTokens(tokenizer).filter((id) => id < logits.length)) - logSumExp(logits);
}

export function logSumExp(values: Float32Array, ids?: number[]): number {
  let max = -Infinity;
  const n = ids ? ids.length : values.length;
  const at = (i: number) => values[ids ? ids[i] : i];
  for (let i = 0; i < n; i++) max = Math.max(max, at(i));
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(at(i) - max);
  return max + Math.log(sum);
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
