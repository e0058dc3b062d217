#!/usr/bin/env node
// run.mjs (`npm run test:suite`): runs test/suite/*.test.ts inside a real VS Code extension host:
// a desktop VS Code through @vscode/test-electron when VSCODE_EXECUTABLE names one (or
// SEEDLING_SUITE_VSCODE_VERSION asks for a download; test/harness/suiteHost.mjs), otherwise
// code-server 4.100 (= VS Code 1.100, from test/harness) with headless Chromium connected, because
// its extension host only starts once a browser window does. It prints which host ran. The extension
// is loaded from this repository (extensionDevelopmentPath: package.json + dist/), the suite from
// out/suite (extensionTestsPath), on a fresh copy of test/fixtures/suite-workspace. Exit code: 0 when
// every test passed.
//
// Arguments: parts of test file names, to run only those files (e.g. `npm run test:suite -- walkthrough`).
// Env: VSCODE_EXECUTABLE, SEEDLING_SUITE_VSCODE_VERSION (above), SEEDLING_SUITE_NO_BUILD=1 (use dist/ as it is), SEEDLING_SUITE_PRESET (default tiny), SEEDLING_SUITE_STEPS (default 40),
//      SEEDLING_SUITE_THREADS (default 2), SEEDLING_SUITE_TIMEOUT_S (default 900),
//      SEEDLING_SUITE_LATENCY_MODEL=<checkpoint> (also measure typing latency with that model, e.g. a
//      `small` one made by `seedling train`; the extension host inherits this environment).
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_SETTINGS, CODE_SERVER_ENTRY, harnessUnavailableReason, launchBrowser, openWorkbench, startCodeServer } from '../harness/codeServer.mjs';
import { downloadVsCode, runSuiteInDesktopVsCode } from '../harness/desktopVsCode.mjs';
import { chooseSuiteHost, codeServerName, desktopName } from '../harness/suiteHost.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.join(root, 'out', 'suite');
const env = process.env;
const preset = env.SEEDLING_SUITE_PRESET ?? 'tiny';
const steps = Number(env.SEEDLING_SUITE_STEPS ?? 40);
const threads = Number(env.SEEDLING_SUITE_THREADS ?? 2);
const timeoutMs = Number(env.SEEDLING_SUITE_TIMEOUT_S ?? 900) * 1000;

let host;
try {
  host = chooseSuiteHost(env);
} catch (err) {
  fail(err.message);
}
if (host.kind === 'code-server') {
  const reason = await harnessUnavailableReason();
  if (reason) {
    console.log(`skipped: ${reason}`);
    process.exit(0);
  }
}

// The extension as VS Code loads it: dist/extension.js, dist/engineProcess.js and the native addon.
const exists = (p) => access(path.join(root, p)).then(() => true, () => false);
// SEEDLING_SUITE_NO_BUILD=1 when the caller (npm test) already built.
if (!env.SEEDLING_SUITE_NO_BUILD) {
  if (!(await exists('dist/seedling.node'))) run(process.execPath, ['scripts/build.mjs']);
  else run(process.execPath, ['scripts/build.mjs', '--js-only']);
}
for (const f of ['dist/extension.js', 'dist/engineProcess.js', 'dist/seedling.node']) {
  if (!(await exists(f))) fail(`${f} is missing after the build`);
}

// The suite itself: one bundle per test file (mocha loads them after setting up its globals).
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const esbuild = await import('esbuild');
const suiteDir = path.join(root, 'test', 'suite');
// `npm run test:suite -- walkthrough` runs only the test files whose names contain an argument.
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const entries = ['index.ts', ...(await import('node:fs')).readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((x) => f.includes(x)))];
for (const entry of entries) {
  await esbuild.build({
    entryPoints: [path.join(suiteDir, entry)], outfile: path.join(outDir, entry.replace(/\.ts$/, '.js')),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline',
    external: ['vscode', 'mocha'], logLevel: 'warning',
  });
}

