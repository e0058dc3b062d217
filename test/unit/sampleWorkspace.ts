/**
 * sampleWorkspace.ts: the source files of test/fixtures/sample-workspace, sorted, for tests that
 * train a real engine on a small real workspace.
 */
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export function sampleFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(js|py)$/.test(name)) out.push(p);
    }
  };
  walk(path.join(root, 'test', 'fixtures', 'sample-workspace'));
  return out;
}
