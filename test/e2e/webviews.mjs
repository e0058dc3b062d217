// webviews.mjs: finding and reading Seedling's webviews (dashboard, attention inspector) inside the
// workbench page, where each lives in a nested iframe of its own origin.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The frame whose <body data-view> is `view` ("dashboard" | "attention"), waiting up to `timeout`. */
export async function findWebview(page, view, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      // Found once its script has built the view (the body attribute alone comes before the script runs).
      const found = await frame.evaluate(() => (document.getElementById('app')?.childElementCount ? document.body.dataset.view : null)).catch(() => null);
      if (found === view) return frame;
    }
    await sleep(250);
  }
  throw new Error(`no ${view} webview after ${timeout} ms`);
}

/** Polls `fn` (evaluated in the frame) until it returns a truthy value. */
export async function waitInFrame(frame, fn, arg, { timeout = 30_000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await frame.evaluate(fn, arg).catch((e) => ({ error: e.message }));
    if (last && !last.error) return last;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Text of the status bar item that belongs to Seedling (icons are spans without text). */
export async function seedlingStatusText(page) {
  const items = await page.locator('.statusbar-item').allInnerTexts();
  return items.map((t) => t.trim()).find((t) => /Seedling/.test(t)) ?? '';
}
