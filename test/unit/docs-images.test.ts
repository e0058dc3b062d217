/**
 * docs-images.test.ts: every image README.md and docs/*.md embed by relative path exists, and the
 * README's pictures (made by `npm run screenshots`) are PNGs small enough to ship and to load.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { relativeImages } from '../../scripts/readme-for-vsix.mjs';

const root = path.join(__dirname, '..', '..');
const docs = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

test('every image linked from README.md and docs/*.md exists', () => {
  const missing: string[] = [];
  let count = 0;
  for (const doc of docs) {
    for (const href of relativeImages(readFileSync(path.join(root, doc), 'utf8'))) {
      count++;
      const target = path.resolve(path.dirname(path.join(root, doc)), decodeURIComponent(href.split(/[?#]/)[0]));
      if (!existsSync(target)) missing.push(`${doc} → ${href}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(count >= 4, `found ${count} image links: the pattern still matches what the docs use`);
});

test('a missing image is caught (the check looks where the link points)', () => {
  const [href] = relativeImages('text ![a picture](docs/images/not-there.png) more');
  assert.equal(href, 'docs/images/not-there.png');
  assert.equal(existsSync(path.join(root, href)), false);
});

test('the README shows the ghost text, the dashboard and the attention inspector, as PNGs under 300 KB', () => {
  const images = relativeImages(readFileSync(path.join(root, 'README.md'), 'utf8'));
  for (const name of ['ghost-text', 'dashboard', 'attention']) {
    const href = `docs/images/${name}.png`;
    assert.ok(images.includes(href), `README embeds ${href}`);
    const file = path.join(root, href);
    assert.deepEqual([...readFileSync(file).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${href} is a PNG`);
    assert.ok(statSync(file).size < 300 * 1024, `${href} is ${statSync(file).size} bytes`);
  }
});
