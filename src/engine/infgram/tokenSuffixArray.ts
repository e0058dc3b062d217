/**
 * tokenSuffixArray.ts: the workspace as a language model (an "∞-gram", Liu et al. 2024, arXiv
 * 2401.17377). A suffix array over the workspace's tokens answers, for any context, the longest
 * suffix of it that occurs in the workspace and which tokens followed it there, and how often.
 *
 * Suffixes are sorted by their first MAX_DEPTH tokens only (prefix doubling stops there): queries never
 * look further back than that, so the order among suffixes that share MAX_DEPTH tokens does not
 * matter, and stopping early bounds the build time on repetitive code. Memory kept: the tokens
 * (2 bytes each; vocabularies are at most 65,535 ids) and the array (4 bytes each).
 */

/** Longest context (in tokens) a query matches; also the sort depth. */
export const MAX_DEPTH = 64;
/** Separates files in the token stream. No query token equals it, so no match crosses a file boundary. */
export const SEPARATOR = 0xffff;
/** A range larger than this is sampled evenly when counting next tokens. */
const MAX_COUNTED = 2048;

export interface NextTokens {
  /** Length of the longest suffix of the context found (0: not even its last token occurs). */
  matchLength: number;
  /** How many places in the corpus continue that suffix (counted, not sampled). */
  total: number;
  /** Next token id -> share of those places (sums to 1 when total > 0). */
  probabilities: Map<number, number>;
}

export class TokenSuffixArray {
  private constructor(readonly tokens: Uint16Array, readonly order: Int32Array) {}

  get size(): number {
    return this.tokens.length;
  }

  /** Where each file's tokens start in the stream, in the order given to fromFiles (and one past the end). */
  static fileStarts(files: readonly Int32Array[]): number[] {
    const starts = [0];
    for (const f of files) starts.push(starts[starts.length - 1] + f.length + 1);
    return starts;
  }

  /** Files' tokens joined into one stream, each followed by a separator. Each file's ids must be < SEPARATOR. */
  static join(files: readonly Int32Array[]): Uint16Array {
    let n = 0;
    for (const f of files) n += f.length + 1;
    const tokens = new Uint16Array(n);
    let at = 0;
    for (const f of files) {
      tokens.set(f, at);
      at += f.length;
      tokens[at++] = SEPARATOR;
    }
    return tokens;
  }

  /** The stream and its suffix order (from sl_suffix_sort, or sortSuffixes below). */
  static fromSorted(tokens: Uint16Array, order: Int32Array): TokenSuffixArray {
    if (order.length !== tokens.length) throw new Error(`suffix order has ${order.length} entries for ${tokens.length} tokens`);
    return new TokenSuffixArray(tokens, order);
  }

  /** Sorted here, in JavaScript: the reference the engine's sort is tested against, and small streams. */
  static fromFiles(files: readonly Int32Array[]): TokenSuffixArray {
    const tokens = TokenSuffixArray.join(files);
    return new TokenSuffixArray(tokens, sortSuffixes(tokens, MAX_DEPTH));
  }

  /** Range [lo, hi) of sorted suffixes that start with pattern[from..to). */
  range(pattern: ArrayLike<number>, from: number, to: number): [number, number] {
    const lo = this.bound(pattern, from, to, false);
    const hi = this.bound(pattern, from, to, true);
    return [lo, hi];
  }

