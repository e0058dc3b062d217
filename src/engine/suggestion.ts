/**
 * suggestion.ts: what is shown at a cursor. The one function the inline provider, `seedling
 * complete` and `seedling eval` all reach (through the engine's `complete` method, with the request
 * the editor sends): it tells the cursor kind from the text, shapes the generation (one line inside
 * a line, else up to the end of the block), writes the suggestion with the kind's decoder, cuts it as
 * the editor shows it (postprocess.ts), and withholds it when the estimate that it is kept is low.
 */
import { takeHead, takeTail, type Prompt } from '../shared/completion/promptBuilder';
import { cursorKind, type CursorKind } from '../shared/completion/cursorKind';
import { generationShape, postprocess } from '../shared/completion/postprocess';
import type { CompleteParams, Decoder } from '../shared/protocol';
import type { NativeCancelToken } from './addon';
import { completeAtCursor, copiesAt, type CompletionDeps } from './cursorCompletion';
import { mixedDecode } from './infgram/mixedDecode';
import type { MixtureWeights } from './infgram/mixtureWeights';
import { SEPARATOR } from './infgram/tokenSuffixArray';
import type { Vocabulary } from './infgram/vocabulary';
import type { RepositoryIndex } from './infgram/workspaceTokens';

/** The decoder each kind of cursor gets by default (chosen by `seedling eval`, docs/quality.md). */
export const DEFAULT_DECODERS: Record<CursorKind, Decoder> = {
  'end-of-line': 'mixture',
  'mid-line': 'mixture',
  'new-line': 'mixture',
};

/** How much of the document around the cursor the ∞-gram searches (characters, cut at lines). */
const DOCUMENT_BEFORE_CHARS = 24_000;
const DOCUMENT_AFTER_CHARS = 8_000;

export interface SuggestionDeps extends CompletionDeps {
  vocabulary: Vocabulary;
  repository?: RepositoryIndex;
  weights: MixtureWeights;
}

export interface Suggestion {
  kind: CursorKind;
  /** What the editor shows ('' for nothing). */
  text: string;
  /** The suggestion before the confidence threshold. */
  candidate: string;
  confidence?: number;
  source: 'model' | 'copy';
  copiedShare?: number;
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  stoppedBy: 'budget' | 'end-of-text' | 'stop' | 'cancelled';
}

export async function suggestAtCursor(
  deps: SuggestionDeps,
  params: CompleteParams,
  generation: { maxTokens: number; temperature: number; cancel: NativeCancelToken },
): Promise<Suggestion> {
  const prompt: Prompt = { prefix: params.prefix ?? '', suffix: params.suffix ?? '' };
  const kind = cursorKind(prompt);
  const shape = generationShape(prompt, generation.maxTokens);
  const decoder = params.decoder ?? DEFAULT_DECODERS[kind];
  const written = decoder === 'mixture'
    ? await writeMixed(deps, params, prompt, shape.maxTokens, kind === 'mid-line', generation.cancel)
    : await writeSwitched(deps, params, decoder, shape, generation);
  const text = params.raw ? written.text : postprocess(written.text, prompt);
  const confidence = written.lineLogProb && text !== ''
    ? Math.exp(written.lineLogProb(firstLineLength(text)))
    : undefined;
  const shown = confidence === undefined || confidence >= (params.minConfidence ?? 0) ? text : '';
  return { ...written, kind, text: shown, candidate: text, confidence };
}

interface Written extends Omit<Suggestion, 'kind' | 'text' | 'candidate' | 'confidence'> {
  text: string;
  /** log P(the first `chars` characters of the suggestion, then the end of the line) under the decoder. */
  lineLogProb?: (chars: number) => number;
}

