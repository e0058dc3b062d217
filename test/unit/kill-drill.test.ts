/**
 * Issue 13, item 7: the kill -9 drill in its short form (30 kills; `npm run drill` does 200). Real
 * engine processes train the tiny preset with a checkpoint at every step and are SIGKILLed at random
 * moments and inside checkpoint writes; after every kill the last good checkpoint must load and
 * complete, training must resume no earlier than the last step announced as saved, and the
 * temporaries of killed writes must be gone after the next start. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const built = existsSync(path.join(root, 'dist', 'engineProcess.js')) && existsSync(path.join(root, 'dist', 'seedling.node'));
const skip = built ? false : 'skipped: dist/engineProcess.js or dist/seedling.node missing (run npm run build)';

test('kill -9 drill, short form: 30 kills, every checkpoint intact, no temporaries left', { skip, timeout: 240_000 }, () => {
  const seed = String(Date.now() % 1e9);
  const run = spawnSync(process.execPath, [path.join(root, 'scripts', 'drill.mjs'), '--kills', '30', '--seed', seed], {
    cwd: root, encoding: 'utf8', timeout: 230_000,
  });
  const context = `seed ${seed}; stderr:\n${run.stderr}\nstdout:\n${run.stdout}`;
  assert.equal(run.status, 0, context);
  const f = JSON.parse(run.stdout);
  assert.equal(f.kills, 30, context);
  assert.equal(f.checkpointsChecked, 30, context);
  assert.equal(f.checkpointsIntact, 30, context);
  assert.equal(f.completions, 30, context);
  assert.ok(f.killsOnCheckpointWrite >= 1 && f.killsThatLeftATemporary >= 1, `no kill landed inside a write: ${context}`);
  assert.ok(f.leftoversFound >= 1, context);
  assert.equal(f.leftoversCleaned, f.leftoversFound, context);
  assert.equal(f.leftoversRemaining, 0, context);
  assert.ok(f.stepsAtEnd > f.stepsAtStart, `training made no progress across kills: ${context}`);
  assert.deepEqual(f.failures, [], context);
});
