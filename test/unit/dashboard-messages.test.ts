import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toProgressPoint, validateHostMessage, validateWebviewMessage } from '../../src/shared/dashboard/messages';

const point = { step: 3, totalSteps: 10, tokensSeen: 3072, loss: 5.5, learningRate: 1e-3, tokensPerSecond: 900, elapsedMs: 4000, etaMs: 9000 };
const run = { runId: 'r1', startedAt: 1, model: { preset: 'tiny', parameters: 0, device: 'cpu', threads: 2 } };

test('well-formed host messages pass', () => {
  assert.equal(validateHostMessage({ type: 'progress', runId: 'r1', points: [point, { ...point, valLoss: 5.9 }] }).ok, true);
  assert.equal(validateHostMessage({ type: 'snapshot', runs: [{ info: run, progress: [point], checkpoints: [] }], activeRunId: null }).ok, true);
  assert.equal(validateHostMessage({ type: 'runStarted', run }).ok, true);
  const counts = { shown: 4, whole: 1, line: 1, word: 0, typed: 1, dismissed: 1 };
  assert.equal(validateHostMessage({ type: 'suggestions', summary: { bySource: { copy: counts }, byLanguage: { python: counts }, total: counts } }).ok, true);
});

test('suggestion counts are whole, non-negative numbers, all six present', () => {
  const counts = { shown: 4, whole: 1, line: 1, word: 0, typed: 1, dismissed: 1 };
  const summary = (total: object) => ({ type: 'suggestions', summary: { bySource: {}, byLanguage: {}, total } });
  assert.match(errorOf(validateHostMessage(summary({ ...counts, shown: -1 }))), /< 0/);
  assert.match(errorOf(validateHostMessage(summary({ ...counts, dismissed: undefined }))), /dismissed/);
});

test('unknown types and non-objects are rejected', () => {
  assert.match(errorOf(validateHostMessage({ type: 'evil' })), /unknown message type/);
  assert.match(errorOf(validateHostMessage('progress')), /not an object/);
  assert.match(errorOf(validateHostMessage(null)), /not an object/);
  assert.match(errorOf(validateWebviewMessage({ type: 'snapshot' })), /unknown message type/);
  assert.match(errorOf(validateHostMessage({ type: 'toString' })), /unknown message type/);
});

test('wrong field types, missing and extra fields are rejected with the path', () => {
  assert.match(errorOf(validateHostMessage({ type: 'progress', runId: 'r1', points: [{ ...point, loss: '5.5' }] })), /\$\.points\[0\]\.loss: expected number/);
  assert.match(errorOf(validateHostMessage({ type: 'progress', runId: 'r1', points: [{ ...point, step: 1.5 }] })), /integer/);
  assert.match(errorOf(validateHostMessage({ type: 'progress', runId: 'r1' })), /points: missing/);
  assert.match(errorOf(validateHostMessage({ type: 'progress', runId: 'r1', points: [], extra: 1 })), /unexpected field "extra"/);
  assert.match(errorOf(validateWebviewMessage({ type: 'revealToken', index: -1 })), /< 0/);
  assert.match(errorOf(validateWebviewMessage({ type: 'log', level: 'fatal', message: 'x' })), /expected one of/);
});

test('a diverged loss (null after JSON) is accepted; Infinity in a plain number field is not', () => {
  assert.equal(validateHostMessage({ type: 'progress', runId: 'r1', points: [{ ...point, loss: null }] }).ok, true);
  assert.equal(validateHostMessage({ type: 'runStarted', run: { ...run, startedAt: Infinity } }).ok, false);
});

test('attention views carry typed arrays of the exact kind', () => {
  const view = { inspection: 1, tokens: ['a', 'b'], tokenOffsets: [0, 1], layers: 1, heads: 1, lastRows: new Float32Array(2), previewSize: 2,
    previews: new Uint8Array(4), next: [{ token: 'c', probability: 0.5 }], ms: 1, roundTripMs: 2, documentName: 'a.js', truncated: false };
  assert.equal(validateHostMessage({ type: 'attention', view }).ok, true);
  assert.match(errorOf(validateHostMessage({ type: 'attention', view: { ...view, lastRows: [0.5, 0.5] } })), /lastRows: expected Float32Array, got array/);
  assert.match(errorOf(validateHostMessage({ type: 'attention', view: { ...view, previews: new Float32Array(4) } })), /previews: expected Uint8Array, got Float32Array/);
  assert.match(errorOf(validateHostMessage({ type: 'attention', view: { ...view, previews: Buffer.alloc(4) } })), /expected Uint8Array, got Buffer/);
  assert.match(errorOf(validateHostMessage({ type: 'attention', view: { ...view, previewSize: 65 } })), /> 64/);
  assert.match(errorOf(validateHostMessage({ type: 'attention', view: { ...view, next: [{ token: 'c', probability: 2 }] } })), /> 1/);
  const matrix = { inspection: 1, layer: 0, head: 0, average: false, weights: new Float32Array(4) };
  assert.equal(validateHostMessage({ type: 'attentionMatrix', matrix }).ok, true);
  assert.match(errorOf(validateHostMessage({ type: 'attentionMatrix', matrix: { ...matrix, weights: new Uint8Array(4) } })), /expected Float32Array/);
});

test('matrix requests from the webview are checked', () => {
  const request = { type: 'requestAttentionMatrix', inspection: 3, layer: 1, head: 0, average: true };
  assert.equal(validateWebviewMessage(request).ok, true);
  assert.match(errorOf(validateWebviewMessage({ ...request, layer: -1 })), /layer: -1 < 0/);
  assert.match(errorOf(validateWebviewMessage({ ...request, head: 1.5 })), /integer/);
  assert.match(errorOf(validateWebviewMessage({ ...request, average: 'yes' })), /expected boolean/);
  assert.match(errorOf(validateWebviewMessage({ type: 'requestAttentionMatrix', layer: 0, head: 0, average: false })), /inspection: missing/);
});

test('toProgressPoint keeps only charted fields and maps NaN to null', () => {
  const p = toProgressPoint({ ...point, loss: NaN, valLoss: 4, extraField: 1 } as never);
  assert.equal(p.loss, null);
  assert.equal(p.valLoss, 4);
  assert.equal('extraField' in p, false);
  assert.equal(validateHostMessage({ type: 'progress', runId: 'r', points: [p] }).ok, true);
});

function errorOf(r: { ok: boolean; error?: string }): string {
  assert.equal(r.ok, false, 'expected the message to be rejected');
  return r.error ?? '';
}
