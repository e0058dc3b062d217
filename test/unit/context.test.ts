import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chunkFile, identifiers } from '../../src/shared/context/chunks';
import { bestCopy, filesSource, matchInText, rankedCopies, textSource } from '../../src/shared/context/copyIndex';
import { GramFilter, gramProbes } from '../../src/shared/context/gramFilter';
import { packWithContext, splitPieces } from '../../src/shared/context/contextPacking';
import { RepoIndex, queryText } from '../../src/shared/context/repoIndex';
import { WorkspaceContext } from '../../src/shared/context/workspaceContext';

const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join('\n');

test('identifiers keep names of 3+ characters, in order', () => {
  assert.deepEqual(identifiers('x = parse_header(msg, 10) + $el.fooBar'), ['parse_header', 'msg', '$el', 'fooBar']);
});

test('chunkFile cuts every N lines, drops blank chunks, counts terms', () => {
  const text = lines(45, (i) => (i >= 20 && i < 40 ? '' : `line${i} value value`));
  const chunks = chunkFile('a.py', text, 20);
  assert.deepEqual(chunks.map((c) => c.startLine), [0, 40]);
  assert.equal(chunks[0].terms.get('value'), 40);
  assert.equal(chunks[0].length, 60);
  assert.ok(chunks.every((c) => c.text.endsWith('\n')));
});

test('RepoIndex ranks the chunk sharing rare names first and skips the excluded file', () => {
  const index = new RepoIndex();
  index.setFile('common.py', lines(20, () => 'self return value'));
  index.setFile('parser.py', lines(20, (i) => (i === 3 ? 'def decode_rfc2231(self, value): return value' : 'self return')));
  index.setFile('other.py', lines(20, () => 'self return'));
  const hits = index.search('x = decode_rfc2231(self.value)', 5);
  assert.equal(hits[0].chunk.path, 'parser.py');
  assert.ok(hits[0].score > (hits[1]?.score ?? 0));
  assert.equal(index.search('decode_rfc2231', 5, 'parser.py').length, 0);
});

test('RepoIndex follows file changes: replaced and removed files stop matching', () => {
  const index = new RepoIndex();
  index.setFile('a.ts', 'function alphaBeta() {}\n');
  assert.equal(index.search('alphaBeta', 3).length, 1);
  index.setFile('a.ts', 'function gammaDelta() {}\n');
  assert.equal(index.search('alphaBeta', 3).length, 0);
  assert.equal(index.search('gammaDelta', 3).length, 1);
  index.removeFile('a.ts');
  assert.equal(index.size, 0);
  assert.equal(index.search('gammaDelta', 3).length, 0);
});

test('contextFor fits the budget, puts the best chunk last, and skips code already in the prefix', () => {
  const index = new RepoIndex();
  const best = lines(20, (i) => `uniqueName${i % 2} = helperCall(uniqueName)`);
  const weaker = lines(20, (i) => `helperCall(other${i})`);
  index.setFile('best.ts', best);
  index.setFile('weak.ts', weaker);
  const context = index.contextFor('const y = uniqueName + helperCall(', '', 10_000);
  assert.ok(context.endsWith(`${best}\n`), 'best chunk last');
  assert.ok(context.startsWith(weaker));
  assert.equal(index.contextFor('const y = uniqueName + helperCall(', '', best.length + 1), `${best}\n`);
  assert.equal(index.contextFor('uniqueName', '', 10), '');
  assert.equal(index.contextFor(`${best}\nuniqueName helperCall`, '', 10_000), `${weaker}\n`);
});

test('queryText takes the lines around the cursor', () => {
  const prefix = lines(30, (i) => `p${i}`);
  const q = queryText(prefix, '\ns1\ns2\ns3\ns4\ns5\ns6');
  assert.ok(q.includes('p29') && q.includes('p18') && !q.includes('p17'));
  assert.ok(q.includes('s4') && !q.includes('s5'));
});

