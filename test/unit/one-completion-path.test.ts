/**
 * one-completion-path.test.ts: `seedling eval` scores exactly what `seedling complete` shows (and the
 * editor: test/suite checks the inline provider against `seedling complete`). Real processes, the
 * shipped base model, a four-file workspace of which eval holds one file out: for every cursor eval
 * asked about, `seedling complete --workspace DIR --file F` with the same document text must give
 * the same suggestion. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const base = path.join(root, 'models', 'base-small.seedling');
const ready = existsSync(cli) && existsSync(path.join(root, 'dist', 'seedling.node')) && existsSync(base);
const skip = ready ? false : 'skipped: dist/cli.js, dist/seedling.node or models/base-small.seedling missing (run npm run build)';

const work = mkdtempSync(path.join(tmpdir(), 'seedling-one-path-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('seedling eval and seedling complete give the same suggestion at the same cursor', { skip, timeout: 240_000 }, () => {
  const workspace = path.join(work, 'ws');
  mkdirSync(workspace);
  const sample = path.join(root, 'test', 'fixtures', 'sample-workspace');
  for (const f of ['src/lruCache.js', 'src/retry.js', 'src/taskQueue.js', 'src/eventEmitter.js']) copyFileSync(path.join(sample, f), path.join(workspace, path.basename(f)));
  const details = path.join(work, 'details.jsonl');
  const common = ['--model', base, '--threads', '2', '--min-confidence', '0'];
  execFileSync(process.execPath, [cli, 'eval', workspace, ...common, '--tasks', '2', '--json', '--details', details], { stdio: ['ignore', 'pipe', 'pipe'] });
  const rows = readFileSync(details, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(rows.length >= 3, `eval asked at ${rows.length} cursors`);
  for (const row of rows) {
    const text = readFileSync(row.path, 'utf8');
    const before = text.slice(0, row.beforeChars);
    const afterText = text.slice(row.afterFrom);
    const shown = execFileSync(process.execPath, [cli, 'complete', ...common, '--workspace', workspace, '--file', row.path,
      '--prefix', before, '--suffix', afterText], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(shown, row.answers.seedling.text, `${row.kind} cursor at ${path.basename(row.path)}:${row.line + 1}`);
  }
});
