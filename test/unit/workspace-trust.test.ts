/**
 * Workspace Trust and virtual workspaces are declared on purpose (package.json), and a repository's
 * own .vscode/settings.json cannot choose the model that serves its user.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const settings: Record<string, { scope?: string }> = pkg.contributes.configuration.properties
  ?? Object.assign({}, ...pkg.contributes.configuration.map((c: { properties: object }) => c.properties));

test('Restricted Mode: limited support, said in words, with the settings a folder may not set', () => {
  const trust = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(trust?.supported, 'limited');
  assert.match(trust.description, /Restricted Mode/);
  assert.match(trust.description, /neither trains on nor indexes/);
  assert.ok(trust.restrictedConfigurations.length > 0);
  for (const key of trust.restrictedConfigurations) assert.ok(settings[key], `${key} is not a setting`);
  assert.ok(trust.restrictedConfigurations.includes('seedling.threads'));
});

test('virtual workspaces are not supported, and the description says why', () => {
  const virtual = pkg.capabilities?.virtualWorkspaces;
  assert.equal(virtual?.supported, false);
  assert.match(virtual.description, /disk/);
});

test('the base model path is a machine setting: a workspace cannot pick the model', () => {
  assert.equal(settings['seedling.model.baseModelPath'].scope, 'machine');
});
