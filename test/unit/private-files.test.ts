/** What describes the user's code on disk (run state, run history) is 0600, written through exclusive temporary names. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunHistory, HISTORY_FILE } from '../../src/host/dashboard/runHistory';
import { RUN_STATE_FILE, writeRunState } from '../../src/host/training/runState';
import { appendPrivateFile, temporaryNameFor, writePrivateFileAtomically } from '../../src/shared/privateFiles';

const posix = process.platform !== 'win32';
const modeOf = (file: string) => statSync(file).mode & 0o777;

test('run state and run history are written 0600 in a 0700 directory', { skip: !posix }, async () => {
  const base = mkdtempSync(path.join(tmpdir(), 'seedling-private-'));
  const dir = path.join(base, 'storage');
  await writeRunState(dir, {
    version: 1, runId: 'r', status: 'running', preset: 'tiny', fromScratch: false, startedAt: 1, updatedAt: 1, step: 0, totalSteps: 10,
  });
  assert.equal(modeOf(path.join(dir, RUN_STATE_FILE)), 0o600);
  assert.equal(modeOf(dir), 0o700);
  const { history } = await RunHistory.load(dir);
  history.startRun({ runId: 'r', startedAt: 1, model: { preset: 'tiny', parameters: 0, device: 'cpu', threads: 1 } });
  await history.flush();
  assert.equal(modeOf(path.join(dir, HISTORY_FILE)), 0o600);
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
});

test('a history file left world-readable by an older version is narrowed on the next append', { skip: !posix }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-private-'));
  const file = path.join(dir, 'runs.jsonl');
  writeFileSync(file, 'old\n');
  chmodSync(file, 0o644);
  await appendPrivateFile(file, 'new\n');
  assert.equal(modeOf(file), 0o600);
  assert.equal(readFileSync(file, 'utf8'), 'old\nnew\n');
});

test('temporary names are unpredictable, and a planted link is never written through', { skip: !posix }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-private-'));
  const target = path.join(dir, 'run.json');
  assert.notEqual(temporaryNameFor(target), temporaryNameFor(target));
  assert.match(path.basename(temporaryNameFor(target)), /^run\.json\.[0-9a-f]{16}\.tmp$/);
  // The names older versions used (pid-based) planted as links to a file the attacker wants clobbered.
  const victim = path.join(dir, 'victim');
  writeFileSync(victim, 'keep');
  symlinkSync(victim, `${target}.${process.pid}.tmp`);
  symlinkSync(victim, `${target}.tmp-${process.pid}`);
  await writePrivateFileAtomically(target, '{"ok":true}');
  assert.equal(readFileSync(victim, 'utf8'), 'keep');
  assert.equal(readFileSync(target, 'utf8'), '{"ok":true}');
  assert.equal(modeOf(target), 0o600);
});
