/**
 * gitHistory.ts: what `seedling eval --history` reads of a repository's past, through the local `git`
 * binary (nothing leaves the machine): the commits after a revision, the tree at a revision written
 * out as files, and for each commit the files it changed and the lines it added.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** Git's output above this is refused (a history eval reads source files, not release blobs). */
const MAX_GIT_OUTPUT = 256 * 1024 * 1024;

export interface CommitChange {
  status: 'added' | 'modified' | 'deleted';
  path: string; // relative, with '/'
}

function git(repo: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_GIT_OUTPUT) child.kill();
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', (e) => reject(new Error(`git could not be run: ${e.message}`)));
    child.on('close', (code) => {
      if (size > MAX_GIT_OUTPUT) reject(new Error(`git ${args[0]}: output over ${MAX_GIT_OUTPUT} bytes`));
      else if (code !== 0) reject(new Error(`git ${args.join(' ')}: ${err.trim() || `exit ${code}`}`));
      else resolve(Buffer.concat(out));
    });
  });
}

/** The full hash of a revision, or an error that names it. */
export async function resolveRevision(repo: string, rev: string): Promise<string> {
  return (await git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).toString().trim();
}

/** The commits after `from` up to `to`, oldest first, following first parents (the branch's own story). */
export async function commitsBetween(repo: string, from: string, to: string): Promise<string[]> {
  const out = (await git(repo, ['rev-list', '--reverse', '--first-parent', `${from}..${to}`])).toString();
  return out.split('\n').filter(Boolean);
}

/** Every file of the tree at `rev`: relative path and content. */
export async function treeAt(repo: string, rev: string): Promise<Map<string, Buffer>> {
  const listing = (await git(repo, ['ls-tree', '-r', '-z', '--full-tree', rev])).toString().split('\0').filter(Boolean);
  const files = new Map<string, Buffer>();
  for (const entry of listing) {
    // "<mode> <type> <object>\t<path>": only regular files (100644, 100755), not links or submodules.
    const tab = entry.indexOf('\t');
    const [mode, type] = entry.slice(0, tab).split(' ');
    if (type !== 'blob' || !mode.startsWith('100')) continue;
    const file = entry.slice(tab + 1);
    files.set(file, await fileAt(repo, rev, file));
  }
  return files;
}

export function fileAt(repo: string, rev: string, file: string): Promise<Buffer> {
  return git(repo, ['show', `${rev}:${file}`]);
}

/**
 * What a commit did to files, against its first parent. A file moved (with or without edits) is
 * "modified" at its new path, so moved code is not counted as written anew.
 */
export async function changesOf(repo: string, commit: string): Promise<CommitChange[]> {
  const fields = (await git(repo, ['diff-tree', '-r', '-z', '-M', '--no-commit-id', '--name-status', `${commit}^`, commit]))
    .toString().split('\0').filter(Boolean);
  const changes: CommitChange[] = [];
  for (let i = 0; i < fields.length;) {
    const status = fields[i][0];
    if (status === 'R' || status === 'C') {
      // "R<score>\0old\0new": the file now lives at new.
      changes.push({ status: status === 'R' ? 'modified' : 'added', path: fields[i + 2] });
      if (status === 'R') changes.push({ status: 'deleted', path: fields[i + 1] });
      i += 3;
    } else {
      changes.push({ status: status === 'A' ? 'added' : status === 'D' ? 'deleted' : 'modified', path: fields[i + 1] });
      i += 2;
    }
  }
  return changes;
}

/**
 * Per file the commit left (by its new path), the 0-based line numbers of the lines it added. Moves
 * are followed (-M), so a moved file contributes only the lines that changed in the move.
 */
export async function addedLinesOf(repo: string, commit: string): Promise<Map<string, number[]>> {
  const diff = (await git(repo, ['diff', '-U0', '-M', '--no-color', '--no-ext-diff', '--src-prefix=a/', '--dst-prefix=b/', `${commit}^`, commit])).toString();
  const added = new Map<string, number[]>();
  let lines: number[] | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      lines = undefined;
    } else if (line.startsWith('+++ ')) {
      // "+++ b/path" (or /dev/null for a deleted file); quoted paths carry escapes we do not decode.
      const target = line.slice(4);
      lines = target.startsWith('b/') ? [] : undefined;
      if (lines) added.set(target.slice(2), lines);
    } else if (lines && line.startsWith('@@ ')) {
      const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!hunk) continue;
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      for (let k = 0; k < count; k++) lines.push(start - 1 + k);
    }
  }
  return added;
}

/** Writes files under dir (replacing what is there), creating folders as needed. */
export async function writeFiles(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [file, content] of files) {
    const target = path.join(dir, ...file.split('/'));
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`refusing a path outside the workspace: ${file}`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

export async function removeFiles(dir: string, files: string[]): Promise<void> {
  for (const file of files) await rm(path.join(dir, ...file.split('/')), { force: true });
}