test('matchInText: the longest context in a text, and what followed it on that line', () => {
  const corpus = 'a = foo(1)\nresult = compute(alpha, beta)\n';
  assert.deepEqual(matchInText(corpus, 'x\nresult = comp'), { continuation: 'ute(alpha, beta)', matchLength: 14 });
  assert.deepEqual(matchInText(corpus, 'zzz'), { continuation: '', matchLength: 0 });
});

test('bestCopy looks earlier in the document (nearest first), never at the cursor itself', () => {
  const corpus = 'a = foo(1)\nresult = compute(alpha, beta)\n';
  const doc = 'total = add(c, d)\nx\ntotal = add(a, b)\nx\ntotal = ad';
  // the document's own earlier lines match longer than the corpus does; the nearer one wins
  assert.deepEqual(bestCopy(doc, '', corpus), { continuation: 'd(a, b)', matchLength: 14, agreesBelow: false });
  assert.deepEqual(bestCopy('abc', '', ''), { continuation: '', matchLength: 0 });
  // three characters of context are chance
  assert.deepEqual(bestCopy('xyz', '', 'xyz(1)\n'), { continuation: '', matchLength: 0 });
  assert.deepEqual(bestCopy('wxyz', '', 'wxyz(1)\n'), { continuation: '(1)', matchLength: 4, agreesBelow: false });
});

test('bestCopy looks below the cursor\'s line, and prefers a copy whose next line agrees', () => {
  // only below the cursor does "total = ad" occur
  assert.equal(bestCopy('x = 1\ntotal = ad', '\nprint(x)\ntotal = add(e, f)\n', 'unrelated\n').continuation, 'd(e, f)');
  // two corpus occurrences of the same context: the one followed by the line below the cursor wins,
  // though the other is more frequent
  const corpus = 'call(x)\n  run(a)\nend\ncall(x)\n  run(a)\nend\ncall(y)\n  run(b)\nnext\n';
  assert.equal(bestCopy('  run(', '\nend\n', corpus).continuation, 'a)');
  assert.equal(bestCopy('  run(', '\nnext\n', corpus).continuation, 'b)');
  assert.equal(bestCopy('  run(', '\nnext\n', corpus).agreesBelow, true);
  // agreement outweighs a somewhat longer match elsewhere
  assert.equal(bestCopy('zz  run(', '\nnext\n', 'zz  run(c)\nother\n' + corpus).continuation, 'b)');
});

test('rankedCopies: distinct continuations, longest context first, then more frequent, then half contexts', () => {
  const corpus = ['self.assertEqual(a, 1)', 'self.assertEqual(b, 2)', 'self.assertEqual(b, 2)', 'x.assertEqual(c)', ''].join('\n');
  const got = rankedCopies('    self.assertE', '', textSource(corpus), 5);
  assert.deepEqual(got.map((c) => c.continuation), ['qual(b, 2)', 'qual(a, 1)', 'qual(c)']);
  assert.deepEqual(got.map((c) => c.matchLength), [12, 12, 6]);
  assert.deepEqual(rankedCopies('    self.assertE', '', textSource(corpus), 1).map((c) => c.continuation), ['qual(b, 2)']);
  assert.deepEqual(rankedCopies('zzz', '', textSource(corpus), 3), []);
});

test('WorkspaceContext.candidates ranks the document\'s and the other files\' matches together', () => {
  const ws = new WorkspaceContext();
  ws.setFile('/w/a.py', 'total = compute(1)\ntotal = compute(2)\n');
  const got = ws.candidates('total = compute(3)\nprint(total)\ntotal = comp', '', 3, '/w/b.py');
  // the longest context ")\ntotal = comp" occurs once in a.py (before "ute(2)"); the document's own
  // "total = comp" is shorter; half the longest context finds "ute(1)" too
  assert.deepEqual(got.map((c) => c.continuation), ['ute(2)', 'ute(3)', 'ute(1)']);
});

