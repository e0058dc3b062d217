import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeSession, NativeTokenizer } from '../../src/engine/addon';
import { completeAtCursor, endOfLineLogProb, strategyOf } from '../../src/engine/cursorCompletion';
import { WorkspaceContext } from '../../src/shared/context/workspaceContext';

// A byte tokenizer and a session whose "model" answers `modelText` and likes the characters of `liked`.
function fakes(modelText: string, liked: string) {
  const tokenizer = {
    vocabSize: 261,
    encode: (text: string) => Int32Array.from(Buffer.from(text, 'utf8')),
    tokenBytes: (id: number) => (id < 256 ? Buffer.from([id]) : null),
  } as unknown as NativeTokenizer;
  const calls: { options: Record<string, unknown>; scored: string[] } = { options: {}, scored: [] };
  const session = {
    complete: async (_tok: NativeTokenizer, prefix: string, _suffix: string, options: Record<string, unknown>) => {
      calls.options = options;
      const healed = options.heal ? prefix.slice(prefix.lastIndexOf(' ') + 1) : '';
      return { text: modelText, healed, prompt: Int32Array.from([1, 2]), promptTokens: 2, reusedTokens: 0, generatedTokens: 3,
        stoppedBy: 'stop', promptMs: 0, decodeMs: 0 };
    },
    score: async (_prompt: Int32Array, tokens: Int32Array) => {
      const text = Buffer.from(tokens).toString('utf8');
      calls.scored.push(text);
      const logprobs = Float32Array.from(text, (ch) => (liked.includes(ch) ? -0.1 : -3));
      const next = new Float32Array(261).fill(-10);
      next[10] = 5; // the line ends here
      return { logprobs, next };
    },
  } as unknown as NativeSession;
  return { tokenizer, session, calls };
}

const generation = { maxTokens: 16, temperature: 0, cancel: { cancel() {}, reset() {}, cancelled: false } };

test('rank picks the likelier line, scoring it with the healed text in front', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'result = compute_total(items)\n');
  const { tokenizer, session, calls } = fakes('zzzz', 'abcdefghijklmnopqrstuvwxy_()');
  const r = await completeAtCursor({ session, tokenizer, contextLength: 128, workspace },
    { prefix: 'x = compute_to', suffix: '', stop: ['\n'], heal: true, rank: 'model' }, generation);
  assert.equal(r.text, 'tal(items)');
  assert.equal(r.source, 'copy');
  assert.deepEqual(calls.scored.sort(), ['compute_total(items)', 'compute_tozzzz']);
  assert.equal(calls.options.returnPrompt, true);
});

test('rank keeps the model line when the model prefers it, and never ranks multi-line requests', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'result = compute_total(items)\n');
  const mine = fakes('abc', 'abc');
  const kept = await completeAtCursor({ ...mine, contextLength: 128, workspace },
    { prefix: 'x = compute_to', suffix: '', stop: ['\n'], rank: 'model' }, generation);
  assert.equal(kept.text, 'abc');
  assert.equal(kept.source, 'model');
  const multi = fakes('zz', 'tal(items)');
  const r = await completeAtCursor({ ...multi, contextLength: 128, workspace },
    { prefix: 'x = compute_to', suffix: '', stop: ['\n\n\n'], rank: 'model' }, generation);
  assert.equal(r.text, 'zz');
  assert.equal(multi.calls.scored.length, 0);
});

test('copy ranking leaves the model line out and picks the likelier copy', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'a = compute_total(items)\nb = compute_total(9999)\nc = compute_total(9999)\n');
  const f = fakes('abcdefg', 'abcdefghijklmnopqrstuvwxyz_()');
  const r = await completeAtCursor({ ...f, contextLength: 128, workspace },
    { prefix: 'x = compute_to', suffix: '', stop: ['\n'], rank: 'copy', copyCandidates: 4 }, generation);
  assert.equal(r.text, 'tal(items)'); // fewer disliked characters than the more frequent 'tal(9999)'
  assert.equal(r.source, 'copy');
  assert.ok(!f.calls.scored.some((t) => t.includes('abcdefg')), 'the model line is not scored');
  const none = await completeAtCursor({ ...fakes('abc', ''), contextLength: 128, workspace: new WorkspaceContext() },
    { prefix: 'zzz', suffix: '', stop: ['\n'], rank: 'copy', copyCandidates: 4 }, generation);
  assert.equal(none.text, 'abc');
  assert.equal(none.source, 'model');
});

test('mean line score prefers the line that is likelier per token, sum the likelier whole line', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'k = fooaX\nk = fooabcdefghiX\n');
  const params = { prefix: 'z = foo', suffix: '', stop: ['\n'], rank: 'copy' as const, copyCandidates: 4 };
  const sum = await completeAtCursor({ ...fakes('', 'abcdefghi'), contextLength: 128, workspace }, params, generation);
  assert.equal(sum.text, 'aX');
  const mean = await completeAtCursor({ ...fakes('', 'abcdefghi'), contextLength: 128, workspace },
    { ...params, lineScore: 'mean' }, generation);
  assert.equal(mean.text, 'abcdefghiX');
});

test('match rule: copy wins only with enough matched context', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'result = compute_total(items)\n');
  const f = fakes('zz', '');
  const deps = { ...f, contextLength: 128, workspace };
  const params = { prefix: 'x = compute_to', suffix: '', stop: ['\n'], rank: 'match' as const };
  assert.equal((await completeAtCursor(deps, { ...params, copyMinMatch: 10 }, generation)).text, 'tal(items)');
  assert.equal((await completeAtCursor(deps, { ...params, copyMinMatch: 20 }, generation)).text, 'zz');
});

test('retrieval puts related code into the prompt options; prompt mode and healing pass through', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'def compute_total(items):\n    return sum(items)\n');
  const f = fakes('zz', '');
  const r = await completeAtCursor({ ...f, contextLength: 128, workspace },
    { prefix: 'y = compute_total(', suffix: '', retrieve: true, promptMode: 'fim', heal: false, path: '/w/main.py' }, generation);
  assert.ok(String(f.calls.options.context).includes('def compute_total'));
  assert.equal(r.contextChars, String(f.calls.options.context).length);
  assert.equal(f.calls.options.promptMode, 'fim');
  assert.equal(f.calls.options.heal, false);
});

test('strategyOf fills what a request leaves out with the defaults', () => {
  const s = strategyOf({ heal: false });
  assert.equal(s.heal, false);
  assert.equal(s.promptMode, strategyOf({}).promptMode);
});

test('endOfLineLogProb sums the tokens that start with a newline', () => {
  const tokenizer = { vocabSize: 4, tokenBytes: (id: number) => [Buffer.from('\n'), Buffer.from('a'), Buffer.from('\n  '), Buffer.from('b')][id] } as unknown as NativeTokenizer;
  const logits = new Float32Array([0, 0, 0, 0]);
  assert.ok(Math.abs(endOfLineLogProb(tokenizer, logits) - Math.log(0.5)) < 1e-6);
});