// A fresh workspace each run (training must not write into it; the test checks).
const scratch = await mkdtemp(path.join(tmpdir(), 'seedling-suite-'));
const workspace = path.join(scratch, 'workspace');
await cp(path.join(root, 'test', 'fixtures', 'suite-workspace'), workspace, { recursive: true });
// A file .gitignore excludes (kept out of git for the same reason): the corpus must skip it.
await mkdir(path.join(workspace, 'generated'), { recursive: true });
await writeFile(path.join(workspace, 'generated', 'ignored.js'), '// generated: must not be trained on\nmodule.exports = 42;\n');
const resultsFile = path.join(scratch, 'results.json');

const settings = {
  'seedling.model.preset': preset,
  'seedling.training.maxSteps': steps,
  'seedling.training.maxMinutes': 5,
  'seedling.training.fromScratch': true,
  'seedling.threads': threads,
  'seedling.device': 'cpu',
  'seedling.completion.debounceMs': 0,
  'seedling.completion.timeoutMs': 5000,
  // A tiny model trained for seconds is never confident: show every suggestion here (the
  // threshold's effect is measured by seedling eval, docs/quality.md).
  'seedling.completion.minConfidence': 0,
};
const suiteEnv = { SEEDLING_SUITE_RESULTS: resultsFile };
const extensionTestsPath = path.join(outDir, 'index.js');

let exitCode = 1;
const started = Date.now();
try {
  const results = host.kind === 'code-server' ? await runInCodeServer() : await runInDesktopVsCode();
  report(results);
  exitCode = results.failures === 0 && results.passes > 0 ? 0 : 1;
} catch (err) {
  console.error(`suite: ${err.message}`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
console.log(`suite: ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(exitCode);

async function runInCodeServer() {
  console.log(`suite host: ${codeServerName(CODE_SERVER_ENTRY)}`);
  let server;
  let browser;
  try {
    server = await startCodeServer({
      workspace, extensionDevelopmentPath: root, extensionTestsPath, env: suiteEnv, settings,
      log: env.SEEDLING_SUITE_VERBOSE ? (s) => process.stdout.write(s) : undefined,
    });
    browser = await launchBrowser();
    await openWorkbench(browser, server);
    return await waitForResults(resultsFile, timeoutMs, server);
  } catch (err) {
    if (server) console.error(`--- code-server output (tail) ---\n${server.output().slice(-6000)}`);
    throw err;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
  }
}

async function runInDesktopVsCode() {
  const executable = host.kind === 'electron' ? host.executable : await downloadVsCode(host.version);
  console.log(`suite host: ${desktopName(executable)}`);
  await runSuiteInDesktopVsCode({
    executable, scratch, workspace, extensionDevelopmentPath: root, extensionTestsPath,
    settings: { ...BASE_SETTINGS, ...settings }, env: suiteEnv,
  });
  // VS Code has exited: the suite wrote its results, or it never ran.
  try {
    return JSON.parse(await readFile(resultsFile, 'utf8'));
  } catch {
    throw new Error('VS Code exited without suite results');
  }
}

async function waitForResults(file, ms, server) {
  const deadline = Date.now() + ms;
  let serverGone = false;
  server.exited.then(() => (serverGone = true));
  while (Date.now() < deadline) {
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch { /* not written yet */ }
    if (serverGone) throw new Error('code-server exited before the suite reported results');
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no suite results after ${ms / 1000} s`);
}

function report(results) {
  for (const t of results.tests) {
    const mark = t.state === 'passed' ? 'ok  ' : t.state === 'failed' ? 'FAIL' : 'skip';
    console.log(`${mark} ${t.title}${t.ms !== undefined ? ` (${t.ms} ms)` : ''}`);
    if (t.error) console.log(t.error.split('\n').map((l) => `     ${l}`).join('\n'));
  }
  console.log(`metrics: ${JSON.stringify(results.metrics, null, 2)}`);
  console.log(`${results.passes} passed, ${results.failures} failed, ${results.pending} pending`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed`);
}

function fail(message) {
  console.error(`suite: ${message}`);
  process.exit(1);
}
