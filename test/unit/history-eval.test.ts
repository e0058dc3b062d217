/**
 * history-eval.test.ts: `seedling eval --history REPO --from REV --follow` on a real git repository
 * made here, with real processes and the shipped base model. A line a later commit adds is copied
 * from a file an earlier commit added: the "follow" pass, whose workspace takes each commit in
 * before the next commit's cursors, can copy it; the "frozen" pass, which sees only --from, cannot.
 * Needs `npm run build` and git.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const base = path.join(root, 'models', 'base-small.seedling');
const hasGit = spawnSync('git', ['--version']).status === 0;
const ready = existsSync(cli) && existsSync(path.join(root, 'dist', 'seedling.node')) && existsSync(base) && hasGit;
const skip = ready ? false : 'skipped: git, dist/cli.js, dist/seedling.node or models/base-small.seedling missing (run npm run build)';

const work = mkdtempSync(path.join(tmpdir(), 'seedling-history-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function commit(repo: string, files: Record<string, string>, message: string): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
    writeFileSync(path.join(repo, name), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], { stdio: 'ignore' });
  git('add', '-A');
  git('commit', '-q', '-m', message);
}

test('the follow pass completes with what earlier commits added; the frozen pass cannot', { skip, timeout: 240_000 }, () => {
  const repo = path.join(work, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['-C', repo, 'init', '-q']);
  commit(repo, { 'src/start.py': 'def start():\n    return 0\n' }, 'start');
  const line = 'zebra_quokka_total = measure_the_marsupial_index(4217, unit="furlongs")';
  commit(repo, { 'src/first.py': `import math\n\n${line}\nprint(zebra_quokka_total)\n` }, 'first use');
  commit(repo, { 'src/second.py': `import os\n\n${line}\n` }, 'second use');
  // A move writes nothing new: no cursor may fall in the moved file.
  execFileSync('git', ['-C', repo, 'mv', 'src/first.py', 'src/moved.py']);
  commit(repo, {}, 'move');
  const details = path.join(work, 'details.jsonl');

  const run = spawnSync(process.execPath, [cli, 'eval', '--history', repo, '--from', 'HEAD~3', '--follow', '--model', base,
    '--threads', '2', '--tasks', '50', '--min-confidence', '0', '--json', '--details', details], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.commits, 3);
  const files = new Set(readFileSync(details, 'utf8').trim().split('\n').map((l) => JSON.parse(l).file));
  assert.deepEqual([...files].sort(), ['src/first.py', 'src/second.py']);
  const eol = (pass: string) => report[pass].results['end-of-line'];
  assert.ok(report.frozen.tasks['end-of-line'] >= 4, `end-of-line cursors: ${report.frozen.tasks['end-of-line']}`);
  assert.equal(report.follow.tasks['end-of-line'], report.frozen.tasks['end-of-line'], 'both passes answer the same cursors');
  // The copy baseline is deterministic: only the follow pass has first.py when second.py's line is asked.
  assert.ok(eol('follow').copy.firstLineExact > eol('frozen').copy.firstLineExact,
    `copy exact: follow ${eol('follow').copy.firstLineExact}, frozen ${eol('frozen').copy.firstLineExact}`);
  assert.ok(eol('follow').seedling.firstLineExact > eol('frozen').seedling.firstLineExact,
    `seedling exact: follow ${eol('follow').seedling.firstLineExact}, frozen ${eol('frozen').seedling.firstLineExact}`);
});

test('--history refuses a revision that is not there, with a usage error', { skip, timeout: 60_000 }, () => {
  const repo = path.join(work, 'lonely');
  mkdirSync(repo);
  execFileSync('git', ['-C', repo, 'init', '-q']);
  commit(repo, { 'a.py': 'x = 1\n' }, 'only');
  const run = spawnSync(process.execPath, [cli, 'eval', '--history', repo, '--from', 'no-such-rev', '--model', base], { encoding: 'utf8' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /--from no-such-rev: not a commit/);
});
