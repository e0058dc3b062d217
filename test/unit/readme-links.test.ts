/**
 * readme-links.test.ts: the README ships inside the VSIX, and vsce refuses to package one whose
 * markdown links are relative (it cannot tell where they would point once published): a relative
 * link there breaks `npm run package`, long after the edit that added it. The one exception is the
 * pictures in docs/images/, inside the README's pictures block, which scripts/package.mjs leaves out
 * of the packaged copy (or vsce points at the published repository, when package.json names one).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readmeWithoutPictures } from '../../scripts/readme-for-vsix.mjs';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const relativeLinks = (text: string) => [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !/^(https?:|mailto:|#)/.test(href));

test('the README links only absolute URLs, besides its pictures in docs/images/', () => {
  assert.deepEqual(relativeLinks(readme).filter((href) => !/^docs\/images\/[\w-]+\.png$/.test(href)), []);
});

test('the README as packaged (pictures left out) has no relative link at all', () => {
  const { text, removed } = readmeWithoutPictures(readme);
  assert.deepEqual(relativeLinks(text), []);
  assert.ok(removed.length >= 3, `the pictures were there to leave out: ${removed.join(', ')}`);
  assert.doesNotMatch(text, /<!-- \/?pictures -->/, 'the block markers go too');
  // Everything else stays: the packaged README is the repository's, less the pictures block.
  assert.ok(text.includes('## Quick start') && text.includes('## Licence'));
});
