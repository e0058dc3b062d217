/**
 * vocabulary.ts: every token's bytes, read once per tokenizer, for the decoding loop's per-step
 * questions (what text does this id add; can it continue the text healing took off?).
 */
import type { NativeTokenizer } from '../addon';

export class Vocabulary {
  private readonly pieces: Buffer[];

  constructor(tokenizer: NativeTokenizer) {
    this.pieces = [];
    for (let id = 0; id < tokenizer.vocabSize; id++) this.pieces.push(tokenizer.tokenBytes(id) ?? Buffer.alloc(0));
  }

  get size(): number {
    return this.pieces.length;
  }

  bytes(id: number): Buffer {
    return this.pieces[id];
  }

  /** True when token `id` can come next while `required` is still owed: one is a prefix of the other. */
  agreesWith(id: number, required: Buffer): boolean {
    const piece = this.pieces[id];
    if (piece.length === 0) return false;
    const n = Math.min(piece.length, required.length);
    return piece.compare(required, 0, n, 0, n) === 0;
  }
}
