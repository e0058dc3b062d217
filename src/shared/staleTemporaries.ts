/**
 * staleTemporaries.ts: an atomic write that is killed (SIGKILL, power cut) before its rename leaves
 * its temporary file behind. Nothing else ever removes it, so a process that is killed repeatedly
 * (the kill -9 drill, a crash-looping engine) would fill the storage folder with dead checkpoints.
 * cleanStaleTemporaries removes the leftovers of one target file when the next writer starts.
 *
 * Only names that our own writers produce are matched, for that target and nothing else:
 *  - `<file>.tmp-XXXXXX`: the engine's mkstemp temporary (native/src/io/checkpoint.c);
 *  - `<file>.<16 hex>.tmp`: privateFiles.ts's temporaryNameFor.
 * Only regular files are removed (lstat: a link is never followed). Callers own the target: two
 * writers of the same checkpoint at once would already overwrite each other's file.
 */
import { lstat, readdir, unlink } from 'node:fs/promises';
import * as path from 'node:path';

export interface CleanedTemporaries {
  /** Full paths of the leftovers that were removed. */
  removed: string[];
  /** Leftovers that could not be removed, with why (e.g. EACCES). */
  failed: { path: string; reason: string }[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `name` (a bare file name) is one of our temporaries for the target named `target`. */
export function isTemporaryOf(name: string, target: string): boolean {
  const base = escapeRegExp(target);
  return new RegExp(`^${base}\\.tmp-[A-Za-z0-9]{6}$`).test(name) || new RegExp(`^${base}\\.[0-9a-f]{16}\\.tmp$`).test(name);
}

/** Removes the leftover temporaries of each file in `targets` (all in the same folder or not). */
export async function cleanStaleTemporaries(targets: readonly string[]): Promise<CleanedTemporaries> {
  const out: CleanedTemporaries = { removed: [], failed: [] };
  const byDir = new Map<string, string[]>();
  for (const t of targets) {
    const dir = path.dirname(path.resolve(t));
    byDir.set(dir, [...(byDir.get(dir) ?? []), path.basename(t)]);
  }
  for (const [dir, names] of byDir) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue;  // no folder yet: nothing was ever written there
    }
    for (const entry of entries) {
      if (!names.some((n) => isTemporaryOf(entry, n))) continue;
      const full = path.join(dir, entry);
      try {
        if (!(await lstat(full)).isFile()) continue;
        await unlink(full);
        out.removed.push(full);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') out.failed.push({ path: full, reason: code ?? (err as Error).message });
      }
    }
  }
  return out;
}
