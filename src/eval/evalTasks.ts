/**
 * evalTasks.ts: what an evaluation asks. Files are split into training and held-out sets by a hash
 * of their relative path (stable across runs and machines); in held-out files, cursors are placed
 * at random points inside lines, and the task is to produce the rest of the line given everything
 * before the cursor (prefix) and everything after that line (suffix).
 */
import { createHash } from 'node:crypto';

export interface SourceFile {
  relativePath: string;
  text: string;
}

export interface LineTask {
  file: string;
  line: number;    // 0-based
  prefix: string;  // everything before the cursor
  suffix: string;  // everything after the cursor's line (from its newline on)
  target: string;  // the rest of the line after the cursor
}

/** True when a relative path falls in the held-out share (percent, 0..100). */
export function isHeldOut(relativePath: string, percent = 10): boolean {
  const digest = createHash('sha256').update(relativePath.replace(/\\/g, '/')).digest();
  return digest.readUInt32BE(0) % 100 < percent;
}

export function splitFiles(files: SourceFile[], percent = 10): { train: SourceFile[]; heldOut: SourceFile[] } {
  const train: SourceFile[] = [];
  const heldOut: SourceFile[] = [];
  for (const f of files) (isHeldOut(f.relativePath, percent) ? heldOut : train).push(f);
  // A tiny code base may hash every file one way; keep both sides non-empty when possible.
  if (heldOut.length === 0 && train.length > 1) heldOut.push(train.pop()!);
  if (train.length === 0 && heldOut.length > 1) train.push(heldOut.pop()!);
  return { train, heldOut };
}

/** Deterministic PRNG (mulberry32) so the same seed asks the same questions. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Up to `count` tasks spread over the held-out files. A line qualifies when its rest (from the
 * cursor) has at least `minTarget` non-blank characters; the cursor is never inside the leading
 * indentation, which is free for every completer.
 */
export function sampleTasks(heldOut: SourceFile[], count: number, seed = 1, minTarget = 3): LineTask[] {
  const random = seededRandom(seed);
  const candidates: { file: SourceFile; line: number; lineStart: number; indent: number; length: number }[] = [];
  for (const file of heldOut) {
    let lineStart = 0;
    const lines = file.text.split('\n');
    lines.forEach((text, line) => {
      const indent = text.length - text.trimStart().length;
      if (text.trimEnd().length - indent >= minTarget + 1) {
        candidates.push({ file, line, lineStart, indent, length: text.trimEnd().length });
      }
      lineStart += text.length + 1;
    });
  }
  const tasks: LineTask[] = [];
  const taken = new Set<number>();
  while (tasks.length < count && taken.size < candidates.length) {
    const index = Math.floor(random() * candidates.length);
    if (taken.has(index)) continue;
    taken.add(index);
    const c = candidates[index];
    const column = c.indent + Math.floor(random() * (c.length - c.indent - minTarget + 1));
    const cursor = c.lineStart + column;
    const lineEnd = c.file.text.indexOf('\n', cursor);
    const end = lineEnd < 0 ? c.file.text.length : lineEnd;
    tasks.push({
      file: c.file.relativePath,
      line: c.line,
      prefix: c.file.text.slice(0, cursor),
      suffix: c.file.text.slice(end),
      target: c.file.text.slice(cursor, end),
    });
  }
  return tasks;
}
