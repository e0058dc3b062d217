import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionCache, promptKey } from '../../src/host/completion/cache';

const req = (prefix: string, suffix = '', offset = prefix.length, documentKey = 'file:///a.ts') => ({ documentKey, offset, prefix, suffix });

test('exact hit, independent of document', () => {
  const cache = new CompletionCache(4);
  cache.store(req('const a = '), '1;');
  assert.deepEqual(cache.lookup(req('const a = ', '', 10, 'file:///b.ts')), { completion: '1;', kind: 'exact' });
  assert.equal(cache.lookup(req('const b = ')), undefined);
});

test('prefix/suffix split is part of the key', () => {
  assert.notEqual(promptKey('ab', 'c'), promptKey('a', 'bc'));
});

test('LRU evicts the least recently used entry', () => {
  const cache = new CompletionCache(2);
  cache.store(req('one', '', 0, 'd1'), 'A');
  cache.store(req('two', '', 0, 'd2'), 'B');
  cache.lookup(req('one', '', 0, 'd1')); // touch "one": "two" is now the oldest
  cache.store(req('three', '', 0, 'd3'), 'C');
  assert.equal(cache.size, 2);
  assert.equal(cache.lookup(req('two', '', 0, 'd2')), undefined);
  assert.equal(cache.lookup(req('one', '', 0, 'd1'))?.completion, 'A');
  assert.equal(cache.lookup(req('three', '', 0, 'd3'))?.completion, 'C');
});

test('typing the suggestion serves the rest without the engine', () => {
  const cache = new CompletionCache();
  const prefix = 'function add(a, b) {\n  return ';
  cache.store(req(prefix, '\n}'), 'a + b;');
  assert.deepEqual(cache.lookup(req(prefix + 'a', '\n}')), { completion: ' + b;', kind: 'typing' });
  assert.deepEqual(cache.lookup(req(prefix + 'a + ', '\n}')), { completion: 'b;', kind: 'typing' });
  // Typing something else is a miss.
  assert.equal(cache.lookup(req(prefix + 'x', '\n}')), undefined);
  // Typing all of it leaves nothing to suggest.
  assert.equal(cache.lookup(req(prefix + 'a + b;', '\n}')), undefined);
  // Same text but another document: offsets are not comparable, no typing match.
  assert.equal(cache.lookup(req(prefix + 'a', '\n}', prefix.length + 1, 'file:///other.ts')), undefined);
  // The text after the cursor changed: not the same situation.
  assert.equal(cache.lookup(req(prefix + 'a', '\n}\nmore')), undefined);
});

test('a clipped suffix window may grow while typing (the prompt budget changed); a complete one may not', () => {
  const cache = new CompletionCache();
  const prefix = 'class Circle {\n  ';
  const clipped = { ...req(prefix, '\n  constructor(c'), suffixClipped: true };
  cache.store(clipped, 'radius = 1;');
  const grown = { ...req(prefix + 'r', '\n  constructor(center, radius) {'), suffixClipped: true };
  assert.deepEqual(cache.lookup(grown), { completion: 'adius = 1;', kind: 'typing' });
  const complete = new CompletionCache();
  complete.store(req(prefix, '\n}'), 'radius = 1;');
  assert.equal(complete.lookup(req(prefix + 'r', '\n}\nmore')), undefined, 'text appended after the end of the document');
});

test('typing match survives the prompt window dropping its first line', () => {
  const cache = new CompletionCache();
  const head = 'x'.repeat(20) + '\n';
  const body = 'y'.repeat(300) + '\nconst total = ';
  cache.store(req(head + body, '', 1000), 'sum(values);');
  // Window moved: the first line is gone, the offset still counts from the document start.
  assert.equal(cache.lookup(req(body + 'sum(', '', 1004))?.completion, 'values);');
});

test('clear empties the cache', () => {
  const cache = new CompletionCache();
  cache.store(req('a'), 'b');
  cache.clear();
  assert.equal(cache.lookup(req('a')), undefined);
  assert.throws(() => new CompletionCache(0));
});

test('typing match with a small window that dropped a line (tiny model budget)', () => {
  const cache = new CompletionCache();
  const full = 'line one of the file\n' + 'function area(r) {\n' + '  return ';
  const then = full.slice(full.length - 30); // window of 30 chars (ends at the cursor)
  cache.store(req(then, '\n}', 500), 'Math.PI * r * r;');
  // One more character no longer fits: the window starts a line later and is shorter than before.
  const now = ('function area(r) {\n' + '  return M').slice(-21);
  assert.equal(cache.lookup(req(now, '\n}', 501))?.completion, undefined, 'too little overlap to be sure');
  const longer = 'x'.repeat(40) + '\n' + '  return ';
  cache.store(req(longer, '\n}', 900), 'Math.PI * r * r;');
  const shifted = '  return M'; // the 40-x line dropped, but its tail is gone too: no reuse
  assert.equal(cache.lookup(req(shifted, '\n}', 901)), undefined);
  const shiftedWithTail = longer.slice(5) + 'M';
  assert.equal(cache.lookup(req(shiftedWithTail, '\n}', 901))?.completion, 'ath.PI * r * r;');
});

test('an exact hit re-anchors the entry, so typing from the new place is recognised', () => {
  const cache = new CompletionCache();
  cache.store(req('const total = ', '', 100, 'file:///a.ts'), 'sum(values);');
  assert.equal(cache.lookup(req('const total = ', '', 7, 'file:///b.ts'))?.kind, 'exact');
  assert.deepEqual(cache.lookup(req('const total = s', '', 8, 'file:///b.ts')), { completion: 'um(values);', kind: 'typing' });
});
