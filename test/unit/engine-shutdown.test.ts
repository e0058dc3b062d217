/**
 * Issue 13, item 3: `shutdown` cannot leave an orphan. The REAL engine (dist/engineProcess.js) is
 * asked to shut down while a native call it cannot interrupt is running (a training step of the
 * medium preset on one thread takes seconds): shutdown waits for training to save, but not past the
 * engine's hard-exit timer (SEEDLING_SHUTDOWN_EXIT_MS, shortened here), after which the process exits
 * by itself with status 3. Needs `npm run build`.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { sampleFiles as sampleWorkspaceFiles } from './sampleWorkspace';

const root = path.resolve(__dirname, '..', '..');
const enginePath = path.join(root, 'dist', 'engineProcess.js');
const built = existsSync(enginePath) && existsSync(path.join(root, 'dist', 'seedling.node'));
const skip = built ? false : 'skipped: dist/engineProcess.js or dist/seedling.node missing (run npm run build)';

const sampleFiles = () => sampleWorkspaceFiles(root);

test('shutdown during a long native step: the engine exits by its hard-exit timer, not after the step', { skip, timeout: 120_000 }, async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'seedling-shutdown-'));
  const child = fork(enginePath, [], {
    execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced',
    env: { ...process.env, SEEDLING_THREADS: '1', SEEDLING_SHUTDOWN_EXIT_MS: '400' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const logs: string[] = [];
  let sentAt = 0;
  child.on('message', (m: { event?: string; data?: { message?: string } }) => {
    if (m.event !== 'log' || !m.data?.message) return;
    logs.push(m.data.message);
    // The run has its model and data: from here on the engine is inside multi-second native steps.
    if (!sentAt && m.data.message.startsWith('training medium')) {
      sentAt = Date.now();
      child.send({ id: 2, method: 'shutdown', params: {} });
    }
  });
  child.send({ id: 1, method: 'train', params: {
    files: sampleFiles(), checkpointPath: path.join(work, 'm.seedling'), preset: 'medium', threads: 1, maxSteps: 50, evalEverySteps: 1000,
  } });
  const how = await exited;
  assert.ok(sentAt > 0, `the run never started: ${logs.join(' | ')} ${stderr}`);
  const ms = Date.now() - sentAt;
  assert.equal(how.code, 3, `exit ${JSON.stringify(how)} after ${ms} ms; stderr: ${stderr}`);
  assert.match(stderr, /shutdown did not finish within 400 ms/);
  assert.ok(ms < 5000, `exited ${ms} ms after shutdown`);
});
