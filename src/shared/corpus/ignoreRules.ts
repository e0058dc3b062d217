/**
 * ignoreRules.ts: .gitignore files (nested ones too, each scoped to its own directory) and the
 * caller's extra exclude globs (VS Code's files.exclude / search.exclude style).
 */
import ignore, { type Ignore } from 'ignore';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The rules of one directory's .gitignore. `dir` is relative to the root, with '/' separators ('' = root). */
interface ScopedRules { dir: string; rules: Ignore }

/**
 * VS Code globs are close to gitignore patterns except for brace alternatives ({a,b}); expand those
 * (nested braces too) and hand the rest to the gitignore matcher, which anchors "a/b" patterns to
 * the root and lets "name" or "**\/name" match at any depth, as VS Code does.
 */
export function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  if (open < 0) return [glob];
  let depth = 0;
  for (let i = open; i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) {
      const inner = glob.slice(open + 1, i);
      const parts: string[] = [];
      let start = 0;
      let d = 0;
      for (let j = 0; j < inner.length; j++) {
        if (inner[j] === '{') d++;
        else if (inner[j] === '}') d--;
        else if (inner[j] === ',' && d === 0) { parts.push(inner.slice(start, j)); start = j + 1; }
      }
      parts.push(inner.slice(start));
      return parts.flatMap((p) => expandBraces(glob.slice(0, open) + p + glob.slice(i + 1)));
    }
  }
  return [glob];
}

export function excludeMatcher(globs: string[]): Ignore {
  const rules = ignore();
  for (const g of globs) {
    for (const pattern of expandBraces(g.trim())) {
      // "./x" and a leading "/" both mean "relative to the root" in VS Code settings.
      const cleaned = pattern.replace(/^\.\//, '/');
      if (cleaned) rules.add(cleaned);
    }
  }
  return rules;
}

export class IgnoreStack {
  private readonly scopes: ScopedRules[] = [];

  constructor(private readonly root: string, private readonly extra: Ignore) {}

  /** Read dir/.gitignore (if any) before walking into dir. Returns whether rules were added. */
  async enter(relDir: string): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(path.join(this.root, relDir, '.gitignore'), 'utf8');
    } catch {
      return false;
    }
    this.scopes.push({ dir: relDir, rules: ignore().add(text) });
    return true;
  }

  leave(): void { this.scopes.pop(); }

  /** relPath: relative to the root, '/' separators; directories are tested as "name/". */
  isIgnored(relPath: string, isDirectory: boolean): boolean {
    const probe = isDirectory ? `${relPath}/` : relPath;
    if (this.extra.ignores(probe)) return true;
    // As git does: the deepest .gitignore with a verdict on the path decides, so a nested file's
    // "!keep.log" re-includes what a parent's "*.log" left out (and vice versa).
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i];
      const local = scope.dir ? probe.slice(scope.dir.length + 1) : probe;
      if (!local) continue;
      const verdict = scope.rules.test(local);
      if (verdict.ignored) return true;
      if (verdict.unignored) return false;
    }
    return false;
  }
}
