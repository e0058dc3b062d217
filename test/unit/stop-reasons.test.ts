/**
 * stop-reasons.test.ts: the reasons a generation stops are named once in C (sl_stop_reason_name) and
 * once in TypeScript (STOP_REASONS); the addon passes the C names through, so the two lists must agree.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { STOP_REASONS } from '../../src/shared/protocol';

const root = path.resolve(__dirname, '..', '..');

test('the C engine and TypeScript name the stop reasons alike, in enum order', () => {
  const c = readFileSync(path.join(root, 'native', 'src', 'infer', 'stop_reason.c'), 'utf8');
  const header = readFileSync(path.join(root, 'native', 'include', 'seedling.h'), 'utf8');
  const names = [...c.matchAll(/case (SL_STOP_\w+): return "([^"]+)";/g)].map((m) => ({ id: m[1], name: m[2] }));
  const enumBody = /typedef enum\s*\{([^}]*SL_STOP_BUDGET[^}]*)\}\s*sl_stop_reason/.exec(header)?.[1] ?? '';
  const order = [...enumBody.matchAll(/(SL_STOP_\w+)/g)].map((m) => m[1]).filter((id) => id !== 'SL_NUM_STOP_REASONS');
  assert.ok(order.length > 0, 'found the sl_stop_reason enum');
  assert.deepEqual(order.map((id) => names.find((n) => n.id === id)?.name), [...STOP_REASONS]);
});
