/**
 * A repository is untrusted input: a .gitignore that is a link to /dev/zero or to a FIFO, an exclude
 * glob with exponential braces, a corpus far over its cap, a training file swapped for something
 * huge. None of them may hang or exhaust the process that reads them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readRegularFile } from '../../src/shared/boundedRead';
import { collectCorpus } from '../../src/shared/corpus';
import { expandBraces, MAX_BRACE_EXPANSIONS } from '../../src/shared/corpus/ignoreRules';
import { readDocuments } from '../../src/engine/training/documents';

const posix = process.platform !== 'win32';

function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'seedling-hostile-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

/** Fails (rather than hangs) when the promise takes longer than ms. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const code = (name: string) => `export function ${name}(a: number) {\n  return a + 1;\n}\n`;

test('a .gitignore linked to /dev/zero is refused, not read forever', { skip: !posix }, async () => {
  const root = tree({ 'a.ts': code('a') });
  symlinkSync('/dev/zero', path.join(root, '.gitignore'));
  const corpus = await within(3000, 'the walk', collectCorpus([root], []));
  assert.deepEqual(corpus.entries.map((e) => e.relativePath), ['a.ts']);
  assert.equal(corpus.summary.skipped['unsafe .gitignore'], 1);
});

test('a .gitignore that is a FIFO (or a link to one) does not block', { skip: !posix }, async () => {
  const root = tree({ 'a.ts': code('a'), 'sub/b.ts': code('b') });
  execFileSync('mkfifo', [path.join(root, 'sub', '.gitignore')]);
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
  symlinkSync(path.join(root, 'pipe'), path.join(root, '.gitignore'));
  const corpus = await within(3000, 'the walk', collectCorpus([root], []));
  assert.deepEqual(corpus.entries.map((e) => e.relativePath).sort(), ['a.ts', 'sub/b.ts']);
  assert.equal(corpus.summary.skipped['unsafe .gitignore'], 2);
});

test('readRegularFile: links, FIFOs, devices and oversized files are refused with a reason', { skip: !posix }, async () => {
  const root = tree({ 'small.txt': 'hello\n', 'big.txt': 'x'.repeat(2000) });
  symlinkSync(path.join(root, 'small.txt'), path.join(root, 'link.txt'));
  execFileSync('mkfifo', [path.join(root, 'fifo')]);
  const read = (name: string, max = 1000) => within(3000, name, readRegularFile(path.join(root, name), max));
  assert.equal((await read('small.txt') as { data: Buffer }).data.toString(), 'hello\n');
  assert.equal((await read('link.txt') as { refused: string }).refused, 'symbolic link');
  assert.equal((await read('fifo') as { refused: string }).refused, 'not a regular file');
  assert.equal((await read('big.txt') as { refused: string }).refused, 'too large');
  assert.equal((await read('missing') as { refused: string }).refused, 'missing');
  const dev = await within(3000, '/dev/zero', readRegularFile('/dev/zero', 1000));
  assert.equal((dev as { refused: string }).refused, 'not a regular file');
  const aborted = AbortSignal.abort();
  await assert.rejects(readRegularFile(path.join(root, 'small.txt'), 1000, aborted), { name: 'AbortError' });
});

test('exponential braces fail fast with a clear message', async () => {
  const glob = '{a,b}'.repeat(30);
  const started = Date.now();
  assert.throws(() => expandBraces(glob), /expands to more than 1000 patterns/);
  await assert.rejects(collectCorpus([tree({ 'a.ts': code('a') })], [glob]), /simplify its \{braces\}/);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  // Up to the limit still works: 2^9 = 512 patterns.
  assert.equal(expandBraces('{a,b}'.repeat(9)).length, 512);
  assert.equal(MAX_BRACE_EXPANSIONS, 1000);
});

test('the walk stops at the file cap: later files and directories are not opened', async () => {
  const files: Record<string, string | Buffer> = {};
  for (let i = 0; i < 12; i++) files[`f${String(i).padStart(2, '0')}.py`] = `def f${i}():\n    return ${i}\n`;
  // Binary by content only: counted as 'binary' if (and only if) the walk still opens it.
  files['later/data.txt'] = Buffer.from([0, 1, 2, 0]);
  const root = tree(files);
  const corpus = await collectCorpus([root], [], undefined, { maxFiles: 2 });
  assert.equal(corpus.summary.files, 2);
  assert.equal(corpus.summary.skipped.binary, undefined, 'a file past the cap was read');
  assert.equal(corpus.summary.skipped['total size cap'], 10);
});

test('the engine re-checks what it reads: too large, a link, a FIFO are left out', { skip: !posix }, async () => {
  const dir = tree({ 'a.ts': code('a'), 'grown.ts': '' });
  truncateSync(path.join(dir, 'grown.ts'), 9 * 1024 * 1024);  // sparse: grew after the walk checked it
  symlinkSync('/dev/zero', path.join(dir, 'zero.ts'));
  execFileSync('mkfifo', [path.join(dir, 'fifo.ts')]);
  const names = ['a.ts', 'grown.ts', 'zero.ts', 'fifo.ts'];
  const r = await within(3000, 'readDocuments', readDocuments(names.map((n) => path.join(dir, n))));
  assert.deepEqual(r.documents.map((d) => path.basename(d.path)), ['a.ts']);
  const reasons = Object.fromEntries(r.unreadable.map((u) => [path.basename(u.path), u.reason]));
  assert.match(reasons['grown.ts'], /^too large/);
  assert.match(reasons['zero.ts'], /^symbolic link/);
  assert.match(reasons['fifo.ts'], /^not a regular file/);
});
