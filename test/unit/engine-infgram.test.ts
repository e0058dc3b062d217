/**
 * engine-infgram.test.ts: the ∞-gram's suffix array and document scan against a naive reference
 * (every place in the corpus, compared token by token) on random and repetitive token streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentNext, longerMatch } from '../../src/engine/infgram/documentMatches';
import { MAX_DEPTH, SEPARATOR, TokenSuffixArray, sortSuffixes } from '../../src/engine/infgram/tokenSuffixArray';
import { seededRandom } from '../../src/eval/evalTasks';
import { loadAddon } from '../../src/engine/addon';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mixtureFilePath, readMixtureWeights, writeMixtureFile } from '../../src/engine/infgram/mixtureFile';
import { BUCKET_ENDS, MixtureWeights } from '../../src/engine/infgram/mixtureWeights';
import * as path from 'node:path';

const addonSkip = existsSync(path.join(__dirname, '..', '..', 'dist', 'seedling.node')) ? false : 'skipped: dist/seedling.node missing (run npm run build)';

/** Naive ∞-gram: the longest suffix of context (<= MAX_DEPTH) that occurs followed by a real token. */
function naiveNext(stream: number[], context: number[], exclude = -1): { matchLength: number; counts: Map<number, number> } {
  for (let len = Math.min(MAX_DEPTH, context.length); len >= 1; len--) {
    const counts = new Map<number, number>();
    for (let s = 0; s + len < stream.length; s++) {
      if (s === exclude - len) continue;
      let ok = true;
      for (let i = 0; i < len && ok; i++) ok = stream[s + i] === context[context.length - len + i];
      const next = stream[s + len];
      if (ok && next !== SEPARATOR) counts.set(next, (counts.get(next) ?? 0) + 1);
    }
    if (counts.size > 0) return { matchLength: len, counts };
  }
  return { matchLength: 0, counts: new Map() };
}

function randomFiles(seed: number, files: number, length: number, vocab: number, repeat: boolean): Int32Array[] {
  const random = seededRandom(seed);
  const out: Int32Array[] = [];
  const motif = Array.from({ length: 7 }, () => Math.floor(random() * vocab));
  for (let f = 0; f < files; f++) {
    const a = new Int32Array(length);
    for (let i = 0; i < length; i++) a[i] = repeat && random() < 0.6 ? motif[i % motif.length] : Math.floor(random() * vocab);
    out.push(a);
  }
  return out;
}

test('the suffix order matches a comparison sort on the first MAX_DEPTH tokens', () => {
  for (const repeat of [false, true]) {
    const files = randomFiles(3, 4, 300, repeat ? 3 : 50, repeat);
    const sa = TokenSuffixArray.fromFiles(files);
    const tokens = sa.tokens;
    const key = (s: number) => Array.from(tokens.subarray(s, s + MAX_DEPTH));
    for (let i = 1; i < sa.order.length; i++) {
      const a = key(sa.order[i - 1]);
      const b = key(sa.order[i]);
      let c = 0;
      for (let k = 0; k < Math.min(a.length, b.length) && c === 0; k++) c = a[k] - b[k];
      if (c === 0) c = a.length - b.length;
      assert.ok(c <= 0, `suffixes out of order at ${i}`);
    }
    assert.equal(new Set(sa.order).size, tokens.length, 'a permutation');
  }
});

test('sortSuffixes handles the empty and one-token streams', () => {
  assert.deepEqual(Array.from(sortSuffixes(new Uint16Array(0), MAX_DEPTH)), []);
  assert.deepEqual(Array.from(sortSuffixes(new Uint16Array([5]), MAX_DEPTH)), [0]);
});

test('next(): the longest match and its next-token shares agree with the naive search', () => {
  const random = seededRandom(11);
  for (const repeat of [false, true]) {
    const files = randomFiles(7, 5, 400, repeat ? 4 : 12, repeat);
    const sa = TokenSuffixArray.fromFiles(files);
    const stream = Array.from(sa.tokens);
    for (let q = 0; q < 200; q++) {
      // Contexts taken from the corpus (so long matches happen) or made up.
      const ctxLen = 1 + Math.floor(random() * 20);
      let context: number[];
      if (random() < 0.7) {
        const at = Math.floor(random() * (stream.length - ctxLen));
        context = stream.slice(at, at + ctxLen).map((t) => (t === SEPARATOR ? 1 : t));
      } else context = Array.from({ length: ctxLen }, () => Math.floor(random() * 12));
      const got = sa.next(context);
      const want = naiveNext(stream, context);
      assert.equal(got.matchLength, want.matchLength, `match length for ${context}`);
      const total = [...want.counts.values()].reduce((a, b) => a + b, 0);
      assert.equal(got.total, total);
      for (const [t, c] of want.counts) assert.ok(Math.abs((got.probabilities.get(t) ?? 0) - c / total) < 1e-9);
    }
  }
});