/** Today's line-level switch ('copy-switch') or the model alone ('model'), by the engine's own loop. */
async function writeSwitched(
  deps: CompletionDeps,
  params: CompleteParams,
  decoder: Decoder,
  shape: { maxTokens: number; stop: string[] },
  generation: { maxTokens: number; temperature: number; cancel: NativeCancelToken },
): Promise<Written> {
  if (decoder === 'copy-switch') {
    const copies = copiesAt(deps, params, 1);
    if (copies.length > 0 && copies[0].continuation.trim() !== '') {
      return { text: copies[0].continuation, source: 'copy', promptTokens: 0, reusedTokens: 0, generatedTokens: 0, stoppedBy: 'stop' };
    }
  }
  const r = await completeAtCursor(deps, { ...params, stop: shape.stop, rank: 'none' }, { ...generation, maxTokens: shape.maxTokens });
  return { text: r.text, source: r.source, promptTokens: r.promptTokens, reusedTokens: r.reusedTokens, generatedTokens: r.generatedTokens, stoppedBy: r.stoppedBy };
}

async function writeMixed(
  deps: SuggestionDeps,
  params: CompleteParams,
  prompt: Prompt,
  maxTokens: number,
  singleLine: boolean,
  cancel: NativeCancelToken,
): Promise<Written> {
  // The session builds the model's prompt (prefix mode, healed) and runs it; the loop goes on from there.
  const built = await deps.session.complete(deps.tokenizer, prompt.prefix, prompt.suffix, {
    maxTokens: 0, maxPromptTokens: deps.contextLength - maxTokens, promptMode: 'prefix', heal: true, returnPrompt: true, cancel,
  });
  const before = params.copyBefore ?? prompt.prefix;
  const after = params.copyAfter ?? prompt.suffix;
  const beforeTokens = deps.tokenizer.encode(takeTail(before.slice(0, before.length - built.healed.length), DOCUMENT_BEFORE_CHARS));
  const afterTokens = deps.tokenizer.encode(takeHead(after, DOCUMENT_AFTER_CHARS));
  const document = new Int32Array(beforeTokens.length + 1 + afterTokens.length);
  document.set(beforeTokens);
  document[beforeTokens.length] = SEPARATOR;
  document.set(afterTokens, beforeTokens.length + 1);
  const repository = deps.repository;
  const r = await mixedDecode({
    session: deps.session, vocabulary: deps.vocabulary, prompt: built.prompt!, healed: built.healed,
    document, documentBefore: beforeTokens.length, weights: deps.weights, maxTokens, singleLine, cancel,
    ...(repository ? { workspace: { array: repository.array, skip: params.path ? repository.ranges.get(params.path) : undefined } } : {}),
  });
  // The healed text was the end of the prefix: the suggestion is what follows it.
  const text = r.text.startsWith(built.healed) ? r.text.slice(built.healed.length) : r.text;
  const copied = r.copied.filter(Boolean).length;
  const healedBytes = Buffer.byteLength(built.healed, 'utf8');
  const lineLogProb = (chars: number): number => {
    // Tokens up to and including the one that completes the line (its newline, or the last one).
    const wanted = healedBytes + Buffer.byteLength(text.slice(0, chars), 'utf8');
    let bytes = 0;
    let sum = 0;
    for (let i = 0; i < r.logProbs.length; i++) {
      sum += r.logProbs[i];
      if (i >= r.tokens.length) break; // end-of-text
      const piece = deps.vocabulary.bytes(r.tokens[i]);
      bytes += piece.length;
      if (bytes > wanted || (bytes >= wanted && piece.includes(0x0a))) break;
    }
    return sum;
  };
  return {
    text,
    source: copied * 2 > r.tokens.length ? 'copy' : 'model',
    copiedShare: r.tokens.length ? copied / r.tokens.length : 0,
    promptTokens: built.promptTokens, reusedTokens: built.reusedTokens, generatedTokens: r.tokens.length,
    stoppedBy: r.stoppedBy, lineLogProb,
  };
}

function firstLineLength(text: string): number {
  const nl = text.indexOf('\n');
  return nl < 0 ? text.length : nl;
}
