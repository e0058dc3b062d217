#!/usr/bin/env node
// run.mjs (`npm run test:e2e`): Seedling as a user meets it, in real VS Code (code-server) driven by
// Chromium: install the packaged VSIX into a fresh profile, train the tiny preset on a fixture
// workspace from the command palette, watch the dashboard, accept an inline completion with Tab,
// inspect attention, and measure the dashboard with 100,000 loss points. Screenshots of every step go
// to test-results/screenshots/; measurements to test-results/e2e-metrics.json.
//
// Env: SEEDLING_E2E_DEV=1 loads the extension from this checkout instead of the VSIX;
//      SEEDLING_E2E_STEPS (default 150), SEEDLING_E2E_THREADS (default 2), SEEDLING_E2E_VERBOSE=1.
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, harnessUnavailableReason, launchBrowser, openWorkbench, runCommand, startCodeServer } from '../harness/codeServer.mjs';
import { scenario } from './scenario.mjs';

const env = process.env;
const shots = path.join(REPO_ROOT, 'test-results', 'screenshots');
const metricsFile = path.join(REPO_ROOT, 'test-results', 'e2e-metrics.json');

const reason = await harnessUnavailableReason();
if (reason) {
  console.log(`skipped: ${reason}`);
  process.exit(0);
}

async function findVsix() {
  const dist = path.join(REPO_ROOT, 'dist');
  const list = existsSync(dist) ? (await readdir(dist)).filter((f) => f.endsWith('.vsix')) : [];
  return list.length ? path.join(dist, list.sort().at(-1)) : undefined;
}

let vsix;
if (!env.SEEDLING_E2E_DEV) {
  vsix = await findVsix();
  if (!vsix && existsSync(path.join(REPO_ROOT, 'scripts', 'package.mjs'))) {
    const r = spawnSync(process.execPath, ['scripts/package.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0) { console.error('e2e: npm run package failed'); process.exit(1); }
    vsix = await findVsix();
  }
  if (!vsix) { console.error('e2e: no dist/*.vsix (run `npm run package` first)'); process.exit(1); }
}

await rm(shots, { recursive: true, force: true });
await mkdir(shots, { recursive: true });
const scratch = await mkdtemp(path.join(tmpdir(), 'seedling-e2e-'));
const workspace = path.join(scratch, 'workspace');
await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'e2e-workspace'), workspace, { recursive: true });

const started = Date.now();
const results = [];
const metrics = {};
let server;
let browser;
try {
  server = await startCodeServer({
    workspace,
    vsix,
    extensionDevelopmentPath: env.SEEDLING_E2E_DEV ? REPO_ROOT : undefined,
    settings: {
      'workbench.colorTheme': 'Default Dark Modern',
      'seedling.model.preset': 'tiny',
      'seedling.training.fromScratch': true,
      'seedling.training.maxSteps': Number(env.SEEDLING_E2E_STEPS ?? 150),
      'seedling.training.maxMinutes': 10,
      'seedling.threads': Number(env.SEEDLING_E2E_THREADS ?? 2),
      'seedling.device': 'cpu',
      'seedling.completion.debounceMs': 0,
      'seedling.completion.timeoutMs': 5000,
      // A tiny model trained for seconds is never confident: show every suggestion here (the
      // threshold's effect is measured by seedling eval, docs/quality.md).
      'seedling.completion.minConfidence': 0,
      'editor.inlineSuggest.enabled': true,
      'files.autoSave': 'off',
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.suggestOnTriggerCharacters': false,
      'editor.wordBasedSuggestions': 'off',
    },
    log: env.SEEDLING_E2E_VERBOSE ? (s) => process.stdout.write(s) : undefined,
  });
  if (vsix) console.log(`e2e: installed ${path.relative(REPO_ROOT, vsix)} into a fresh profile`);
  browser = await launchBrowser();
  const page = await openWorkbench(browser, server, { viewport: { width: 1400, height: 900 } });
  await scenario({ page, server, workspace, shots, metrics, step: makeStep(results, page) });
} catch (err) {
  if (!results.some((r) => !r.ok)) results.push({ name: 'setup', ok: false, error: err.message });
  if (server && env.SEEDLING_E2E_VERBOSE !== '1') console.error(`--- code-server output (tail) ---\n${server.output().slice(-4000)}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  await rm(scratch, { recursive: true, force: true });
}

await mkdir(path.dirname(metricsFile), { recursive: true });
await writeFile(metricsFile, JSON.stringify(metrics, null, 2));
console.log(`metrics: ${JSON.stringify(metrics, null, 2)}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`e2e: ${((Date.now() - started) / 1000).toFixed(0)} s, screenshots in ${path.relative(REPO_ROOT, shots)}/`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);

/** Steps run in order and each depends on the last, so the first failure ends the scenario. */
function makeStep(list, page) {
  return async (name, fn) => {
    const t0 = Date.now();
    try {
      const value = await fn();
      list.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      return value;
    } catch (err) {
      list.push({ name, ok: false, error: err.message });
      // What the user would have seen at that moment, plus Seedling's log, for the post-mortem.
      await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => {});
      await runCommand(page, 'Seedling: Show Log').then(() => page.waitForTimeout(1000)).then(() => page.screenshot({ path: path.join(shots, 'failure-log.png') })).catch(() => {});
      console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String(err.stack ?? err.message).split('\n').slice(0, 6).join('\n     ')}`);
      throw err;
    }
  };
}
