/**
 * ignoreRules.ts: .gitignore files (nested ones too, each scoped to its own directory) and the
 * caller's extra exclude globs (VS Code's files.exclude / search.exclude style).
 */
import ignore, { type Ignore } from 'ignore';
import * as path from 'node:path';
import { readRegularFile, type RefusedRead } from '../boundedRead';

/** A .gitignore above this is not a list of paths someone wrote; it is left out. */
export const MAX_GITIGNORE_BYTES = 1024 * 1024;

/** More patterns than this from one glob's braces is an error, not a long wait: {a,b} 30 times is 2^30. */
export const MAX_BRACE_EXPANSIONS = 1000;

/** The rules of one directory's .gitignore. `dir` is relative to the root, with '/' separators ('' = root). */
interface ScopedRules { dir: string; rules: Ignore }

/**
 * VS Code globs are close to gitignore patterns except for brace alternatives ({a,b}); expand those
 * (nested braces too) and hand the rest to the gitignore matcher, which anchors "a/b" patterns to
 * the root and lets "name" or "**\/name" match at any depth, as VS Code does.
 * Throws past `limit` patterns; the work done is bounded by the patterns produced, so it fails fast.
 */
export function expandBraces(glob: string, limit = MAX_BRACE_EXPANSIONS): string[] {
  const out: string[] = [];
  expandInto(glob, out, limit, glob);
  return out;
}

function expandInto(glob: string, out: string[], limit: number, original: string): void {
  const open = glob.indexOf('{');
  let close = -1;
  for (let i = open, depth = 0; open >= 0 && i < glob.length; i++) {
    if (glob[i] === '{') depth++;
    else if (glob[i] === '}' && --depth === 0) { close = i; break; }
  }
  if (close < 0) {
    if (out.length >= limit) {
      throw new Error(`the exclude glob "${original.slice(0, 80)}" expands to more than ${limit} patterns; simplify its {braces}`);
    }
    out.push(glob);
    return;
  }
  const inner = glob.slice(open + 1, close);
  let start = 0;
  for (let j = 0, d = 0; j <= inner.length; j++) {
    if (inner[j] === '{') d++;
    else if (inner[j] === '}') d--;
    else if (j === inner.length || (inner[j] === ',' && d === 0)) {
      expandInto(glob.slice(0, open) + inner.slice(start, j) + glob.slice(close + 1), out, limit, original);
      start = j + 1;
    }
  }
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

  /**
   * Read dir/.gitignore (if any) before walking into dir. A .gitignore that is a link, a device, a
   * FIFO or over MAX_GITIGNORE_BYTES is refused (as git refuses a symlinked .gitignore) and its
   * reason returned; a missing one is simply absent.
   */
  async enter(relDir: string, signal?: AbortSignal): Promise<{ added: boolean; refused?: RefusedRead }> {
    const read = await readRegularFile(path.join(this.root, relDir, '.gitignore'), MAX_GITIGNORE_BYTES, signal);
    if ('refused' in read) return { added: false, refused: read.refused === 'missing' ? undefined : read.refused };
    this.scopes.push({ dir: relDir, rules: ignore().add(read.data.toString('utf8')) });
    return { added: true };
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
