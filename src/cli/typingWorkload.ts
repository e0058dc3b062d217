/**
 * typingWorkload.ts: completion requests that look like someone typing: pick a line of a source
 * file, retype it a character or two per request (the text after the cursor is the rest of the file
 * after that line), then jump to another line. Deterministic for a seed.
 */
export interface TypingRequest { prefix: string; suffix: string }

const PREFIX_CHARS = 4000;
const SUFFIX_CHARS = 1500;

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

export function typingRequests(source: string, count: number, seed = 1): TypingRequest[] {
  const lines: { start: number; text: string }[] = [];
  let offset = 0;
  for (const text of source.split('\n')) {
    if (text.trim().length >= 8) lines.push({ start: offset, text });
    offset += text.length + 1;
  }
  if (lines.length === 0) throw new Error('the source text has no line of at least 8 characters to type');
  const random = lcg(seed);
  const out: TypingRequest[] = [];
  while (out.length < count) {
    const line = lines[Math.floor(random() * lines.length)];
    const indent = line.text.length - line.text.trimStart().length;
    const before = source.slice(Math.max(0, line.start - PREFIX_CHARS), line.start);
    const after = source.slice(line.start + line.text.length, line.start + line.text.length + SUFFIX_CHARS);
    // Type from the indentation to the end of the line, 1-2 characters per keystroke burst.
    for (let k = indent + 1; k <= line.text.length && out.length < count; k += 1 + Math.floor(random() * 2)) {
      out.push({ prefix: (before + line.text.slice(0, k)).slice(-PREFIX_CHARS), suffix: after });
    }
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
