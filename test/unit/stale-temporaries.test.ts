/**
 * staleTemporaries.ts on real files: the leftovers of killed atomic writes of one target are removed,
 * and nothing else is: not another file's temporaries, not a name that merely looks close, not a link.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { temporaryNameFor } from '../../src/shared/privateFiles';
import { cleanStaleTemporaries, isTemporaryOf } from '../../src/shared/staleTemporaries';

test('names: the engine\'s mkstemp shape and privateFiles.ts\'s shape, for that target only', () => {
  assert.ok(isTemporaryOf('model.seedling.tmp-Ab3xY9', 'model.seedling'));
  assert.ok(isTemporaryOf(path.basename(temporaryNameFor('/x/model.seedling.mixture.json')), 'model.seedling.mixture.json'));
  assert.ok(!isTemporaryOf('model.seedling.tmp-Ab3xY', 'model.seedling'), 'five characters: not mkstemp\'s');
  assert.ok(!isTemporaryOf('other.seedling.tmp-Ab3xY9', 'model.seedling'));
  assert.ok(!isTemporaryOf('modelXseedling.tmp-Ab3xY9', 'model.seedling'), 'the dot is literal');
  assert.ok(!isTemporaryOf('model.seedling', 'model.seedling'));
});

test('removes the leftovers beside a checkpoint and keeps everything else', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-stale-'));
  const checkpoint = path.join(dir, 'model.seedling');
  const keep = ['model.seedling', 'other.seedling.tmp-AAAAAA', 'notes.tmp', 'model.seedling.tmp-short'];
  const stale = ['model.seedling.tmp-Qw3rT1', 'model.seedling.tmp-zzzzzz', path.basename(temporaryNameFor(`${checkpoint}.mixture.json`))];
  for (const f of [...keep, ...stale]) writeFileSync(path.join(dir, f), 'x');
  // A link with our name is not followed or removed (its target is someone else's file).
  writeFileSync(path.join(dir, 'target.txt'), 'precious');
  symlinkSync(path.join(dir, 'target.txt'), path.join(dir, 'model.seedling.tmp-L1nk00'));
  const out = await cleanStaleTemporaries([checkpoint, `${checkpoint}.mixture.json`]);
  assert.deepEqual(out.removed.map((p) => path.basename(p)).sort(), [...stale].sort());
  assert.deepEqual(out.failed, []);
  assert.deepEqual(readdirSync(dir).sort(), [...keep, 'model.seedling.tmp-L1nk00', 'target.txt'].sort());
  assert.ok(existsSync(path.join(dir, 'target.txt')));
  // No folder yet: nothing to do, no error.
  assert.deepEqual(await cleanStaleTemporaries([path.join(dir, 'absent', 'model.seedling')]), { removed: [], failed: [] });
});
