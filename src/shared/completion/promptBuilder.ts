/**
 * promptBuilder.ts: which part of the document the model sees. The model has a fixed context (512
 * tokens for `small`), so the prompt is the text nearest the cursor, measured in characters: cheap to
 * compute on every keystroke, no tokenizer in the extension host. Pure: no 'vscode' import.
 */

/** Leave room for the FIM special tokens and a rounding margin when turning tokens into characters. */
const SPECIAL_TOKEN_RESERVE = 8;
/**
 * Bytes per BPE token on source code is ~3-4 for our tokenizers; 3 keeps most prompts inside the
 * context. Overshooting is not fatal (the engine keeps the tokens nearest the cursor), only wasted work.
 */
export const DEFAULT_CHARS_PER_TOKEN = 3;
/** Share of the budget given to the text after the cursor when both sides have more than enough. */
export const DEFAULT_SUFFIX_SHARE = 0.25;

/** Characters of prompt (prefix + suffix) that fit the model context after reserving the completion. */
export function promptCharBudget(contextTokens: number, maxNewTokens: number, charsPerToken = DEFAULT_CHARS_PER_TOKEN): number {
  const promptTokens = Math.max(16, contextTokens - maxNewTokens - SPECIAL_TOKEN_RESERVE);
  return Math.floor(promptTokens * charsPerToken);
}

export interface Prompt {
  prefix: string; // text before the cursor, ending at the cursor
  suffix: string; // text after the cursor, starting at the cursor
}

/**
 * Fits the text around the cursor into `budget` characters.
 * `before` ends at the cursor and `after` starts there; callers pass windows of at least `budget`
 * characters each way (more is wasted, less just means the document is that short).
 * Cuts fall on line boundaries where possible, so the model never starts mid-token-mid-line;
 * whatever one side does not use goes to the other.
 */
export function fitPrompt(before: string, after: string, budget: number, suffixShare = DEFAULT_SUFFIX_SHARE): Prompt {
  budget = Math.max(0, Math.floor(budget));
  if (before.length + after.length <= budget) return { prefix: before, suffix: after };

  const suffixWanted = Math.floor(budget * suffixShare);
  // A short prefix (top of the file) leaves its unused share to the suffix, and vice versa.
  const suffixBudget = Math.max(suffixWanted, budget - before.length);
  const suffix = takeHead(after, suffixBudget);
  const prefix = takeTail(before, budget - suffix.length);
  return { prefix, suffix };
}

/** The last `n` characters of `text`, started at a line boundary unless a single line is longer than `n`. */
export function takeTail(text: string, n: number): string {
  if (text.length <= n) return text;
  if (n <= 0) return '';
  const start = text.length - n;
  // Is `start` already the start of a line? Then no cut is needed.
  if (text[start - 1] === '\n') return text.slice(start);
  const nl = text.indexOf('\n', start);
  return nl === -1 ? text.slice(start) : text.slice(nl + 1);
}

/** The first `n` characters of `text`, ended at a line boundary unless the first line is longer than `n`. */
export function takeHead(text: string, n: number): string {
  if (text.length <= n) return text;
  if (n <= 0) return '';
  // Keep the newline itself so the suffix ends with a complete line.
  const nl = text.lastIndexOf('\n', n - 1);
  return nl === -1 ? text.slice(0, n) : text.slice(0, nl + 1);
}

/** What the post-processor needs to know about the cursor's line. */
export interface CursorLine {
  /** Text from the start of the cursor's line to the cursor. */
  linePrefix: string;
  /** Text from the cursor to the end of its line (without the newline). */
  lineSuffix: string;
}

export function cursorLine(prompt: Prompt): CursorLine {
  const nl = prompt.prefix.lastIndexOf('\n');
  const end = prompt.suffix.indexOf('\n');
  return {
    linePrefix: prompt.prefix.slice(nl + 1),
    lineSuffix: end === -1 ? prompt.suffix : prompt.suffix.slice(0, end),
  };
}

/** Share of the prefix budget left free when a new window start is chosen: typing fills it before the start moves. */
const WINDOW_HEADROOM = 0.25;

export interface StickyPrompt {
  prompt: Prompt;
  /** Document offset where the prefix starts; pass it back as `previousStart` on the next request. */
  start: number;
}

/**
 * Like fitPrompt, but keeps the prefix starting at the same document offset from one keystroke to the
 * next. The engine reuses its KV cache for the longest common token prefix of consecutive prompts, and
 * the prompt begins with our prefix: a window that slid with every character would invalidate all of
 * it, a fixed start keeps all but the last few tokens. When typing outgrows the budget the start jumps
 * forward (to a line start), leaving WINDOW_HEADROOM of room, so that happens rarely.
 *
 * `before` is the document text ending at the cursor and starting at offset `beforeStart`.
 */
export function fitPromptSticky(
  before: string,
  beforeStart: number,
  after: string,
  budget: number,
  previousStart: number | undefined,
  suffixShare = DEFAULT_SUFFIX_SHARE,
): StickyPrompt {
  budget = Math.max(0, Math.floor(budget));
  const cursor = beforeStart + before.length;
  const suffixBudget = Math.max(Math.floor(budget * suffixShare), budget - before.length);
  const suffix = takeHead(after, suffixBudget);
  const prefixBudget = budget - suffix.length;

  let start: number;
  if (beforeStart === 0 && before.length <= prefixBudget) start = 0; // the whole top of the file fits
  else if (previousStart !== undefined && previousStart >= beforeStart && previousStart <= cursor && cursor - previousStart <= prefixBudget) start = previousStart;
  else {
    start = Math.max(beforeStart, cursor - Math.floor(prefixBudget * (1 - WINDOW_HEADROOM)));
    let i = start - beforeStart;
    if (i > 0 && before[i - 1] !== '\n') {
      const nl = before.indexOf('\n', i);
      if (nl !== -1) i = nl + 1;
    }
    start = beforeStart + i;
  }
  return { prompt: { prefix: before.slice(start - beforeStart), suffix }, start };
}

/**
 * Characters per token of the loaded model's tokenizer, learned from the engine's answers (prompt
 * characters / prompt tokens), so the character budget matches the model context: a tokenizer trained
 * on a small workspace may give 1.5, a good code tokenizer 3.5. A prompt the engine had to cut tells us
 * the estimate was too high.
 */
export class CharsPerToken {
  private estimate = DEFAULT_CHARS_PER_TOKEN;

  get value(): number {
    return this.estimate;
  }

  observe(promptChars: number, promptTokens: number, truncated: boolean): void {
    if (truncated) {
      this.estimate = Math.max(1, this.estimate * 0.8);
      return;
    }
    if (promptTokens < 32) return; // too short to say much
    const ratio = promptChars / promptTokens;
    // Err low (a prompt that fits beats a longer one that is cut): take the new figure at once when
    // it is lower, slowly when it is higher.
    this.estimate = Math.min(6, Math.max(1, ratio < this.estimate ? ratio : this.estimate * 0.8 + ratio * 0.2));
  }

  reset(): void {
    this.estimate = DEFAULT_CHARS_PER_TOKEN;
  }
}
