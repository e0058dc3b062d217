/**
 * suggestion-outcomes.test.ts: what became of a suggestion, read from the edits that follow it
 * (src/host/completion/suggestionOutcomes.ts), as VS Code reports them when a person accepts it
 * whole (Tab), by word or by line, types it out, or does something else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SuggestionOutcomes, describeAcceptance } from '../../src/host/completion/suggestionOutcomes';

const DOC = 'file:///w/a.ts';
const insert = (offset: number, text: string) => [{ offset, removedLength: 0, text }];

test('accepting the whole suggestion at once counts "whole"', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 10, 'return x;', 'copy', 'typescript');
  o.documentChanged(DOC, insert(10, 'return x;'));
  o.cursorMoved(DOC, 19);
  assert.deepEqual(o.summary().bySource.copy, { shown: 1, whole: 1, line: 0, word: 0, typed: 0, dismissed: 0 });
});

test('Tab after typing part of it: VS Code replaces the typed part with the whole suggestion, and that counts "whole"', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 10, 'width * height;', 'copy', 'javascript');
  o.documentChanged(DOC, insert(10, 'w'));
  o.documentChanged(DOC, insert(11, 'i'));
  o.documentChanged(DOC, [{ offset: 10, removedLength: 2, text: 'width * height;' }]);
  assert.equal(o.summary().total.whole, 1);
  assert.equal(o.summary().total.dismissed, 0);
});

test('the cursor may be reported at the accepted end before the edit itself', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 10, 'return x;', 'model', 'typescript');
  o.cursorMoved(DOC, 19);
  o.documentChanged(DOC, insert(10, 'return x;'));
  assert.equal(o.summary().total.whole, 1);
  o.shown(DOC, 30, 'y()', 'model', 'typescript');
  o.cursorMoved(DOC, 29);
  assert.equal(o.summary().total.dismissed, 1, 'moving back ends it');
});

test('a word accepted, then the person goes elsewhere, counts "word" once', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 0, 'const total = sum(xs);', 'model', 'typescript');
  o.documentChanged(DOC, insert(0, 'const '));
  o.cursorMoved(DOC, 6); // the cursor follows the accepted text: still alive
  o.shown(DOC, 6, 'total = sum(xs);', 'model', 'typescript'); // VS Code asks again; the same rest is not a new suggestion
  o.cursorMoved(DOC, 40);
  const s = o.summary();
  assert.equal(s.total.shown, 1);
  assert.equal(s.total.word, 1);
  assert.equal(s.total.dismissed, 0);
});

test('a line accepted out of a block counts "line"', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 5, 'if (a) {\n  b();\n}', 'copy', 'javascript');
  o.documentChanged(DOC, insert(5, 'if (a) {\n'));
  o.documentChanged(DOC, [{ offset: 20, removedLength: 0, text: 'x' }]); // then something else
  assert.equal(o.summary().byLanguage.javascript.line, 1);
});

test('typing the suggestion out counts "typed", typing something else "dismissed"', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 0, 'ab', 'model', 'python');
  o.documentChanged(DOC, insert(0, 'a'));
  o.documentChanged(DOC, insert(1, 'b'));
  o.shown(DOC, 10, 'foo()', 'model', 'python');
  o.documentChanged(DOC, insert(10, 'g'));
  const s = o.summary().total;
  assert.equal(s.typed, 1);
  assert.equal(s.dismissed, 1);
  assert.equal(describeAcceptance(s), '0 of 2 suggestions accepted (0%)');
});

test('a new suggestion elsewhere ends the old one; counts survive a save and a reload, and clear() forgets them', () => {
  const o = new SuggestionOutcomes();
  o.shown(DOC, 0, 'x = 1', 'copy', 'python');
  o.shown(DOC, 50, 'y = 2', 'copy', 'python');
  o.documentChanged(DOC, insert(50, 'y = 2'));
  assert.equal(o.takeChanged(), true);
  const saved = JSON.parse(JSON.stringify(o));
  assert.equal(JSON.stringify(saved).includes('y = 2'), false, 'no suggestion text is saved');
  const back = new SuggestionOutcomes();
  back.load(saved);
  assert.deepEqual(back.summary().total, { shown: 2, whole: 1, line: 0, word: 0, typed: 0, dismissed: 1 });
  back.load({ version: 1, counts: [{ source: 'copy', language: 'python', counts: { shown: -4, whole: 'x' } }, { source: 'evil' }] });
  assert.deepEqual(back.summary().total, { shown: 0, whole: 0, line: 0, word: 0, typed: 0, dismissed: 0 }, 'bad counts read as zero');
  back.clear();
  assert.equal(describeAcceptance(back.summary().total), undefined);
});
