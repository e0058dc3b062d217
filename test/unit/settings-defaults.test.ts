/**
 * settings-defaults.test.ts: a setting's default is declared twice, in package.json (what VS Code
 * shows) and in the code that reads it; they must agree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_MAX_TOKENS, DEFAULT_MIN_CONFIDENCE } from '../../src/shared/completion/editorRequest';

test('the completion settings default to what the code uses (the editor, the CLI and eval alike)', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const settings = pkg.contributes.configuration.properties;
  assert.equal(settings['seedling.completion.minConfidence'].default, DEFAULT_MIN_CONFIDENCE);
  assert.equal(settings['seedling.completion.maxTokens'].default, DEFAULT_MAX_TOKENS);
});