test('next() with an excluded place does not count the context\'s own occurrence', () => {
  const sa = TokenSuffixArray.fromFiles([Int32Array.from([1, 2, 3, 4, 9, 9, 1, 2, 3, 5])]);
  const stream = Array.from(sa.tokens);
  // Predicting position 3 (token 4) from [1,2,3]: the other occurrence says 5.
  const got = sa.next([1, 2, 3], 3, 3);
  assert.equal(got.matchLength, 3);
  assert.deepEqual([...got.probabilities], [[5, 1]]);
  assert.equal(naiveNext(stream, [1, 2, 3], 3).counts.get(5), 1);
});

test('documentNext finds the longest earlier match, never the context itself', () => {
  const before = [7, 1, 2, 3, 8, 0, 2, 3, 9, 1, 2, 3];
  const after = [1, 2, 3, 6];
  const doc = [...before, SEPARATOR, ...after];
  const r = documentNext(doc, before);
  assert.equal(r.matchLength, 3);
  // [1,2,3] is followed by 8 (before the cursor) and by 6 (after it).
  assert.deepEqual([...r.probabilities].sort(), [[6, 0.5], [8, 0.5]]);
  assert.equal(documentNext(doc, [4, 4]).matchLength, 0);
});

test('longerMatch keeps the longer match and pools equal ones', () => {
  const a = { matchLength: 3, total: 1, probabilities: new Map([[5, 1]]) };
  const b = { matchLength: 2, total: 4, probabilities: new Map([[6, 1]]) };
  assert.equal(longerMatch(a, b), a);
  const c = longerMatch(a, { matchLength: 3, total: 3, probabilities: new Map([[6, 1]]) });
  assert.equal(c.total, 4);
  assert.equal(c.probabilities.get(5), 0.25);
});

test('the engine\'s suffix sort (sl_suffix_sort) orders suffixes exactly as the reference does, up to ties at MAX_DEPTH', { skip: addonSkip }, async () => {
  const addon = loadAddon(path.join(__dirname, '..', '..', 'dist'));
  for (const repeat of [false, true]) {
    const files = randomFiles(5, 6, 700, repeat ? 3 : 300, repeat);
    const tokens = TokenSuffixArray.join(files);
    const native = await addon.suffixSort(tokens, MAX_DEPTH);
    const reference = sortSuffixes(tokens, MAX_DEPTH);
    const key = (s: number) => Array.from(tokens.subarray(s, s + MAX_DEPTH)).join(',');
    assert.equal(native.length, reference.length);
    // Suffixes equal for MAX_DEPTH tokens may come in any order: compare the sequences of keys.
    for (let i = 0; i < native.length; i++) assert.equal(key(native[i]), key(reference[i]), `position ${i}`);
    const a = TokenSuffixArray.fromSorted(tokens, native);
    const b = TokenSuffixArray.fromSorted(tokens, reference);
    const context = Array.from(tokens.subarray(100, 120));
    assert.deepEqual(a.next(context), b.next(context));
  }
  assert.throws(() => addon.suffixSort(new Uint16Array(4), 0), /depth/);
  assert.throws(() => addon.suffixSort(new Int32Array(4) as unknown as Uint16Array, 8), /Uint16Array/);
});

test('the fitted mixture weights travel beside the checkpoint: private, read back, and a damaged file means the defaults', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-mixture-'));
  try {
    const checkpoint = path.join(dir, 'model.seedling');
    const lambdas = BUCKET_ENDS.map((_, i) => 0.05 + i * 0.09);
    await writeMixtureFile(checkpoint, { weights: new MixtureWeights(lambdas), positions: BUCKET_ENDS.map(() => 1), modelNats: -3, mixtureNats: -2.5, ms: 1 });
    assert.equal(statSync(mixtureFilePath(checkpoint)).mode & 0o777, 0o600);
    assert.deepEqual(readMixtureWeights(checkpoint)?.lambdas, lambdas);
    writeFileSync(mixtureFilePath(checkpoint), '{"version":1,"bucketEnds":[1,2],"lambdas":[0.5,0.5]}');
    assert.equal(readMixtureWeights(checkpoint), undefined, 'other buckets');
    writeFileSync(mixtureFilePath(checkpoint), 'not json');
    assert.equal(readMixtureWeights(checkpoint), undefined, 'not json');
    assert.equal(readMixtureWeights(path.join(dir, 'missing.seedling')), undefined, 'no file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
