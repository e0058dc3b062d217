// require-source.mjs: lets a script outside the bundles use TypeScript from src/: esbuild bundles the
// given exports into a temporary CommonJS module, which is required and returned (native .node files
// stay external and load at run time).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `exports` is TypeScript source of re-exports relative to the repository root, e.g. "export { X } from './src/a';". */
export async function requireSource(exports) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'seedling-script-'));
  try {
    const bundle = path.join(scratch, 'bundle.cjs');
    await esbuild.build({
      stdin: { contents: exports, resolveDir: root, loader: 'ts' },
      outfile: bundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', external: ['*.node'],
    });
    return createRequire(import.meta.url)(bundle);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
