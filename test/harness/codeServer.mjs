// codeServer.mjs: real VS Code (code-server, installed by scripts/setup-code-server.sh) driven by
// Debian's Chromium through playwright-core, for the suite and the browser tests.
//
// Every run gets its own user-data and extensions folders (nothing leaks between runs or into the
// developer's profile), binds to 127.0.0.1 on a free port, and is stopped by the id of the process
// group we started, never by name.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm, access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_ENTRY = path.join(REPO_ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
export const CHROMIUM_PATH = process.env.SEEDLING_CHROMIUM || '/usr/bin/chromium';

/** Settings every test profile starts from (the suite's desktop host writes them too): quiet and offline. */
export const BASE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
};

/** Why the harness cannot run here, or null when it can (callers print "skipped: <why>"). */
export async function harnessUnavailableReason() {
  try { await access(CODE_SERVER_ENTRY); } catch { return `code-server not installed (run: bash scripts/setup-code-server.sh)`; }
  try { await access(CHROMIUM_PATH); } catch { return `no Chromium at ${CHROMIUM_PATH}`; }
  return null;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Installs a VSIX into an extensions folder with code-server's own CLI (as a user would). */
export async function installVsix({ vsix, userDataDir, extensionsDir }) {
  const { stdout, stderr } = await execFileAsync(process.execPath, [
    CODE_SERVER_ENTRY, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--install-extension', vsix,
  ], { timeout: 120_000 });
  const out = stdout + stderr;
  if (!/successfully installed/i.test(out)) throw new Error(`VSIX install failed:\n${out}`);
  return out;
}

/**
 * Starts code-server on a fresh profile and waits until it answers.
 * options: workspace (folder to open), vsix, extensionDevelopmentPath, extensionTestsPath (passed
 * through the page URL: open `server.workspaceUrl`),
 * settings (object written to the profile's settings.json), env, log (a function for server output).
 */
export async function startCodeServer(options = {}) {
  const reason = await harnessUnavailableReason();
  if (reason) throw new Error(reason);
  const root = await mkdtemp(path.join(tmpdir(), 'seedling-cs-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  const settings = { ...BASE_SETTINGS, ...(options.settings ?? {}) };
  await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  if (options.vsix) await installVsix({ vsix: options.vsix, userDataDir, extensionsDir });

  const port = await freePort();
  const args = [
    CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
  ];
  if (options.workspace) args.push(options.workspace);

  const log = options.log ?? (() => {});
  let output = '';
  // detached: the server gets its own process group, so stop() ends it and its children by that id.
  const proc = spawn(process.execPath, args, {
    cwd: options.workspace ?? REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  const collect = (chunk) => { const s = chunk.toString(); output += s; if (output.length > 1 << 20) output = output.slice(-(1 << 19)); log(s); };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  let exited = null;
  const exitPromise = new Promise((resolve) => proc.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)}):\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { killGroup(proc.pid); throw new Error(`code-server did not answer within 60 s:\n${output}`); }
    await sleep(200);
  }

  // code-server 4.100's command line rejects --extensionDevelopmentPath/--extensionTestsPath; the web
  // workbench takes them from the URL's `payload` and hands them to the server's extension host, as
  // vscode-remote URIs (the extension and the tests live on the server's disk).
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [];
  if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  const query = [];
  if (options.workspace) query.push(`folder=${encodeURIComponent(options.workspace)}`);
  if (payload.length) query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);

  const server = {
    port, url, root, userDataDir, extensionsDir, pid: proc.pid, proc,
    workspaceUrl: query.length ? `${url}/?${query.join('&')}` : url,
    output: () => output,
    exited: exitPromise,
    async stop({ keepProfile = false } = {}) {
      if (!exited) {
        killGroup(proc.pid, 'SIGTERM');
        const timer = sleep(5000).then(() => 'timeout');
        if ((await Promise.race([exitPromise, timer])) === 'timeout') killGroup(proc.pid, 'SIGKILL');
        await Promise.race([exitPromise, sleep(2000)]);
      }
      // The extension host and terminals may outlive the server briefly; end what is left of our group.
      killGroup(proc.pid, 'SIGKILL');
      if (!keepProfile) await rm(root, { recursive: true, force: true }).catch(() => {});
    },
  };
  return server;
}

function killGroup(pid, signal = 'SIGTERM') {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** Launches Chromium with the flags that work on these machines (headless, no sandbox as root). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** Opens the workbench of a started server in a new page and waits until it is usable. */
export async function openWorkbench(browser, server, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(server.workspaceUrl);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  // The explorer fills in once the file service is up; waiting for it avoids racing the first command.
  await page.waitForSelector('.explorer-folders-view .monaco-list-row, .explorer-viewlet', { timeout: 60_000 }).catch(() => {});
  return page;
}

/**
 * Opens the command palette (F1), types the command's title and runs that command. The palette does
 * not refresh its list when an extension's commands register while it is open (right after start-up),
 * so it is closed and reopened until the command shows up.
 */
export async function runCommand(page, title, { timeout = 30_000 } = {}) {
  const input = page.locator('.quick-input-widget input.input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  const deadline = Date.now() + timeout;
  for (;;) {
    await page.locator('.monaco-workbench').focus().catch(() => {});
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    if (await row.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) break;
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`command "${title}" is not in the command palette`);
    await sleep(500);
  }
  // The palette sorts by fuzzy score, so the command asked for is not always the first row: pick the
  // row whose label is exactly the title (aria-label may append the keybinding after a comma).
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  const index = labels.findIndex((l) => l === title || l.startsWith(`${title},`) || l.startsWith(`${title} `));
  if (index < 0) throw new Error(`no palette row is exactly "${title}" (rows: ${labels.join(' | ')})`);
  await rows.nth(index).click();
  await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
}

/** Opens a file by clicking through the explorer; `relPath` like "src/a.js" expands folders. */
export async function openFileFromExplorer(page, relPath, { timeout = 15_000 } = {}) {
  const parts = relPath.split('/');
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i];
    const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"], .explorer-folders-view .monaco-list-row:has(.label-name:text-is("${name}"))`).first();
    await row.waitFor({ state: 'visible', timeout });
    const last = i === parts.length - 1;
    if (!last) {
      const expanded = await row.getAttribute('aria-expanded');
      if (expanded !== 'true') await row.click();
    } else {
      await row.click();
    }
  }
  const tab = page.locator(`.tabs-container .tab[aria-label*="${parts[parts.length - 1]}"]`).first();
  await tab.waitFor({ state: 'visible', timeout });
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor({ state: 'visible', timeout });
  return editor;
}

/** Saves a full-page screenshot as <dir>/<name>.png and returns its path. */
export async function screenshot(page, dir, name) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs `fn` with a started server, browser and page, and always cleans up. */
export async function withWorkbench(options, fn) {
  const server = await startCodeServer(options);
  let browser;
  try {
    browser = await launchBrowser();
    const page = await openWorkbench(browser, server, options.page);
    return await fn({ server, browser, page });
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop({ keepProfile: !!options.keepProfile });
  }
}
