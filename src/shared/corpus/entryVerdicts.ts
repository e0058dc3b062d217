/**
 * entryVerdicts.ts: the collector's rules for one directory entry, and the same rules applied to a
 * single file that changed (a save in the editor), so a file the corpus walk leaves out (ignored,
 * generated, a credential) cannot reach the completion index through the back door of a save.
 */
import * as path from 'node:path';
import { isGeneratedDirectory, skipByContent, skipByName, type SkipReason } from './fileFilters';
import { IgnoreStack, excludeMatcher } from './ignoreRules';

/** Why a directory is not walked; undefined to walk it, null for `.git` (never text, not even counted). */
export function directoryVerdict(name: string, rel: string, stack: IgnoreStack): SkipReason | null | undefined {
  if (name === '.git') return null;
  if (isGeneratedDirectory(name)) return 'generated';
  if (stack.isIgnored(rel, true)) return 'ignored';
  return undefined;
}

/** Why a file is left out by its path alone, or undefined to look at its content. */
export function fileNameVerdict(name: string, rel: string, stack: IgnoreStack): SkipReason | undefined {
  return stack.isIgnored(rel, false) ? 'ignored' : skipByName(name);
}

export interface SingleFileRules {
  excludeGlobs: string[];
  /** As the collector's maxFileBytes (default 1 MB). */
  maxFileBytes?: number;
  signal?: AbortSignal;
}

/**
 * Why the collector would leave out `file` (under `root`) with this content, or undefined when it
 * would keep it. Reads the .gitignore files on the way down from the root, as a walk would.
 */
export async function singleFileVerdict(root: string, file: string, content: Buffer, rules: SingleFileRules): Promise<SkipReason | undefined> {
  const rel = path.relative(root, file).split(path.sep).join('/');
  if (!rel || rel.startsWith('../') || path.isAbsolute(rel)) return 'ignored';
  const parts = rel.split('/');
  const stack = new IgnoreStack(root, excludeMatcher(rules.excludeGlobs));
  let dir = '';
  for (let i = 0; i < parts.length - 1; i++) {
    await stack.enter(dir, rules.signal);
    const sub = dir ? `${dir}/${parts[i]}` : parts[i];
    const verdict = directoryVerdict(parts[i], sub, stack);
    if (verdict !== undefined) return verdict ?? 'ignored';
    dir = sub;
  }
  await stack.enter(dir, rules.signal);
  const byName = fileNameVerdict(parts[parts.length - 1], rel, stack);
  if (byName) return byName;
  if (content.length > (rules.maxFileBytes ?? 1024 * 1024)) return 'too large';
  return skipByContent(content);
}
