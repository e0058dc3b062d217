/** Training data: reading (unreadable files skipped), the train/validation split, schedule rules. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readDocuments, splitDocuments, type Document } from '../../src/engine/training/documents';
import { evalIntervalFor, stepsForTime, warmupFor } from '../../src/engine/training/trainSettings';
import { utf16OffsetsOfBytes } from '../../src/engine/attentionMaps';

const doc = (p: string, text = `text of ${p}\n`): Document => ({ path: p, text: Buffer.from(text) });

test('one file: the last ~10% validates, cut at a line break', () => {
  const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
  const s = splitDocuments([doc('/a.ts', text)]);
  assert.equal(Buffer.concat([...s.train, ...s.validation]).toString(), text, 'nothing lost');
  const v = s.validation[0].toString();
  assert.ok(v.length > text.length * 0.05 && v.length < text.length * 0.15, `validation ${v.length} of ${text.length}`);
  assert.match(v, /^line \d+/);
});

test('two files: one on each side', () => {
  const s = splitDocuments([doc('/a.ts'), doc('/b.ts')]);
  assert.equal(s.train.length, 1);
  assert.equal(s.validation.length, 1);
});

test('many files: about 10% validate, stable across runs and independent of order', () => {
  const docs = Array.from({ length: 400 }, (_, i) => doc(`/repo/src/file${i}.ts`));
  const s = splitDocuments(docs);
  assert.ok(s.validation.length >= 20 && s.validation.length <= 60, `validation ${s.validation.length}`);
  assert.equal(s.train.length + s.validation.length, 400);
  const again = splitDocuments([...docs].reverse());
  assert.deepEqual(new Set(again.validation.map(String)), new Set(s.validation.map(String)));
});

test('readDocuments skips unreadable and empty files and reports them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-read-'));
  writeFileSync(path.join(dir, 'a.ts'), 'const a = 1;\n');
  writeFileSync(path.join(dir, 'empty.ts'), '');
  const r = await readDocuments([path.join(dir, 'a.ts'), path.join(dir, 'missing.ts'), path.join(dir, 'empty.ts')]);
  assert.deepEqual(r.documents.map((d) => path.basename(d.path)), ['a.ts']);
  assert.equal(r.unreadable.length, 1);
  assert.match(r.unreadable[0].reason, /ENOENT/);
});

test('schedule rules', () => {
  assert.equal(warmupFor(10), 1);
  assert.equal(warmupFor(1000), 50);
  assert.equal(warmupFor(100_000), 100);
  assert.equal(stepsForTime(60_000, 500), 120);
  assert.equal(stepsForTime(10, 500), 1);
  assert.equal(evalIntervalFor(100), 10);
  assert.equal(evalIntervalFor(2000), 100);
  assert.equal(evalIntervalFor(1_000_000), 200);
});

test('attention view: UTF-8 byte offsets map to UTF-16 offsets', () => {
  const text = 'aé😀b';  // 1 + 2 + 4 + 1 bytes; 1 + 1 + 2 + 1 UTF-16 units
  const map = utf16OffsetsOfBytes(text);
  assert.equal(map.length, 9);
  assert.deepEqual(Array.from(map), [0, 1, 1, 2, 2, 2, 2, 4, 5]);
});
