import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cursorLine, fitPrompt, promptCharBudget, takeHead, takeTail } from '../../src/shared/completion/promptBuilder';

test('promptCharBudget reserves the completion and special tokens', () => {
  assert.equal(promptCharBudget(512, 48, 3), (512 - 48 - 8) * 3);
  // A silly maxTokens larger than the context still leaves a minimal prompt, never a negative one.
  assert.ok(promptCharBudget(128, 500, 3) > 0);
});

test('fitPrompt keeps everything that fits', () => {
  assert.deepEqual(fitPrompt('abc\n', 'def', 100), { prefix: 'abc\n', suffix: 'def' });
});

test('fitPrompt cuts on line boundaries and gives the suffix its share', () => {
  const before = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\nconst x = ';
  const after = ';\n' + Array.from({ length: 50 }, (_, i) => `after ${i}`).join('\n');
  const { prefix, suffix } = fitPrompt(before, after, 200, 0.25);
  assert.ok(prefix.length + suffix.length <= 200, `total ${prefix.length + suffix.length}`);
  assert.ok(before.endsWith(prefix) && after.startsWith(suffix));
  assert.ok(prefix.startsWith('line '), `prefix starts mid-line: ${JSON.stringify(prefix.slice(0, 10))}`);
  assert.ok(suffix.endsWith('\n'), 'suffix ends with a whole line');
  assert.ok(suffix.length <= 50 && suffix.length >= 30, `suffix ${suffix.length}`);
  assert.ok(prefix.endsWith('const x = '));
});

test('fitPrompt gives unused prefix budget to the suffix (top of file)', () => {
  const after = 'x'.repeat(10) + '\n' + 'y\n'.repeat(200);
  const { prefix, suffix } = fitPrompt('ab', after, 100, 0.25);
  assert.equal(prefix, 'ab');
  assert.ok(suffix.length > 25 && suffix.length <= 98, `suffix ${suffix.length}`);
});

test('fitPrompt gives unused suffix budget to the prefix (end of file)', () => {
  const before = 'z\n'.repeat(200);
  const { prefix, suffix } = fitPrompt(before, '', 100, 0.25);
  assert.equal(suffix, '');
  assert.equal(prefix.length, 100);
});

test('takeTail / takeHead fall back to a hard cut for one very long line', () => {
  assert.equal(takeTail('a'.repeat(50), 10), 'a'.repeat(10));
  assert.equal(takeHead('b'.repeat(50), 10), 'b'.repeat(10));
  assert.equal(takeTail('12345\n6789', 4), '6789');
  assert.equal(takeTail('12345\n6789', 5), '6789');
  assert.equal(takeHead('12\n345\n6789', 7), '12\n345\n');
  assert.equal(takeTail('abc', 0), '');
});

test('cursorLine splits the cursor line', () => {
  assert.deepEqual(cursorLine({ prefix: 'a\n  foo(', suffix: 'x);\nb' }), { linePrefix: '  foo(', lineSuffix: 'x);' });
  assert.deepEqual(cursorLine({ prefix: '', suffix: '' }), { linePrefix: '', lineSuffix: '' });
});

test('fitPromptSticky keeps the prefix start while typing, then jumps to a line start with headroom', async () => {
  const { fitPromptSticky } = await import('../../src/shared/completion/promptBuilder');
  const lines = Array.from({ length: 40 }, (_, i) => `const value${i} = compute(${i});`).join('\n') + '\n';
  let doc = lines;
  const budget = 200;
  let first = fitPromptSticky(doc, 0, '', budget, undefined);
  assert.ok(first.prompt.prefix.length <= budget);
  assert.equal(doc[first.start - 1], '\n', 'starts at a line start');
  assert.ok(first.prompt.prefix.length <= Math.ceil(budget * 0.75) + 1, 'leaves headroom for typing');
  // Typing at the end keeps the start (so the engine can reuse its cache) ...
  let start = first.start;
  let jumps = 0;
  for (const ch of 'function more() { return 1; }') {
    doc += ch;
    const next = fitPromptSticky(doc, 0, '', budget, start);
    assert.ok(next.prompt.prefix.length <= budget);
    assert.equal(next.prompt.prefix, doc.slice(next.start));
    if (next.start !== start) jumps++;
    start = next.start;
  }
  // ... and moves it only when the budget is outgrown: 30 characters of typing, 50 of headroom.
  assert.equal(jumps, 0);
  first = fitPromptSticky(doc + 'x'.repeat(60), 0, '', budget, start);
  assert.notEqual(first.start, start);
});

test('fitPromptSticky: top of file fits whole; a far-away previous start is ignored; a window offset is honoured', async () => {
  const { fitPromptSticky } = await import('../../src/shared/completion/promptBuilder');
  assert.deepEqual(fitPromptSticky('ab\ncd', 0, '\nef', 100, 3), { prompt: { prefix: 'ab\ncd', suffix: '\nef' }, start: 0 });
  const before = 'x\n'.repeat(200); // this window starts at document offset 1000
  const r = fitPromptSticky(before, 1000, '', 100, 5);
  assert.ok(r.start >= 1000 && r.prompt.prefix === before.slice(r.start - 1000));
});

test('CharsPerToken learns the tokenizer, errs low, and backs off after a cut', async () => {
  const { CharsPerToken } = await import('../../src/shared/completion/promptBuilder');
  const est = new CharsPerToken();
  assert.equal(est.value, 3);
  est.observe(150, 100, false); // 1.5 chars per token: adopted at once
  assert.equal(est.value, 1.5);
  est.observe(400, 100, false); // 4: approached slowly
  assert.ok(est.value > 1.5 && est.value < 2.5);
  const before = est.value;
  est.observe(1000, 100, true);
  assert.ok(est.value < before);
  est.observe(10, 5, false); // too short to count
  est.reset();
  assert.equal(est.value, 3);
});
