/**
 * attentionLimits.ts: how much an attention request may ask for. The weights are layers × heads × T²
 * floats: 16 MB for the small preset over its whole context, but 604 MB for the large one, built in
 * the engine, copied to the host and into a webview. So the tokens shown are capped by a weight
 * budget as well as by the context (the inspector shows the text's last tokens, as it does when the
 * text is longer than the context), and a text beyond MAX_ATTENTION_TEXT_CHARS is refused before it
 * is tokenized. The addon refuses more than its own, larger bound (kMaxAttentionFloats in model.cc).
 */
import { codedError } from '../shared/engineErrors';
import type { ModelConfig } from '../shared/protocol';

/** 16M floats (64 MB): the small preset's full context (4.2M) fits with room; large gets 341 tokens. */
export const MAX_ATTENTION_WEIGHTS = 2 ** 24;
/** The inspector sends the text around the cursor; a megabyte is far past any context. */
export const MAX_ATTENTION_TEXT_CHARS = 1 << 20;
const DEFAULT_ATTENTION_TOKENS = 256;

/** Tokens an attention map may cover for this model and request (at least 1). */
export function attentionTokenLimit(config: Pick<ModelConfig, 'contextLength' | 'nLayers' | 'nHeads'>, requested?: number): number {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw codedError('invalid argument', `attention maxTokens must be a positive integer, got ${String(requested)}`);
  }
  const byBudget = Math.floor(Math.sqrt(MAX_ATTENTION_WEIGHTS / (config.nLayers * config.nHeads)));
  return Math.max(1, Math.min(requested ?? DEFAULT_ATTENTION_TOKENS, config.contextLength, byBudget));
}

export function checkAttentionText(text: unknown): string {
  if (typeof text !== 'string' || text.length === 0) throw codedError('invalid argument', 'attention needs a non-empty text');
  if (text.length > MAX_ATTENTION_TEXT_CHARS) {
    throw codedError('invalid argument', `attention text is ${text.length} characters; at most ${MAX_ATTENTION_TEXT_CHARS} are accepted`);
  }
  return text;
}
