/**
 * evalTasks.ts: which files an evaluation trains on and which it holds out: a split by a hash of
 * the relative path (stable across runs and machines). The cursors in held-out files are
 * cursorTasks.ts's.
 */
import { createHash } from 'node:crypto';

export interface SourceFile {
  relativePath: string;
  text: string;
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
