import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levenshtein, percentile, scoreLine, summarize } from '../../src/eval/metrics';
import { CopyBaseline } from '../../src/eval/copyBaseline';
import { NgramBaseline } from '../../src/eval/ngramBaseline';
import { sampleTasks, splitFiles } from '../../src/eval/evalTasks';
import { runEval } from '../../src/eval/runEval';

test('levenshtein counts insertions, deletions and substitutions', () => {
  assert.equal(levenshtein('', 'abc'), 3);
  assert.equal(levenshtein('kitten', 'sitting'), 3);
  assert.equal(levenshtein('flaw', 'lawn'), 2);
  assert.equal(levenshtein('same', 'same'), 0);
});

test('scoreLine ignores trailing whitespace and measures the right prefix', () => {
  const s = scoreLine('return x;  ', 'return x;');
  assert.equal(s.exact, true);
  assert.equal(s.editSimilarity, 1);
  const partial = scoreLine('return y;', 'return x;');
  assert.equal(partial.exact, false);
  assert.equal(partial.prefixShare, 7 / 9);
  assert.ok(Math.abs(partial.editSimilarity - (1 - 1 / 9)) < 1e-12);
  assert.equal(scoreLine('', 'abc').prefixShare, 0);
});

test('percentile by nearest rank and summary means', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
  assert.ok(Number.isNaN(percentile([], 50)));
  const summary = summarize([scoreLine('a', 'a'), scoreLine('b', 'c')], [10, 20]);
  assert.equal(summary.exactMatch, 0.5);
  assert.equal(summary.n, 2);
});

test('copy baseline continues the longest matching context to the end of its line', () => {
  const copy = new CopyBaseline('def area(r):\n    return 3.14 * r * r\ndef other():\n    return 0\n');
  assert.equal(copy.complete('x = 1\ndef area(r):\n    return 3'), '.14 * r * r');
  assert.equal(copy.complete('    ret'), 'urn 3.14 * r * r'); // first occurrence of the longest match
  assert.equal(copy.complete('zzz'), '');
});

test('12-gram baseline follows the most frequent continuation and backs off', () => {
  const ngram = new NgramBaseline('for i in range(10):\n    print(i)\nfor j in range(10):\n    print(j)\n');
  assert.equal(ngram.complete('for k in range(1'), '0):');
  // an unseen long context backs off to a shorter one that was seen
  assert.equal(ngram.nextChar('qqqqqqqqqqqq prin'), 't');
});

test('held-out split is stable and never leaves a side empty when it can help it', () => {
  const files = Array.from({ length: 50 }, (_, i) => ({ relativePath: `src/f${i}.py`, text: 'x = 1\n' }));
  const a = splitFiles(files);
  const b = splitFiles([...files].reverse());
  assert.deepEqual(a.heldOut.map((f) => f.relativePath).sort(), b.heldOut.map((f) => f.relativePath).sort());
  assert.ok(a.heldOut.length > 0 && a.train.length > 0);
  const two = splitFiles(files.slice(0, 2));
  assert.equal(two.train.length + two.heldOut.length, 2);
  assert.ok(two.train.length >= 1 && two.heldOut.length >= 1);
});

test('sampled tasks rebuild the file exactly and start after the indentation', () => {
  const text = 'def f(x):\n    y = x + 1\n    return y * 2\n\nprint(f(3))\n';
  const tasks = sampleTasks([{ relativePath: 'a.py', text }], 20, 7);
  assert.ok(tasks.length >= 3);
  for (const t of tasks) {
    assert.equal(t.prefix + t.target + t.suffix, text);
    assert.ok(t.target.trim().length >= 3);
    const lineStart = t.prefix.lastIndexOf('\n') + 1;
    const indent = text.slice(lineStart).length - text.slice(lineStart).trimStart().length;
    assert.ok(t.prefix.length - lineStart >= indent);
  }
  assert.deepEqual(sampleTasks([{ relativePath: 'a.py', text }], 20, 7), tasks); // seeded
});

test('runEval scores every system on the same tasks and reports each suggestion per task', async () => {
  const tasks = [
    { file: 'a.py', line: 0, prefix: 'x = ', suffix: '\n', target: 'alpha' },
    { file: 'a.py', line: 1, prefix: 'y = ', suffix: '\n', target: 'beta  ' },
  ];
  const details: { line: number; suggestions: Record<string, string> }[] = [];
  const report = await runEval(tasks, [
    { name: 'model', complete: async (t) => (t.line === 0 ? 'alpha\nmore' : 'gamma') },
    { name: 'copy', complete: async (t) => (t.line === 1 ? 'beta' : 'x') },
  ], { trainFiles: 3, heldOutFiles: 1 }, (_done, _total, detail) => details.push(detail));
  assert.equal(report.results.model.exactMatch, 0.5);
  assert.equal(report.results.copy.exactMatch, 0.5);
  assert.equal(report.oracleModelOrCopy, 1, 'each task is right for one of the two');
  // suggestions are cut at the first newline, as they are scored
  assert.deepEqual(details.map((d) => d.suggestions), [{ model: 'alpha', copy: 'x' }, { model: 'gamma', copy: 'beta' }]);
});
