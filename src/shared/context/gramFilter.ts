/**
 * gramFilter.ts: a per-file set of the hashes of every 8-character window, as a bitset. It answers
 * "can this needle occur in the file?" with no false negatives, so the copy search over a large
 * workspace runs `indexOf` only in the few files that may hold the needle instead of in all of them.
 * Pure: no I/O.
 */

/** Window length. Needles shorter than this cannot be filtered (every file may hold them). */
export const GRAM = 8;
/** Bits per character of text: about one false "maybe" in five per window looked up. */
const BITS_PER_CHAR = 4;
/** Windows of a needle looked up: spread over it, so a needle that differs anywhere is likely caught. */
const PROBES = 4;

const BASE = 0x01000193;
const BASE_POW_GRAM_MINUS_1 = (() => {
  let p = 1;
  for (let i = 1; i < GRAM; i++) p = Math.imul(p, BASE);
  return p;
})();

/** Polynomial hash of text[at .. at + GRAM), mod 2^32 (what the rolling update below maintains). */
function windowHash(text: string, at: number): number {
  let h = 0;
  for (let i = 0; i < GRAM; i++) h = (Math.imul(h, BASE) + text.charCodeAt(at + i)) | 0;
  return h;
}

/** Scrambles the polynomial hash so its low bits are usable as a bit index. */
function mix(h: number): number {
  let x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  x ^= x >>> 12;
  return Math.imul(x, 0x297a2d39) ^ (x >>> 15);
}

export class GramFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(text: string) {
    let size = 64;
    while (size < text.length * BITS_PER_CHAR) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
    if (text.length < GRAM) return;
    let h = windowHash(text, 0);
    this.set(h);
    for (let at = 1; at + GRAM <= text.length; at++) {
      // Drop the character leaving the window, shift, add the one entering it.
      h = (Math.imul((h - Math.imul(text.charCodeAt(at - 1), BASE_POW_GRAM_MINUS_1)) | 0, BASE) + text.charCodeAt(at + GRAM - 1)) | 0;
      this.set(h);
    }
  }

  private set(h: number): void {
    const bit = mix(h) & this.mask;
    this.bits[bit >>> 5] |= 1 << (bit & 31);
  }

  /** False when the needle of these probes (gramProbes) certainly does not occur in the text. */
  mayContain(probes: GramProbes): boolean {
    if (probes === undefined) return true;
    for (const mixed of probes) {
      const bit = mixed & this.mask;
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** The windows of a needle that a filter looks up, hashed once for all files (undefined: too short). */
export type GramProbes = readonly number[] | undefined;

export function gramProbes(needle: string): GramProbes {
  const last = needle.length - GRAM;
  if (last < 0) return undefined;
  const probes: number[] = [];
  for (let k = 0; k < PROBES; k++) probes.push(mix(windowHash(needle, Math.round((last * k) / (PROBES - 1)))));
  return probes;
}
