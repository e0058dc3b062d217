/**
 * The preset list is written once (src/shared/presets.ts); package.json's setting repeats it because
 * JSON cannot import. This keeps the two equal, and checks that the CLI and the engine's training
 * table cover exactly the same names.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseCommand } from '../../src/cli/args';
import { trainParamsFrom, trainSpec } from '../../src/cli/trainCommand';
import { PRESET_TRAINING } from '../../src/engine/training/trainSettings';
import { DEFAULT_PRESET, PRESETS, PRESET_NAMES } from '../../src/shared/presets';

const root = path.resolve(__dirname, '..', '..');

test("package.json's seedling.model.preset setting lists the presets of presets.ts, in order, with their descriptions", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const setting = manifest.contributes.configuration.properties['seedling.model.preset'];
  assert.deepEqual(setting.enum, PRESET_NAMES);
  assert.deepEqual(setting.enumDescriptions, PRESETS.map((p) => p.description));
  assert.equal(setting.default, DEFAULT_PRESET);
});

test('every preset has training settings in the engine, and the CLI accepts exactly the presets', () => {
  assert.deepEqual(Object.keys(PRESET_TRAINING), PRESET_NAMES);
  for (const name of PRESET_NAMES) {
    assert.equal(trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--from-scratch', '--preset', name]), root).preset, name);
  }
  assert.equal(trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--from-scratch']), root).preset, DEFAULT_PRESET);
});
