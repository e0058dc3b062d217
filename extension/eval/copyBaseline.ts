/**
 * copyBaseline.ts: the "longest-match copy" baseline. Find the longest suffix of the prefix (up to
 * 64 characters) that occurs somewhere in the training text and copy what follows it there, to the
 * end of that line. Strong on repetitive code, and exactly what a model must beat to be worth its
 * cost.
 */

const MAX_MATCH = 64;

export class CopyBaseline {
  constructor(private readonly text: string) {}

  /** The rest of the line after the longest matching context, or "" when nothing matches. */
  complete(prefix: string): string {
    // Occurrence is monotone in the length of the suffix (a suffix of an occurring string occurs),
    // so the longest occurring length can be found by binary search.
    let lo = 0;
    let hi = Math.min(MAX_MATCH, prefix.length);
    let bestAt = -1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const at = this.text.indexOf(prefix.slice(prefix.length - mid));
      if (at >= 0) {
        lo = mid;
        bestAt = at;
      } else {
        hi = mid - 1;
      }
    }
    if (lo === 0) return ''; // bestAt is the first occurrence of the final (longest) length
    const start = bestAt + lo;
    const end = this.text.indexOf('\n', start);
    return this.text.slice(start, end < 0 ? this.text.length : end);
  }
}
