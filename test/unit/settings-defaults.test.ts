/**
 * settings-defaults.test.ts: a setting's default is declared twice, in package.json (what VS Code
 * shows) and in the code that reads it; they must agree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_MIN_CONFIDENCE } from '../../src/shared/completion/editorRequest';

test('seedling.completion.minConfidence defaults to the measured threshold', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  assert.equal(pkg.contributes.configuration.properties['seedling.completion.minConfidence'].default, DEFAULT_MIN_CONFIDENCE);
});
