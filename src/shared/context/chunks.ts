/**
 * chunks.ts: a file cut into pieces small enough to put several into a prompt, each with the
 * identifiers it mentions (what retrieval matches on). Pure: no I/O.
 */

/** Lines per chunk: about a function or a class header with a few members. */
export const CHUNK_LINES = 20;

export interface Chunk {
  path: string;
  startLine: number;        // 0-based
  text: string;             // the lines, newline-terminated
  terms: Map<string, number>; // identifier -> occurrences in this chunk
  length: number;           // total identifier occurrences (BM25's document length)
}

const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/g;

/**
 * Identifiers worth matching on: at least 3 characters (i, x, fn say nothing about which code is
 * related). Common words (self, return, const) stay: BM25's inverse document frequency mutes them.
 */
export function identifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IDENTIFIER)) if (m[0].length >= 3) out.push(m[0]);
  return out;
}

export function termCounts(words: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Consecutive CHUNK_LINES-line pieces; blank-only pieces are dropped (nothing to match or copy). */
export function chunkFile(path: string, text: string, linesPerChunk = CHUNK_LINES): Chunk[] {
  const lines = text.split('\n');
  const chunks: Chunk[] = [];
  for (let start = 0; start < lines.length; start += linesPerChunk) {
    const body = lines.slice(start, start + linesPerChunk).join('\n');
    if (body.trim() === '') continue;
    const words = identifiers(body);
    chunks.push({ path, startLine: start, text: body.endsWith('\n') ? body : `${body}\n`, terms: termCounts(words), length: words.length });
  }
  return chunks;
}
