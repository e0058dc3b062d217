import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cursorLine, fitPrompt, promptCharBudget, takeHead, takeTail } from '../../extension/completion/promptBuilder';

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
