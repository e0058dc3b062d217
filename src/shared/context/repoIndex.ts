/**
 * repoIndex.ts: find the code in the workspace that is related to the text at the cursor, and
 * fit it into a prompt.
 *
 * Files are cut into chunks (chunks.ts) and scored against the identifiers near the cursor with
 * BM25: a chunk that shares rare names (the class being extended, the helper being called) ranks
 * high; one that shares only `self` and `return` does not. Files are added, replaced and removed as
 * they change; the document frequencies follow. Pure: no I/O.
 */
import { chunkFile, identifiers, termCounts, type Chunk } from './chunks';

// BM25's usual constants: term-frequency saturation and length normalisation.
const K1 = 1.2;
const B = 0.75;
/** Lines before the cursor (and after it) whose identifiers make the query. */
export const QUERY_LINES_BEFORE = 12;
export const QUERY_LINES_AFTER = 4;

export interface RelatedChunk { chunk: Chunk; score: number }

export class RepoIndex {
  private readonly files = new Map<string, Chunk[]>();
  private readonly documentFrequency = new Map<string, number>();
  private chunkCount = 0;
  private totalLength = 0;

  get size(): number { return this.chunkCount; }
  get fileCount(): number { return this.files.size; }

  /** Add a file, or replace what was indexed for it. */
  setFile(path: string, text: string): void {
    this.removeFile(path);
    const chunks = chunkFile(path, text);
    for (const c of chunks) this.count(c, +1);
    this.files.set(path, chunks);
  }

  removeFile(path: string): void {
    const old = this.files.get(path);
    if (!old) return;
    for (const c of old) this.count(c, -1);
    this.files.delete(path);
  }

  private count(chunk: Chunk, sign: 1 | -1): void {
    this.chunkCount += sign;
    this.totalLength += sign * chunk.length;
    for (const term of chunk.terms.keys()) {
      const df = (this.documentFrequency.get(term) ?? 0) + sign;
      if (df > 0) this.documentFrequency.set(term, df);
      else this.documentFrequency.delete(term);
    }
  }

  /** Chunks by BM25 score against the query text, best first; chunks of excludePath are skipped. */
  search(query: string, limit: number, excludePath?: string): RelatedChunk[] {
    const queryTerms = [...termCounts(identifiers(query)).keys()];
    if (queryTerms.length === 0 || this.chunkCount === 0) return [];
    const idf = new Map<string, number>();
    for (const t of queryTerms) {
      const df = this.documentFrequency.get(t);
      if (df) idf.set(t, Math.log(1 + (this.chunkCount - df + 0.5) / (df + 0.5)));
    }
    if (idf.size === 0) return [];
    const averageLength = this.totalLength / this.chunkCount || 1;
    const scored: RelatedChunk[] = [];
    for (const [path, chunks] of this.files) {
      if (path === excludePath) continue;
      for (const chunk of chunks) {
        let score = 0;
        for (const [term, weight] of idf) {
          const tf = chunk.terms.get(term);
          if (!tf) continue;
          score += (weight * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * chunk.length) / averageLength));
        }
        if (score > 0) scored.push({ chunk, score });
      }
    }
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, limit);
  }

  /**
   * Related code for a cursor, as prompt text of at most maxChars: the best chunks that fit, the best
   * LAST (nearest the cursor's own text, which follows it in the prompt). Chunks that already appear
   * verbatim in the visible prefix are skipped (the model sees them anyway). "" when nothing relates.
   */
  contextFor(prefix: string, suffix: string, maxChars: number, excludePath?: string): string {
    if (maxChars <= 0) return '';
    const query = queryText(prefix, suffix);
    const picked: Chunk[] = [];
    let used = 0;
    for (const { chunk } of this.search(query, 16, excludePath)) {
      if (used + chunk.text.length > maxChars) continue;
      if (prefix.includes(chunk.text)) continue;
      picked.push(chunk);
      used += chunk.text.length;
    }
    return picked.reverse().map((c) => c.text).join('');
  }
}

/** The text whose identifiers make the query: the lines around the cursor. */
export function queryText(prefix: string, suffix: string): string {
  const before = lastLines(prefix, QUERY_LINES_BEFORE);
  const after = suffix.split('\n', QUERY_LINES_AFTER + 1).join('\n');
  return `${before}\n${after}`;
}

function lastLines(text: string, n: number): string {
  let at = text.length;
  for (let i = 0; i < n && at > 0; i++) {
    const nl = text.lastIndexOf('\n', at - 1);
    at = nl < 0 ? 0 : nl;
  }
  return text.slice(at);
}
