#!/usr/bin/env node
// screenshots.mjs (`npm run screenshots`): the README's pictures, taken from the real product. It
// starts real VS Code (code-server, as the end-to-end test does) with the extension from this
// checkout's dist/, on a copy of test/fixtures/sample-workspace, drives it with headless Chromium:
// trains (fine-tunes the bundled base model, as a user's first run does), opens the dashboard, types
// in a file until ghost text shows, and inspects attention there. Each picture is cropped to what it
// shows and written to docs/images/ (ghost-text.png, dashboard.png, attention.png); the script fails
// when one would be over 300 KB. Nothing here is drawn by hand: rerun it after a UI change.
//
// Env: SEEDLING_SHOTS_MINUTES (training budget, default 1.5), SEEDLING_SHOTS_THREADS (default 2),
//      SEEDLING_SHOTS_VERBOSE=1 (code-server's output).
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, harnessUnavailableReason, launchBrowser, openFileFromExplorer, openWorkbench, runCommand, startCodeServer } from '../test/harness/codeServer.mjs';
import { findWebview, waitInFrame } from '../test/e2e/webviews.mjs';

const env = process.env;
const outDir = path.join(REPO_ROOT, 'docs', 'images');
const MAX_BYTES = 300 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const reason = await harnessUnavailableReason();
if (reason) fail(`${reason}`);
if (!existsSync(path.join(REPO_ROOT, 'dist', 'seedling.node'))) run(['scripts/build.mjs']);
else run(['scripts/build.mjs', '--js-only']);

const scratch = await mkdtemp(path.join(tmpdir(), 'seedling-shots-'));
const workspace = path.join(scratch, 'sample-workspace');
await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
await mkdir(outDir, { recursive: true });

let server;
let browser;
let ok = false;
try {
  server = await startCodeServer({
    workspace,
    extensionDevelopmentPath: REPO_ROOT,
    settings: {
      'window.commandCenter': false,
      'workbench.layoutControl.enabled': false,
      'editor.minimap.enabled': false,
      'editor.fontSize': 14,
      'breadcrumbs.enabled': false,
      'editor.quickSuggestions': { other: false, comments: false, strings: false },
      'editor.suggestOnTriggerCharacters': false,
      'editor.wordBasedSuggestions': 'off',
      'seedling.training.maxMinutes': Number(env.SEEDLING_SHOTS_MINUTES ?? 1.5),
      'seedling.threads': Number(env.SEEDLING_SHOTS_THREADS ?? 2),
      'seedling.device': 'cpu',
      'seedling.completion.debounceMs': 0,
      'seedling.completion.timeoutMs': 5000,
      // The picture needs a suggestion at the chosen spot; which ones the default threshold hides is
      // measured in docs/quality.md, not shown here.
      'seedling.completion.minConfidence': 0,
    },
    log: env.SEEDLING_SHOTS_VERBOSE ? (s) => process.stdout.write(s) : undefined,
  });
  browser = await launchBrowser();
  const page = await openWorkbench(browser, server, { viewport: { width: 1280, height: 760 } });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'src' }).first().waitFor({ timeout: 30_000 });

  // Train, and watch it on the dashboard until the run has finished.
  await runCommand(page, 'Seedling: Train on Workspace');
  await runCommand(page, 'Seedling: Open Dashboard');
  const dashboard = await findWebview(page, 'dashboard');
  await waitInFrame(dashboard, () => {
    const rows = [...document.querySelectorAll('.history tbody tr')].map((tr) => tr.lastElementChild?.textContent);
    return document.body.dataset.training === 'idle' && rows.includes('finished');
  }, undefined, { timeout: 15 * 60_000, what: 'the training run to finish' });
  console.log('screenshots: training finished');

  // The dashboard alone: side bar hidden, notifications (training finished, the first-run nudge) cleared.
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await clearNotifications(page);
  await sleep(1000); // the charts redraw for the wider panel on the next frame
  await shoot(page, 'dashboard', await box(page.locator('.part.editor')));

  // Ghost text: in lruCache.js, retyping the first statement of set() (`this.entries.delete(key);`
  // under its `if`): the line's code is cleared (its indentation stays) and its start typed again,
  // with the rest of the file as it was.
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await openFileFromExplorer(page, 'src/lruCache.js');
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  // Before typing: the palette takes the focus from the editor, which hides a suggestion.
  await clearNotifications(page);
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.click({ position: { x: 400, y: 40 } });
  await page.keyboard.press('Control+G');
  await page.keyboard.type('48');
  await page.keyboard.press('Enter');
  await page.keyboard.press('End');
  await page.keyboard.press('Home'); // first non-blank character
  await page.keyboard.press('Shift+End');
  await page.keyboard.press('Delete');
  await page.keyboard.type('this.entries.', { delay: 60 });
  await page.locator('.ghost-text-decoration').first().waitFor({ timeout: 30_000 });
  await sleep(500); // a debounced refresh may still replace what is shown
  const ghost = (await page.locator('.ghost-text-decoration').allTextContents()).join('').replace(/\u00a0/g, ' ');
  console.log(`screenshots: ghost text ${JSON.stringify(ghost)}`);
  if (!(await page.locator('.ghost-text-decoration').first().isVisible())) throw new Error('the ghost text went away before the picture');
  const editorBox = await box(page.locator('.part.editor'));
  const cursor = await box(page.locator('.editor-instance .monaco-editor .cursor').first());
  // A band of the editor around the cursor, whole lines: the method being written and what is above it.
  const line = cursor.height;
  const top = Math.max(editorBox.y, cursor.y - 16 * line);
  await shoot(page, 'ghost-text', { x: editorBox.x, y: top, width: Math.min(editorBox.width, 900), height: Math.min(22 * line, editorBox.y + editorBox.height - top) });

  // Accept it, and inspect attention at the end of the completed line.
  await page.keyboard.press('Tab');
  await runCommand(page, 'Seedling: Inspect Attention at Cursor');
  const attention = await findWebview(page, 'attention');
  await waitInFrame(attention, () => document.body.dataset.attention === 'ready' && document.getElementById('attention-matrix')?.dataset.source === 'full',
    undefined, { timeout: 120_000, what: 'the attention inspector to draw' });
  // The inspector alone, over the whole editor area, with its matrix in view.
  await clearNotifications(page);
  await page.locator('.tabs-container .tab', { hasText: 'Seedling Attention' }).first().click();
  await runCommand(page, 'View: Toggle Maximize Editor Group');
  await sleep(1000); // the matrix redraws for the new size
  await shoot(page, 'attention', await box(page.locator('.part.editor')));
  ok = true;
} catch (err) {
  console.error(`screenshots: ${err.stack ?? err.message}`);
  if (server && !env.SEEDLING_SHOTS_VERBOSE) console.error(`--- code-server output (tail) ---\n${server.output().slice(-3000)}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);

async function box(locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('element to crop is not visible');
  return { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
}

async function shoot(page, name, clip) {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file, clip });
  const { size } = await stat(file);
  console.log(`screenshots: ${path.relative(REPO_ROOT, file)} ${clip.width}x${clip.height}, ${(size / 1024).toFixed(0)} KB`);
  if (size > MAX_BYTES) throw new Error(`${name}.png is ${size} bytes, over ${MAX_BYTES}: crop it further`);
}

async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notification-toast').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
}

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail(`node ${args.join(' ')} failed`);
}

function fail(message) {
  console.error(`screenshots: ${message}`);
  process.exit(1);
}
