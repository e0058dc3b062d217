/**
 * Issue 13, item 6 (the small ones), against the real addon (dist/seedling.node) where it matters:
 * numbers from JavaScript are range-checked before the C++ casts (2^32 + 5 used to wrap to 5 and be
 * accepted); an attention map can be cancelled and is bounded in size; `seedling.threads` is clamped
 * to the machine. The cancel flag's atomicity is covered by test/native/test_inference.c's use of the
 * sl_cancel_flag API (a data race cannot be made to fail on demand). Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadAddon, type SeedlingAddon } from '../../src/engine/addon';
import { attentionTokenLimit, checkAttentionText, MAX_ATTENTION_TEXT_CHARS } from '../../src/engine/attentionLimits';
import { threadSetting } from '../../src/host/threadSetting';

const dist = path.join(__dirname, '..', '..', 'dist');
const built = existsSync(path.join(dist, 'seedling.node'));
const skip = built ? false : 'skipped: dist/seedling.node missing (run npm run build)';
let cached: SeedlingAddon | undefined;
const addon = (): SeedlingAddon => (cached ??= loadAddon(dist));
// assert.rejects(async () => …): the addon refuses some arguments synchronously, some in the promise.

test('seedling.threads is clamped to the cores of the machine; 0 and nonsense mean "engine decides"', () => {
  assert.equal(threadSetting(1024, 2), 2);
  assert.equal(threadSetting(3.7, 8), 3);
  assert.equal(threadSetting(1, 8), 1);
  assert.equal(threadSetting(0, 8), 0);
  assert.equal(threadSetting(-4, 8), 0);
  assert.equal(threadSetting(Number.NaN, 8), 0);
  assert.equal(threadSetting('8', 8), 0);
  assert.equal(threadSetting(0.5, 8), 1, 'a positive value asks for threads: at least one');
});

test('addon: numbers out of range are refused with a RangeError that names them, not wrapped', { skip }, async () => {
  const a = addon();
  const tiny = a.configPreset('tiny');
  // 2^32 + vocab wrapped to vocab through Int32Value() and created a model.
  await assert.rejects(async () => a.Model.create({ ...tiny, vocabSize: 2 ** 32 + tiny.vocabSize }, 1),
    (err: Error) => err instanceof RangeError && /config\.vocabSize must be an integer in \[0, 2147483647\], got 4294967808/.test(err.message));
  assert.throws(() => a.setThreads(2 ** 40), (err: Error) => err instanceof RangeError && /thread count/.test(err.message));
  assert.throws(() => a.setThreads(1.5), RangeError);
  assert.throws(() => a.setThreads(Number.NaN), RangeError);
  const tok = a.Tokenizer.bytes();
  try {
    assert.equal(tok.tokenBytes(65)?.toString(), 'A');
    assert.throws(() => tok.tokenBytes(2 ** 32 + 65), /token id must be an integer/);
    assert.throws(() => tok.decode([2 ** 32 + 65]), /must be an integer/);
    await assert.rejects(async () => a.Tokenizer.train(['abc'], 1e10), /vocabSize must be an integer/);
  } finally {
    tok.dispose();
  }
  const model = await a.Model.create(tiny, 1);
  const session = a.Session.create(model);
  const bytes = a.Tokenizer.bytes();
  try {
    await assert.rejects(async () => model.loss(new Int32Array([1]), new Int32Array([1]), 2 ** 32 + 1, 1), /B must be an integer/);
    await assert.rejects(async () => session.generate(bytes, new Int32Array([65]), { maxTokens: 2 ** 31 }), /option maxTokens must be an integer/);
    await assert.rejects(async () => session.generate(bytes, new Int32Array([65]), { temperature: 1e39 }), /outside the range of a float/);
    await assert.rejects(async () => session.generate(bytes, new Int32Array([65]), { seed: 2 ** 60 }), /option seed must be an integer/);
    const ok = await session.generate(bytes, new Int32Array([65]), { maxTokens: 2 });
    assert.ok(ok.generatedTokens <= 2);
  } finally {
    session.dispose();
    bytes.dispose();
    model.dispose();
  }
});

test('addon: an attention map stops when its cancel token is raised, and runs when it is not', { skip }, async () => {
  const a = addon();
  const model = await a.Model.create(a.configPreset('tiny'), 1);
  try {
    const tokens = new Int32Array(64).map((_, i) => (i * 7) % 256);
    const token = a.newCancelToken();
    token.cancel();
    await assert.rejects(async () => model.attention(tokens, { cancel: token }), (err: Error & { code?: string }) => err.code === 'cancelled');
    token.reset();
    const r = await model.attention(tokens, { cancel: token });
    assert.equal(r.weights.length, 2 * 2 * 64 * 64);
  } finally {
    model.dispose();
  }
});

test('addon: an attention map past the weight bound is refused before anything is allocated', { skip }, async () => {
  const a = addon();
  // 4 layers × 4 heads × 4096² = 268M floats (1 GiB) > the addon's 64M-float bound.
  const model = await a.Model.create({ vocabSize: 512, contextLength: 4096, dModel: 32, nLayers: 4, nHeads: 4 }, 1);
  try {
    await assert.rejects(async () => model.attention(new Int32Array(4096)), (err: Error) => err instanceof RangeError && /more than the limit/.test(err.message));
  } finally {
    model.dispose();
  }
});

test('engine: attention tokens are capped by context and by a weight budget; bad requests are clear errors', () => {
  assert.equal(attentionTokenLimit({ contextLength: 512, nLayers: 4, nHeads: 4 }, 512), 512, 'small: the whole context');
  assert.equal(attentionTokenLimit({ contextLength: 1024, nLayers: 12, nHeads: 12 }, 1024), 341, 'large: 12×12×341² ≤ 16M');
  assert.equal(attentionTokenLimit({ contextLength: 128, nLayers: 2, nHeads: 2 }), 128);
  assert.throws(() => attentionTokenLimit({ contextLength: 128, nLayers: 2, nHeads: 2 }, 0), /positive integer/);
  assert.throws(() => attentionTokenLimit({ contextLength: 128, nLayers: 2, nHeads: 2 }, 2.5), /positive integer/);
  assert.throws(() => checkAttentionText('x'.repeat(MAX_ATTENTION_TEXT_CHARS + 1)), /at most/);
  assert.throws(() => checkAttentionText(42), /non-empty text/);
  assert.equal(checkAttentionText('abc'), 'abc');
});