  /**
   * The longest suffix of context[0..end) (at most MAX_DEPTH tokens) that occurs here, and the
   * distribution of the tokens that follow it. `exclude` is a corpus position whose own occurrence
   * must not count (the text being predicted, when it is itself in the corpus).
   */
  next(context: ArrayLike<number>, end = context.length, exclude = -1, skip?: readonly [number, number]): NextTokens {
    // Occurrence is monotone in the suffix length: binary search the longest length that occurs.
    let lo = 0;
    let hi = Math.min(MAX_DEPTH, end);
    let best: [number, number] = [0, 0];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const r = this.range(context, end - mid, end);
      if (this.countIn(r, exclude, mid, skip) > 0) {
        lo = mid;
        best = r;
      } else hi = mid - 1;
    }
    return this.nextIn(best, lo, exclude, skip);
  }

  /**
   * Places in the range, less the excluded one (which is in it whenever the context came from there)
   * and those inside `skip` (a file left out: the open document's saved copy). A range too large to
   * scan surely holds places outside one file.
   */
  private countIn([lo, hi]: [number, number], exclude: number, length: number, skip?: readonly [number, number]): number {
    let count = hi - lo - (exclude >= length && hi > lo ? 1 : 0);
    if (skip && count > 0 && hi - lo <= MAX_COUNTED) {
      for (let i = lo; i < hi; i++) if (this.order[i] >= skip[0] && this.order[i] < skip[1]) count--;
    }
    return count;
  }

  private nextIn([lo, hi]: [number, number], length: number, exclude: number, skip?: readonly [number, number]): NextTokens {
    const counts = new Map<number, number>();
    let total = 0;
    if (length === 0) return { matchLength: 0, total: 0, probabilities: counts };
    const span = hi - lo;
    const stride = span > MAX_COUNTED ? span / MAX_COUNTED : 1;
    for (let k = 0; k < Math.min(span, MAX_COUNTED); k++) {
      const start = this.order[lo + Math.floor(k * stride)];
      if (start === exclude - length || (skip && start >= skip[0] && start < skip[1])) continue;
      const at = start + length;
      if (at >= this.tokens.length) continue;
      const t = this.tokens[at];
      if (t === SEPARATOR) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
      total++;
    }
    for (const [t, c] of counts) counts.set(t, c / total);
    return { matchLength: total > 0 ? length : 0, total: Math.round(total * stride), probabilities: counts };
  }

  /** First sorted suffix >= pattern (upper=false) or > pattern as a prefix (upper=true). */
  private bound(pattern: ArrayLike<number>, from: number, to: number, upper: boolean): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.comparePrefix(this.order[mid], pattern, from, to);
      if (c < 0 || (upper && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Compares the suffix at `start` with pattern[from..to) on the pattern's length (0: it starts with it). */
  private comparePrefix(start: number, pattern: ArrayLike<number>, from: number, to: number): number {
    const tokens = this.tokens;
    for (let i = from, j = start; i < to; i++, j++) {
      if (j >= tokens.length) return -1;
      const d = tokens[j] - pattern[i];
      if (d !== 0) return d;
    }
    return 0;
  }
}

/**
 * Suffix order by the first `depth` tokens: prefix doubling (Manber and Myers) with two counting
 * sorts per round, O(n log depth) time and four n-sized arrays. The reference for the engine's
 * sl_suffix_sort (test/unit/engine-infgram.test.ts), and fine for small streams; a 64 MiB workspace
 * takes the engine's.
 */
export function sortSuffixes(tokens: Uint16Array, depth: number): Int32Array {
  const n = tokens.length;
  let rank = new Int32Array(n);
  let next = new Int32Array(n);
  const order = new Int32Array(n);
  const scratch = new Int32Array(n);
  // Ranks start as the tokens themselves (+1 so that 0 means "past the end").
  for (let i = 0; i < n; i++) rank[i] = tokens[i] + 1;
  let buckets = 0x10000 + 1;
  for (let i = 0; i < n; i++) order[i] = i;
  countingSort(order, scratch, rank, 0, buckets);
  for (let k = 1; k < depth; k *= 2) {
    // Sort by (rank[i], rank[i + k]): by the second key, then stably by the first.
    countingSort(order, scratch, rank, k, buckets);
    countingSort(order, scratch, rank, 0, buckets);
    next[order[0]] = 1;
    let distinct = 1;
    for (let i = 1; i < n; i++) {
      const a = order[i - 1];
      const b = order[i];
      const same = rank[a] === rank[b] && rankAt(rank, a + k) === rankAt(rank, b + k);
      if (!same) distinct++;
      next[b] = distinct;
    }
    [rank, next] = [next, rank];
    buckets = distinct + 1;
    if (distinct === n) break;
  }
  return order;
}

function rankAt(rank: Int32Array, i: number): number {
  return i < rank.length ? rank[i] : 0;
}

/** Stable counting sort of `order` by rank[i + offset] (0 past the end), through `scratch`. */
function countingSort(order: Int32Array, scratch: Int32Array, rank: Int32Array, offset: number, buckets: number): void {
  const count = new Int32Array(buckets + 1);
  const n = order.length;
  for (let i = 0; i < n; i++) count[rankAt(rank, order[i] + offset) + 1]++;
  for (let b = 1; b <= buckets; b++) count[b] += count[b - 1];
  for (let i = 0; i < n; i++) {
    const key = rankAt(rank, order[i] + offset);
    scratch[count[key]++] = order[i];
  }
  order.set(scratch);
}
