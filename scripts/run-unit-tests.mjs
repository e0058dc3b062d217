#!/usr/bin/env node
// run-unit-tests.mjs (`npm run test:unit`): bundle each test/unit/*.test.ts with esbuild into
// out/unit/ and run them with Node's built-in test runner. Arguments are passed to `node --test`
// (e.g. --test-name-pattern=corpus); a test file name filters which files run:
//   npm run test:unit -- corpus
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'test', 'unit');
const outDir = join(root, 'out', 'unit');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-'));
const nodeArgs = args.filter((a) => a.startsWith('-'));

const files = readdirSync(srcDir).filter((f) => f.endsWith('.test.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.log('skipped: no unit test files match');
  process.exit(0);
}
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files.map((f) => join(srcDir, f)),
  outdir: outDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', '*.node'],
  logLevel: 'warning',
});
const outputs = files.map((f) => join(outDir, f.replace(/\.ts$/, '.js')));
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', ...nodeArgs, ...outputs], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
