/**
 * readme-links.test.ts: the README ships inside the VSIX, and vsce refuses to package one whose
 * markdown links are relative (it cannot tell where they would point once published): a relative
 * link there breaks `npm run package`, long after the edit that added it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

test('the README links only absolute URLs (vsce packages it)', () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const relative = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|mailto:|#)/.test(href));
  assert.deepEqual(relative, []);
});
