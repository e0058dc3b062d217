/**
 * suite-host.test.ts: which VS Code runs the in-editor suite (test/harness/suiteHost.mjs), and the
 * desktop path through @vscode/test-electron driven end to end with a stand-in for VS Code's binary:
 * a script that answers --version as VS Code does and writes the results file the real suite would,
 * recording the arguments it was started with. (CI has no desktop VS Code; code-server runs the suite.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { chooseSuiteHost } from '../harness/suiteHost.mjs';

const root = path.join(__dirname, '..', '..');

test('VSCODE_EXECUTABLE picks the desktop host; a version asks for a download; otherwise code-server', () => {
  const exists = (p: string) => p === '/opt/code/code';
  assert.deepEqual(chooseSuiteHost({ VSCODE_EXECUTABLE: '/opt/code/code' }, exists), { kind: 'electron', executable: '/opt/code/code' });
  assert.deepEqual(chooseSuiteHost({ SEEDLING_SUITE_VSCODE_VERSION: '1.100.3' }, exists), { kind: 'electron-download', version: '1.100.3' });
  assert.deepEqual(chooseSuiteHost({}, exists), { kind: 'code-server' });
  assert.deepEqual(chooseSuiteHost({ VSCODE_EXECUTABLE: ' ' }, exists), { kind: 'code-server' });
  // A wrong path is an error, not a silent fall-back to code-server.
  assert.throws(() => chooseSuiteHost({ VSCODE_EXECUTABLE: '/nope/code' }, exists), /does not exist/);
});

/** A stand-in for VS Code's binary: `--version` like VS Code; otherwise writes results and exits with `code`. */
function fakeVsCode(dir: string, { writeResults, code }: { writeResults: boolean; code: number }): string {
  const file = path.join(dir, `code-${writeResults}-${code}`);
  writeFileSync(file, `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
if (args[0] === '--version') { console.log('1.99.9\\n0123abc\\nx64'); process.exit(0); }
fs.writeFileSync(${JSON.stringify(path.join(dir, 'argv.json'))}, JSON.stringify(args));
if (${writeResults}) fs.writeFileSync(process.env.SEEDLING_SUITE_RESULTS, JSON.stringify({ passes: 1, failures: 0, pending: 0,
  tests: [{ title: 'stand-in', state: 'passed', ms: 1 }], metrics: {}, finishedAt: new Date().toISOString() }));
process.exit(${code});
`);
  chmodSync(file, 0o755);
  return file;
}

function runSuite(executable: string) {
  return spawnSync(process.execPath, [path.join(root, 'test', 'suite', 'run.mjs')], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, VSCODE_EXECUTABLE: executable, SEEDLING_SUITE_NO_BUILD: '1', SEEDLING_SUITE_VSCODE_VERSION: '' },
  });
}

test('the desktop host gets the suite, the extension, a fresh profile and the workspace, and says which host ran', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-fake-code-'));
  try {
    const r = runSuite(fakeVsCode(dir, { writeResults: true, code: 0 }));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^suite host: VS Code 1\.99\.9 via @vscode\/test-electron$/m);
    assert.match(r.stdout, /^1 passed, 0 failed, 0 pending$/m);
    const argv: string[] = JSON.parse(readFileSync(path.join(dir, 'argv.json'), 'utf8'));
    assert.ok(argv.includes(`--extensionDevelopmentPath=${root}`), argv.join(' '));
    assert.ok(argv.includes(`--extensionTestsPath=${path.join(root, 'out', 'suite', 'index.js')}`), argv.join(' '));
    assert.ok(argv.some((a) => /seedling-suite-[^/]+\/workspace$/.test(a)), `the workspace copy is opened: ${argv.join(' ')}`);
    assert.ok(argv.includes('--user-data-dir') && argv.includes('--extensions-dir'), 'a profile of its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a desktop VS Code that exits without results fails the run', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-fake-code-'));
  try {
    const r = runSuite(fakeVsCode(dir, { writeResults: false, code: 1 }));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /VS Code exited without suite results/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
