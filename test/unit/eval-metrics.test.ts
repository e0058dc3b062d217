import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levenshtein, percentile, scoreLine, summarize } from '../../src/eval/metrics';
import { CopyBaseline } from '../../src/eval/copyBaseline';
import { NgramBaseline } from '../../src/eval/ngramBaseline';
import { splitFiles } from '../../src/eval/evalTasks';
import { sampleCursorTasks, type CursorTask } from '../../src/eval/cursorTasks';
import { scoreSuggestion } from '../../src/eval/cursorMetrics';
import { runCursorEval } from '../../src/eval/runCursorEval';
import { withoutLineSuffixEcho } from '../../src/eval/cursorBaselines';
import { CURSOR_KINDS, cursorKind } from '../../src/shared/completion/cursorKind';

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

test('cursor tasks of each kind rebuild the file and have the shape of their kind', () => {
  const text = 'def f(x):\n    if x:\n        y = x + 1\n        return y * 2\n    return 0\n\nprint(f(3))\n';
  const tasks = sampleCursorTasks([{ relativePath: 'a.py', text }], 4, 7);
  for (const kind of CURSOR_KINDS) assert.ok(tasks.some((t) => t.kind === kind), `a ${kind} task`);
  for (const t of tasks) {
    assert.equal(cursorKind({ prefix: t.before, suffix: t.after }), t.kind, `${t.kind}: ${JSON.stringify(t)}`);
    assert.ok(t.target.trim().length >= 3);
    if (t.kind === 'mid-line') assert.equal(t.before + t.target + t.after, text);
    else {
      // The target's lines were cut out whole: the file is the text before, the target, then the rest.
      assert.equal(t.before + t.target + t.after, text.slice(0, t.before.length + t.target.length) + t.after);
      assert.ok(text.startsWith(t.before + t.target));
      assert.ok(text.endsWith(t.after));
    }
  }
  const opening = tasks.find((t) => t.kind === 'new-line' && t.target.startsWith('if x:'));
  if (opening) assert.equal(opening.target, 'if x:\n        y = x + 1\n        return y * 2', 'a new line takes its block');
  assert.deepEqual(sampleCursorTasks([{ relativePath: 'a.py', text }], 4, 7), tasks); // seeded
});

test('scoreSuggestion: first line, lines right in a row, characters saved, shown', () => {
  const s = scoreSuggestion('if x:\n    y = 1\n    z = 3', 'if x:\n    y = 1\n    z = 2\n    w = 0');
  assert.deepEqual([s.shown, s.firstLineExact, s.linesRight, s.charsSaved], [true, true, 2, 'if x:'.length + 1 + '    y = 1'.length]);
  const none = scoreSuggestion('', 'abc');
  assert.deepEqual([none.shown, none.firstLineExact, none.linesRight, none.editSimilarity], [false, false, 0, 0]);
});

test('runCursorEval reports each kind and system, and exact among shown per threshold', async () => {
  const tasks: CursorTask[] = [
    { kind: 'end-of-line', file: 'a.py', line: 0, before: 'x = ', after: '\n', target: 'alpha' },
    { kind: 'end-of-line', file: 'a.py', line: 1, before: 'y = ', after: '\n', target: 'beta' },
    { kind: 'new-line', file: 'a.py', line: 2, before: '', after: '\n', target: 'gamma' },
  ];
  const report = await runCursorEval(tasks, [
    { name: 'model', answer: async (t) => (t.line === 0 ? { text: 'alpha', confidence: 0.9, candidate: 'alpha' } : { text: '', confidence: 0.1, candidate: 'wrong' }) },
    { name: 'copy', answer: async (t) => ({ text: t.line === 1 ? 'beta' : 'x' }) },
  ]);
  const eol = report.results['end-of-line'];
  assert.equal(eol.model.firstLineExact, 0.5);
  assert.equal(eol.model.shownShare, 0.5);
  assert.equal(eol.model.exactAmongShown, 1);
  assert.equal(eol.copy.exactAmongShown, 0.5);
  assert.equal(report.tasks['new-line'], 1);
  const table = report.thresholds['end-of-line'].model;
  assert.deepEqual(table.find((r) => r.threshold === 0)?.exactAmongShown, 0.5);
  assert.deepEqual(table.find((r) => r.threshold === 0.5)?.shownShare, 0.5);
  assert.equal(report.thresholds['end-of-line'].copy, undefined, 'no confidence, no table');
});

test('a baseline at a mid-line cursor does not re-type the text right of the cursor', () => {
  const task: CursorTask = { kind: 'mid-line', file: 'a', line: 0, before: 'f(', after: 'b)\n', target: 'a, ' };
  assert.equal(withoutLineSuffixEcho('a, b)', task), 'a, ');
  assert.equal(withoutLineSuffixEcho('a, c)', task), 'a, c)');
});