test('WorkspaceContext copies from other files, not the edited one, and sees updates', () => {
  const ws = new WorkspaceContext();
  ws.setFile('/w/a.py', 'value = compute_total(items)\n');
  ws.setFile('/w/b.py', 'zzz\n');
  assert.equal(ws.copy('x = compute_to', '', '/w/b.py').continuation, 'tal(items)');
  // the edited file's indexed text is stale: never copied from
  assert.notEqual(ws.copy('x = compute_to', '', '/w/a.py').continuation, 'tal(items)');
  ws.removeFile('/w/a.py');
  assert.notEqual(ws.copy('x = compute_to', '', '/w/b.py').continuation, 'tal(items)');
  ws.setFile('/w/c.py', 'y = compute_tax(rate)\n');
  assert.equal(ws.copy('x = compute_ta', '', '/w/b.py').continuation, 'x(rate)');
});

test('splitPieces cuts at line ends and loses nothing', () => {
  const text = lines(100, (i) => `line number ${i}`);
  const pieces = splitPieces(text, 200);
  assert.equal(pieces.join(''), text);
  assert.ok(pieces.slice(0, -1).every((p) => p.endsWith('\n') && p.length >= 200));
});

test('packWithContext puts related code from other files before pieces of chosen files', () => {
  const files = [
    { path: 'lib.py', text: lines(20, (i) => `def special_helper_${i % 3}(): pass`) },
    { path: 'use.py', text: lines(20, (i) => `special_helper_${i % 3}()`) },
  ];
  const packed = packWithContext(files, (p) => p === 'use.py', 2000, 10_000);
  assert.equal(packed.documents[0], files[0].text, 'unchosen file whole');
  assert.equal(packed.packedPieces, 1);
  assert.ok(packed.documents[1].includes('def special_helper_1'), 'related code from lib.py');
  assert.equal(packed.documents[2], files[1].text);
  const none = packWithContext(files, () => false, 2000);
  assert.deepEqual(none.documents, files.map((f) => f.text));
});

test('GramFilter never rules out a needle that occurs, and rules out most that do not', () => {
  const text = readFileSync(path.join(__dirname, '..', '..', 'src', 'shared', 'context', 'copyIndex.ts'), 'utf8');
  const filter = new GramFilter(text);
  for (let at = 0; at + 40 <= text.length; at += 7) {
    for (const n of [1, 5, 8, 9, 23, 40]) assert.ok(filter.mayContain(gramProbes(text.slice(at, at + n))), `occurs at ${at}, length ${n}`);
  }
  let ruledOut = 0;
  const absent = Array.from({ length: 200 }, (_, i) => `zq${i}xw_${(i * 7919).toString(36)}_vk`);
  for (const n of absent) if (!filter.mayContain(gramProbes(n))) ruledOut++;
  assert.ok(ruledOut >= 190, `ruled out ${ruledOut} of 200 absent needles`);
});

test('the copy search over many filtered files finds exactly what it finds in their joined text', () => {
  const dir = path.join(__dirname, '..', '..', 'src');
  const texts = ['shared/context', 'engine', 'shared/completion', 'eval'].flatMap((sub) => readdirSync(path.join(dir, sub))
    .filter((f) => f.endsWith('.ts')).sort().map((f) => readFileSync(path.join(dir, sub, f), 'utf8')))
    .map((t) => (t.endsWith('\n') ? t : `${t}\n`));
  const document = texts.pop()!;
  // NUL never occurs in a prefix, so no context can span two files of the joined text either.
  const joined = textSource(texts.join('\0'));
  const filtered = filesSource(texts.map((text) => ({ text, filter: new GramFilter(text) })));
  let compared = 0;
  for (let cursor = 40; cursor < document.length; cursor += 97) {
    const before = document.slice(0, cursor);
    const after = document.slice(cursor);
    assert.deepEqual(rankedCopies(before, after, filtered, 4), rankedCopies(before, after, joined, 4), `cursor ${cursor}`);
    compared++;
  }
  assert.ok(compared > 20);
});
