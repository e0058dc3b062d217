// scenario.mjs: the steps of the browser test, in the order a user takes them. Each step asserts what
// the user would see, and saves a screenshot.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openFileFromExplorer, runCommand, screenshot } from '../harness/codeServer.mjs';
import { findWebview, seedlingStatusText, waitInFrame } from './webviews.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export async function scenario({ page, server, workspace, shots, metrics, step }) {
  const shot = (name) => screenshot(page, shots, name);

  await step('workbench opens on the fixture workspace', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'src' }).first().waitFor({ timeout: 30_000 });
    await shot('01-workbench');
  });

  await step('a first run suggests training once; "Don\'t ask again" dismisses it', async () => {
    // The fixture has sources and the fresh profile no model: the one nudge comes a few seconds after start-up.
    const toast = page.locator('.notification-toast', { hasText: "Seedling can learn this workspace's code" });
    await toast.waitFor({ timeout: 30_000 });
    await shot('01b-train-suggestion');
    await toast.getByRole('button', { name: "Don't ask again" }).click();
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
  });

  await step('the walkthrough opens from the palette with its five steps, none done yet', async () => {
    // Opened before anything else: VS Code starts tracking walkthrough steps when its walkthrough
    // service starts, which the Welcome page does (a user's first start opens it; this profile does not).
    const state = await openWalkthrough(page);
    assert(JSON.stringify(state) === JSON.stringify({ train: 'false', suggestion: 'false', accept: 'false', dashboard: 'false', attention: 'false' }),
      `walkthrough steps (id: checked): ${JSON.stringify(state)}`);
    await runCommand(page, 'View: Close Editor'); // the Welcome editor
  });

  const trainStarted = Date.now();
  await step('"Seedling: Train on Workspace" from the command palette starts training', async () => {
    await runCommand(page, 'Seedling: Train on Workspace');
    // The status bar shows the run (preparing, then a percentage) or, for a very fast run, is already done.
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await seedlingStatusText(page);
      if (/preparing|%/.test(text)) break;
      await sleep(200);
    }
    assert(/preparing|%/.test(text), `status bar never showed training (last: "${text}")`);
    await shot('02-training-started');
  });

  let dashboard;
  await step('"Seedling: Open Dashboard" shows live curves while training', async () => {
    await runCommand(page, 'Seedling: Open Dashboard');
    dashboard = await findWebview(page, 'dashboard');
    await waitInFrame(dashboard, () => Number(document.getElementById('loss-chart')?.dataset.points ?? 0) > 0, undefined,
      { timeout: 120_000, what: 'loss points on the dashboard' });
    await shot('03-dashboard-training');
  });

  await step('training finishes; the dashboard shows the finished run', async () => {
    const state = await waitInFrame(dashboard, () => {
      const rows = [...document.querySelectorAll('.history tbody tr')].map((tr) => tr.lastElementChild?.textContent);
      if (document.body.dataset.training !== 'idle' || !rows.includes('finished')) return null;
      const figures = Object.fromEntries([...document.querySelectorAll('.card dl.facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]));
      return { points: Number(document.getElementById('loss-chart').dataset.points), figures, samples: document.querySelectorAll('pre.sample').length, status: document.querySelector('.status')?.textContent };
    }, undefined, { timeout: 600_000, what: 'the run to finish' });
    metrics.trainingSeconds = Math.round((Date.now() - trainStarted) / 1000);
    metrics.dashboardAfterTraining = state;
    assert(state.points > 0, 'no loss points');
    assert(state.figures['Preset'] === 'tiny', `model card shows preset ${state.figures['Preset']}`);
    assert(/\d/.test(state.figures['Train loss'] ?? ''), 'no train loss figure');
    const status = await seedlingStatusText(page);
    assert(!/%|preparing/.test(status), `status bar still shows training: "${status}"`);
    await shot('04-dashboard-finished');
  });

  await step('the dashboard keeps its curves after being hidden and shown again', async () => {
    const before = await dashboard.evaluate(() => document.getElementById('loss-chart').dataset.points);
    await openFileFromExplorer(page, 'src/list.js'); // same editor group: the dashboard tab is hidden
    await page.locator('.tabs-container .tab', { hasText: /^Seedling$/ }).first().click();
    dashboard = await findWebview(page, 'dashboard');
    await waitInFrame(dashboard, (n) => document.getElementById('loss-chart')?.dataset.points === n, before, { what: `${before} points again` });
  });

  // Where to type: a user writing the rest of a file. Everything from the chosen line on is deleted, so
  // the model sees the file's beginning, which it has trained on, and continues it. One file per
  // attempt, so a failed attempt leaves nothing behind in the next one.
  const sites = [
    { file: 'src/geometry.js', line: 30, indent: '  ', prefix: 'return rect.' },
    { file: 'src/list.js', line: 16, indent: '  ', prefix: 'return sum(' },
    { file: 'src/main.js', line: 7, indent: '', prefix: 'const a = geometry.' },
  ];
  let site;
  await step('typing shows ghost text from the model and Tab accepts it', async () => {
    let ghost = '';
    for (const candidate of sites) {
      await openFileFromExplorer(page, candidate.file);
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.click({ position: { x: 300, y: 60 } });
      // Go to the line, delete its code (indentation stays) and the rest of the file, type the prefix.
      await page.keyboard.press('Control+G');
      await page.keyboard.type(String(candidate.line));
      await page.keyboard.press('Enter');
      await page.keyboard.press('End');
      await page.keyboard.press('Home'); // first non-blank character: the indentation stays
      await page.keyboard.press('Control+Shift+End');
      await page.keyboard.press('Delete');
      await page.keyboard.type(candidate.prefix, { delay: 40 });
      const found = await page.locator('.ghost-text-decoration').first().waitFor({ timeout: 15_000 }).then(() => true, () => false);
      if (found) {
        await sleep(300); // let a debounced refresh settle before reading what is shown
        // Monaco splits the ghost text of the cursor line into several highlighted spans.
        ghost = (await page.locator('.ghost-text-decoration').allTextContents()).join('').replace(/\u00a0/g, ' ');
        if (ghost.trim()) { site = candidate; break; }
      }
      await page.keyboard.press('Escape');
    }
    assert(site, `no ghost text appeared at any of ${sites.length} places`);
    const file = path.join(workspace, site.file);
    const indent = site.indent; // Home kept the line's indentation
    metrics.ghostText = { file: site.file, typed: site.prefix, shown: ghost };
    await shot('05-ghost-text');
    await page.keyboard.press('Tab');
    await page.locator('.ghost-text-decoration').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
    await page.keyboard.press('Control+S');
    // Saved when the tab is no longer dirty; then the file on disk is what the editor holds.
    await page.locator('.tabs-container .tab.dirty').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    const expected = `${indent}${site.prefix}${ghost}`;
    let line = '';
    for (let i = 0; i < 50; i++) {
      line = (await readFile(file, 'utf8')).split('\n')[site.line - 1];
      if (line === expected) break;
      await sleep(100);
    }
    assert(line === expected, `line ${site.line} of ${site.file} is ${JSON.stringify(line)} after Tab, expected ${JSON.stringify(expected)}`);
    await shot('06-completion-accepted');
  });

  let attention;
  await step('"Inspect Attention at Cursor" shows tokens, heads and the matrix for the text before the cursor', async () => {
    const t0 = Date.now();
    await runCommand(page, 'Seedling: Inspect Attention at Cursor');
    attention = await findWebview(page, 'attention');
    const state = await waitInFrame(attention, readInspector, undefined, { timeout: 60_000, what: 'the attention answer and its full matrix' });
    assert(!state.error, `inspector error: ${state.error}`);
    // The tokens must be the text before the cursor (where accepting the completion left it).
    const cursor = (await page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().innerText()).match(/Ln (\d+), Col (\d+)/);
    const lines = (await readFile(path.join(workspace, site.file), 'utf8')).split('\n');
    const ln = Number(cursor[1]);
    const doc = [...lines.slice(0, ln - 1), lines[ln - 1].slice(0, Number(cursor[2]) - 1)].join('\n');
    assert(state.tokens > 10 && state.tokens === state.matrixTokens, `token count ${state.tokens} vs matrix ${state.matrixTokens}`);
    assert(doc.endsWith(state.text), `tokens are not the text before the cursor: ...${JSON.stringify(state.text.slice(-60))}`);
    assert(state.thumbs.length === 2 * 2, `tiny preset has 2 layers x 2 heads, grid shows ${state.thumbs.length}`);
    for (const th of state.thumbs) {
      assert(th.size >= 2 && th.lastRowLit > 0, `thumbnail ${th.name} (${th.size} px) has an empty last row`);
      assert(th.upperLit === 0, `thumbnail ${th.name} has ${th.upperLit} lit pixels above the diagonal`);
    }
    assertMatrixDrawn(state, 'layer 0');
    assert(state.next > 0, 'no next-token candidates');
    const m = state.header.match(/engine (\d+) ms · round trip (\d+) ms/);
    metrics.attentionTiny = { tokens: state.tokens, engineMs: m && Number(m[1]), roundTripMs: m && Number(m[2]), commandToDrawnMs: Date.now() - t0 };
    await shot('07-attention');
  });

  await step('a second inspection at the same place answers again (warm engine)', async () => {
    const t0 = Date.now();
    await attention.evaluate(() => { document.body.dataset.attention = 'stale'; });
    await runCommand(page, 'Seedling: Inspect Attention at Cursor');
    const header = await waitInFrame(attention, () => document.body.dataset.attention === 'ready' && document.getElementById('attention-matrix').dataset.source === 'full' &&
      document.querySelector('.status')?.textContent, undefined, { timeout: 60_000, what: 'the second answer' });
    const m = header.match(/(\d+) tokens.*engine (\d+) ms · round trip (\d+) ms/);
    metrics.attentionTinyWarm = { tokens: m && Number(m[1]), engineMs: m && Number(m[2]), roundTripMs: m && Number(m[3]), commandToDrawnMs: Date.now() - t0 };
  });

  await step('the inspector picks a head, averages heads, and reveals a clicked token in the editor', async () => {
    // Each pick asks the host for that matrix; what is then drawn must be it, in full, and causal.
    await attention.click('#head-grid canvas.thumb[data-layer="1"][data-head="1"]');
    const picked = await waitInFrame(attention, readInspector, { layer: '1', head: '1' }, { what: 'layer 1 head 1 drawn in full' });
    assertMatrixDrawn(picked, 'layer 1 head 1');
    assert(picked.selectedThumbs.join() === '1/1', `selected thumbnails: ${picked.selectedThumbs.join()}`);
    await attention.click('#average-heads');
    const mean = await waitInFrame(attention, readInspector, { layer: '1', head: 'average' }, { what: 'the mean over heads drawn in full' });
    assertMatrixDrawn(mean, 'mean of layer 1');
    assert(mean.selectedThumbs.join() === '1/0,1/1', `selected thumbnails for the mean: ${mean.selectedThumbs.join()}`);
    assert(picked.weights !== mean.weights, 'the mean colours the tokens exactly as head 1 did');
    const target = await attention.evaluate(() => {
      const toks = [...document.querySelectorAll('#attention-tokens .tok')];
      const t = toks.find((s) => /^[A-Za-z_]{3,}$/.test(s.dataset.token ?? '')) ?? toks[0];
      return { index: t.dataset.index, token: t.dataset.token };
    });
    await attention.click(`#attention-tokens .tok[data-index="${target.index}"]`);
    const deadline = Date.now() + 10_000;
    let selected = '';
    while (Date.now() < deadline) {
      const status = await page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().innerText().catch(() => '');
      if (new RegExp(`\\(${target.token.length} selected\\)`).test(status)) { selected = status; break; }
      await sleep(200);
    }
    assert(selected, `clicking token ${JSON.stringify(target.token)} did not select ${target.token.length} characters in the editor`);
    await shot('08-attention-reveal');
  });

  await step('the dashboard counts the suggestion accepted with Tab', async () => {
    await page.locator('.tabs-container .tab', { hasText: /^Seedling$/ }).first().click();
    dashboard = await findWebview(page, 'dashboard');
    const readCard = () => Object.fromEntries([...document.querySelectorAll('#suggestions dl.facts dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]));
    let card;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(250)) {
      card = await dashboard.evaluate(readCard);
      if (/^[1-9]\d* of \d+/.test(card['Accepted'] ?? '')) break;
    }
    assert(/^[1-9]\d* of \d+/.test(card['Accepted'] ?? ''), `no accepted suggestion on the Suggestions card: ${JSON.stringify(card)}`);
    metrics.suggestionsCard = card;
    assert(/^[1-9]\d* whole/.test(card['How'] ?? ''), `Tab accepts a suggestion whole: ${JSON.stringify(card)}`);
  });

  await step('the walkthrough ticks the steps the user has done since', async () => {
    // Done since it was first opened, by their own commands: train, open the dashboard, inspect
    // attention. Not done: the ghost text came by typing and Tab took it, not by the trigger or
    // accept-word/line commands.
    const state = await openWalkthrough(page);
    metrics.walkthroughAfter = state;
    assert(JSON.stringify(state) === JSON.stringify({ train: 'true', suggestion: 'false', accept: 'false', dashboard: 'true', attention: 'true' }),
      `walkthrough steps (id: checked): ${JSON.stringify(state)}`);
    await shot('08a-walkthrough');
    await runCommand(page, 'View: Close Editor'); // the Welcome editor
  });

  await step('the dashboard\'s Stop button stops a second run, and the history says so', async () => {
    // A run long enough to stop for sure: the small preset (from scratch, ~0.3 s a step here) with no
    // step budget, through workspace settings (the workspace folder is watched). Completions are
    // switched off in the same write, so the status bar shows when VS Code has read them.
    const settingsDir = path.join(workspace, '.vscode');
    await mkdir(settingsDir, { recursive: true });
    await writeFile(path.join(settingsDir, 'settings.json'),
      JSON.stringify({ 'seedling.model.preset': 'small', 'seedling.training.maxSteps': 100_000, 'seedling.completion.enabled': false }, null, 2));
    await page.locator('.statusbar-item:has(.codicon-circle-slash)', { hasText: 'Seedling' }).first().waitFor({ timeout: 30_000 });
    try {
      await runCommand(page, 'Seedling: Train on Workspace');
      await page.locator('.tabs-container .tab', { hasText: /^Seedling$/ }).first().click();
      dashboard = await findWebview(page, 'dashboard');
      await waitInFrame(dashboard, () => {
        const stop = document.querySelector('button.stop');
        const first = document.querySelector('.history tbody tr');
        return stop && !stop.hidden && !stop.disabled && first?.children[1]?.textContent === 'small' && first.lastElementChild?.textContent === 'running';
      }, undefined, { timeout: 120_000, what: 'the Stop button of the running small-preset run' });
      await dashboard.locator('button.stop').click();
      const state = await waitInFrame(dashboard, () => {
        const statuses = [...document.querySelectorAll('.history tbody tr')].map((tr) => tr.lastElementChild?.textContent);
        if (document.body.dataset.training !== 'idle' || statuses[0] !== 'cancelled') return null;
        return { statuses, stopHidden: document.querySelector('button.stop').hidden, status: document.querySelector('.status')?.textContent };
      }, undefined, { timeout: 60_000, what: 'the run to stop' });
      metrics.dashboardStop = state;
      assert(state.stopHidden, 'the Stop button is hidden once nothing runs');
      assert(state.statuses.slice(1).includes('finished'), `the first run is still listed as finished: ${state.statuses}`);
      const status = await seedlingStatusText(page);
      assert(!/%|preparing|stopping/.test(status), `status bar still shows training: "${status}"`);
      await shot('08b-dashboard-stopped');
    } finally {
      await rm(settingsDir, { recursive: true, force: true });
      await page.locator('.statusbar-item:has(.codicon-sparkle)', { hasText: 'Seedling' }).first().waitFor({ timeout: 30_000 });
    }
  });

  await step('the dashboard draws 100,000 loss points within a frame', async () => {
    await page.locator('.tabs-container .tab', { hasText: /^Seedling$/ }).first().click();
    dashboard = await findWebview(page, 'dashboard');
    const perf = await dashboard.evaluate(async () => {
      const send = (data) => window.dispatchEvent(new MessageEvent('message', { data }));
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
      const model = { preset: 'synthetic', parameters: 4_300_000, device: 'cpu', threads: 2 };
      send({ type: 'runStarted', run: { runId: 'synthetic-100k', startedAt: Date.now(), model } });
      const points = [];
      for (let i = 1; i <= 100_000; i++) {
        const p = { step: i, totalSteps: 120_000, tokensSeen: i * 1024, loss: 2 + 6 * Math.exp(-i / 8000) + 0.2 * ((i * 7919) % 1000) / 1000,
          learningRate: 1e-3 * Math.min(1, i / 2000), tokensPerSecond: 20_000 + (i % 997), elapsedMs: i * 50, etaMs: (120_000 - i) * 50 };
        if (i % 2000 === 0) p.valLoss = 2.2 + 6 * Math.exp(-i / 8000);
        points.push(p);
      }
      const t0 = performance.now();
      send({ type: 'progress', runId: 'synthetic-100k', points });
      const ingestMs = performance.now() - t0;
      await frame(); await frame();
      const chart = document.getElementById('loss-chart');
      const firstDrawMs = Number(chart.dataset.drawMs);
      // Live training: one new point per frame, each redraw covering all 100,000.
      const draws = [];
      const intervals = [];
      let last = await frame();
      for (let k = 1; k <= 60; k++) {
        send({ type: 'progress', runId: 'synthetic-100k', points: [{ ...points[points.length - 1], step: 100_000 + k, tokensSeen: (100_000 + k) * 1024 }] });
        const now = await frame();
        await new Promise((r) => setTimeout(r, 0));
        intervals.push(now - last);
        last = now;
        draws.push(Number(chart.dataset.drawMs) + Number(document.getElementById('speed-chart').dataset.drawMs) + Number(document.getElementById('lr-chart').dataset.drawMs));
      }
      const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
      return {
        points: Number(chart.dataset.points), ingestMs: +ingestMs.toFixed(1), firstLossDrawMs: firstDrawMs,
        redrawAllChartsMs: { median: +q(draws, 0.5).toFixed(2), p95: +q(draws, 0.95).toFixed(2) },
        frameIntervalMs: { median: +q(intervals, 0.5).toFixed(1), p95: +q(intervals, 0.95).toFixed(1) },
      };
    });
    metrics.dashboard100k = perf;
    assert(perf.points >= 100_000, `chart reports ${perf.points} points`);
    await shot('09-dashboard-100k-points');
  });

  await step('the dashboard rejects malformed messages and keeps working', async () => {
    const r = await dashboard.evaluate(() => {
      const before = Number(document.body.dataset.rejectedMessages ?? 0);
      for (const data of [{ type: 'progress', runId: 'synthetic-100k', points: 'bad' }, { type: 'evil' }, { type: 'progress', runId: 'synthetic-100k', points: [{ step: 'x' }] }]) {
        window.dispatchEvent(new MessageEvent('message', { data }));
      }
      return { rejected: Number(document.body.dataset.rejectedMessages ?? 0) - before, points: Number(document.getElementById('loss-chart').dataset.points) };
    });
    assert(r.rejected === 3, `rejected ${r.rejected} of 3 malformed messages`);
    assert(r.points >= 100_000, 'chart lost its points');
  });

  await step('the dashboard follows dark, light and high-contrast themes', async () => {
    for (const [label, cls, name] of [['Dark Modern', 'vscode-dark', '10-dashboard-dark'], ['Light Modern', 'vscode-light', '11-dashboard-light'], ['Dark High Contrast', 'vscode-high-contrast', '12-dashboard-high-contrast']]) {
      await pickColorTheme(page, label);
      await waitInFrame(dashboard, (c) => document.body.classList.contains(c), cls, { timeout: 20_000, what: `theme ${label}` });
      await sleep(500); // the charts redraw on the next frame after the theme's colours arrive
      await shot(name);
    }
  });
}

/**
 * Runs in the inspector's frame: null until an answer is shown with the full matrix of the wanted
 * selection ({ layer, head } as the matrix's data attributes spell them; any when omitted), then what
 * a user would see: tokens, their colours, the matrix's and thumbnails' pixels.
 */
function readInspector(want) {
  const s = document.body.dataset.attention;
  if (s === 'error') return { error: document.querySelector('.status')?.textContent };
  const matrix = document.getElementById('attention-matrix');
  const m = matrix.dataset;
  if (s !== 'ready' || m.source !== 'full' || (want && (m.layer !== want.layer || m.head !== want.head))) return null;
  // Lit: a pixel differing from the background, taken above the diagonal (a causal model never attends there).
  const pixels = (canvas, step) => {
    const size = canvas.width;
    const data = canvas.getContext('2d').getImageData(0, 0, size, size).data;
    const px = (x, y) => Array.from(data.subarray((y * size + x) * 4, (y * size + x) * 4 + 3));
    const background = px(size - 1, 0);
    const lit = (x, y) => px(x, y).some((v, i) => Math.abs(v - background[i]) > 8);
    let lastRowLit = 0;
    for (let x = 0; x < size; x++) if (lit(x, size - 1)) lastRowLit++;
    let upperLit = 0;
    for (let y = 0; y < size; y += step(size)) for (let x = y + 2; x < size; x += step(size)) if (lit(x, y)) upperLit++;
    return { size, lastRowLit, upperLit };
  };
  const tokens = [...document.querySelectorAll('#attention-tokens .tok')];
  const thumbs = [...document.querySelectorAll('#head-grid canvas.thumb')];
  return {
    header: document.querySelector('.status')?.textContent ?? '',
    tokens: tokens.length, matrixTokens: Number(m.tokens),
    text: tokens.map((t) => t.dataset.token).join(''),
    coloured: tokens.filter((t) => t.style.backgroundColor).length,
    weights: tokens.map((t) => t.dataset.weight).join(),
    thumbs: thumbs.map((c) => ({ name: `${c.dataset.layer}/${c.dataset.head}`, ...pixels(c, () => 1) })),
    selectedThumbs: thumbs.filter((c) => c.classList.contains('selected')).map((c) => `${c.dataset.layer}/${c.dataset.head}`),
    next: document.querySelectorAll('#next-tokens li').length,
    ...pixels(matrix, (size) => Math.max(1, size >> 5)),
  };
}

/** The matrix shows the last query row and nothing above the diagonal; the tokens are coloured by that row. */
function assertMatrixDrawn(state, what) {
  assert(state.coloured > 0, `${what}: no token coloured by attention`);
  assert(state.lastRowLit > 0, `${what}: the last query row of the matrix is empty`);
  assert(state.upperLit === 0, `${what}: the matrix has ${state.upperLit} lit cells above the diagonal (not causal)`);
}

/** Opens Seedling's walkthrough as a user does (palette, then the pick) and reads its steps: { id: aria-checked }. */
async function openWalkthrough(page) {
  await runCommand(page, 'Welcome: Open Walkthrough...');
  await page.locator('.quick-input-widget input.input').fill('Get started with Seedling');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get started with Seedling' }).first().click();
  await page.locator('.tabs-container .tab', { hasText: 'Walkthrough: Seedling' }).first().waitFor({ timeout: 30_000 });
  const steps = page.locator('button.getting-started-step[data-step-id^="seedling.seedling#firstRun#"]');
  await steps.first().waitFor({ timeout: 30_000 });
  return Object.fromEntries(await steps.evaluateAll((els) => els.map((e) => [e.dataset.stepId.split('#').pop(), e.getAttribute('aria-checked')])));
}

/** Picks a colour theme the way a user does: "Preferences: Color Theme", type its name, Enter. */
async function pickColorTheme(page, label) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(label);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
}
