/**
 * confidence.test.ts: the estimate that a suggestion is kept (src/shared/completion/confidence.ts)
 * and the script that fits it (scripts/fit-confidence.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CALIBRATION, CONFIDENCE_FEATURES, confidenceFeatures, keptProbability } from '../../src/shared/completion/confidence';
import { CURSOR_KINDS } from '../../src/shared/completion/cursorKind';
import type { LineScore } from '../../src/shared/protocol';

const line = (over: Partial<LineScore>): LineScore => ({
  logP: -6, minLogP: -3, tokens: 6, modelLogP: -9, modelMinLogP: -4, startMatch: 4, startShare: 0.5, ...over,
});

test('every kind has one coefficient per feature, and the features are what the names say', () => {
  for (const kind of CURSOR_KINDS) assert.equal(CALIBRATION[kind].length, CONFIDENCE_FEATURES.length, kind);
  const x = confidenceFeatures(line({ tokens: 3, logP: -3, modelLogP: -6, startMatch: 0 }));
  assert.deepEqual(x.slice(0, 2), [1, -1]);
  assert.equal(x[4], -2);
  assert.equal(x[6], 0);
});

test('a line that the GPT and a long, unanimous repository match back is likelier kept than one neither backs', () => {
  for (const kind of CURSOR_KINDS) {
    const backed = keptProbability(kind, line({ logP: -0.6, minLogP: -0.3, modelLogP: -1.2, modelMinLogP: -0.6, startMatch: 40, startShare: 1 }));
    const unbacked = keptProbability(kind, line({ logP: -24, minLogP: -9, modelLogP: -30, modelMinLogP: -10, startMatch: 0, startShare: 0 }));
    assert.ok(backed > 0.5 && unbacked < 0.2 && backed > unbacked, `${kind}: ${backed} vs ${unbacked}`);
  }
});

test('fit-confidence.mjs learns a feature that tells kept lines apart, and picks the lowest threshold that transfers', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seedling-fit-'));
  try {
    // Two code bases where the second feature decides: above 0 the line is right four times in five.
    const files = [1, 2].map((seed) => {
      const rows: string[] = [];
      for (let i = 0; i < 200; i++) {
        const good = i % 2 === 0;
        const right = good ? (i + seed) % 5 !== 0 : (i + seed) % 10 === 0;
        const candidate = right ? 'x = 1' : 'y = 2';
        const features = [1, good ? 1 : -1, 0, 0, 0, 0, 0, 0];
        rows.push(JSON.stringify({ kind: 'end-of-line', target: 'x = 1\n', answers: { seedling: { text: candidate, candidate, features }, copy: { text: 'x' } } }));
      }
      const file = path.join(dir, `base${seed}.jsonl`);
      writeFileSync(file, `${rows.join('\n')}\n`);
      return file;
    });
    const script = path.join(__dirname, '..', '..', 'scripts', 'fit-confidence.mjs');
    const run = spawnSync(process.execPath, [script, ...files], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const table = JSON.parse(run.stdout.trim().split('\n')[0]);
    assert.ok(table['end-of-line'][1] > 1, `the deciding feature's weight: ${table['end-of-line'][1]}`);
    // Fitted on one, scored on the other, only the good half clears 0.3, and 0.8 of it is right.
    assert.match(run.stderr, /default threshold: 0\.3 /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
