import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NativeSession, NativeTokenizer } from '../../src/engine/addon';
import { completeAtCursor, strategyOf } from '../../src/engine/cursorCompletion';
import { WorkspaceContext } from '../../src/shared/context/workspaceContext';

// A byte tokenizer and a session whose "model" answers `modelText`, recording the options it was given.
function fakes(modelText: string) {
  const tokenizer = {
    vocabSize: 261,
    encode: (text: string) => Int32Array.from(Buffer.from(text, 'utf8')),
    tokenBytes: (id: number) => (id < 256 ? Buffer.from([id]) : null),
  } as unknown as NativeTokenizer;
  const calls: { options: Record<string, unknown> } = { options: {} };
  const session = {
    complete: async (_tok: NativeTokenizer, prefix: string, _suffix: string, options: Record<string, unknown>) => {
      calls.options = options;
      const healed = options.heal ? prefix.slice(prefix.lastIndexOf(' ') + 1) : '';
      return { text: modelText, healed, prompt: Int32Array.from([1, 2]), promptTokens: 2, reusedTokens: 0, generatedTokens: 3,
        stoppedBy: 'stop', promptMs: 0, decodeMs: 0 };
    },
  } as unknown as NativeSession;
  return { tokenizer, session, calls };
}

const generation = { maxTokens: 16, temperature: 0, cancel: { cancel() {}, reset() {}, cancelled: false } };

test('retrieval puts related code into the prompt options; prompt mode and healing pass through', async () => {
  const workspace = new WorkspaceContext();
  workspace.setFile('/w/lib.py', 'def compute_total(items):\n    return sum(items)\n');
  const f = fakes('zz');
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
