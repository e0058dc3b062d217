/**
 * process-boundaries.test.ts: the source folders are the processes (docs/architecture.md), and a process
 * never imports another process's folder; only src/shared/ crosses. This reads every import of every
 * TypeScript file under src/ and webview/ and fails on an edge that the table below does not allow.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '..', '..');

/** Which top-level folders each folder may import from (besides itself). */
export const ALLOWED: Record<string, readonly string[]> = {
  'src/shared': [],
  'src/host': ['src/shared'],
  'src/engine': ['src/shared'],
  'src/eval': ['src/shared'],
  'src/cli': ['src/shared', 'src/eval'],
  webview: ['src/shared'],
};

function folderOf(file: string): string | undefined {
  const rel = relative(root, file).split(sep).join('/');
  return Object.keys(ALLOWED).find((f) => rel === f || rel.startsWith(f + '/'));
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The relative module specifiers of a file: static imports, re-exports and dynamic imports. */
export function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of source.matchAll(pattern)) specs.push(m[1]);
  return specs;
}

export function boundaryViolations(files: { file: string; source: string }[]): string[] {
  const violations: string[] = [];
  for (const { file, source } of files) {
    const from = folderOf(file);
    if (!from) continue;
    for (const spec of relativeImports(source)) {
      const target = resolve(dirname(file), spec);
      const to = folderOf(target);
      const rel = relative(root, target);
      if (!to) violations.push(`${relative(root, file)} imports ${spec}, outside every process folder (${rel})`);
      else if (to !== from && !ALLOWED[from].includes(to)) violations.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  return violations;
}

test('the import scanner sees static, re-exported and dynamic imports', () => {
  assert.deepEqual(relativeImports(`import a from './a';\nexport { b } from "../b";\nconst c = await import('./c');\nimport type { D } from '../../d';`),
    ['./a', '../b', './c', '../../d']);
});

test('no process folder imports another process folder; only src/shared crosses', () => {
  const files = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'webview'))];
  assert.ok(files.length > 50, `found only ${files.length} source files`);
  assert.deepEqual(boundaryViolations(files.map((file) => ({ file, source: readFileSync(file, 'utf8') }))), []);
});

test('the check rejects a host file that imports the engine, and a webview file that imports the host', () => {
  const violations = boundaryViolations([
    { file: join(root, 'src', 'host', 'x.ts'), source: "import { a } from '../engine/engineProcess';\nimport { b } from '../shared/protocol';" },
    { file: join(root, 'webview', 'y.ts'), source: "import { c } from '../src/host/dashboard/attentionData';" },
  ]);
  assert.equal(violations.length, 2, violations.join('\n'));
});
