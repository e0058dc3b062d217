/**
 * collect.ts: walk the workspace roots and pick the files a model should learn from.
 *
 * Skipped (and counted by reason): .gitignore'd and excluded paths, dependency/build directories,
 * binary, minified, generated and oversized files, credentials (by name or by a key-like line; see
 * secrets.ts), exact duplicates, and whatever exceeds the total size cap. Everything is async (fs/promises), a few files at a time, and abortable, so an extension
 * host stays responsive while a large repository is scanned.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { readRegularFile } from '../boundedRead';
import { directoryVerdict, fileNameVerdict } from './entryVerdicts';
import { skipByContent, type SkipReason } from './fileFilters';
import { IgnoreStack, excludeMatcher } from './ignoreRules';
import type { Corpus, CorpusFile, CorpusSummary } from './types';

export interface CollectOptions {
  /** Files above this are skipped as 'too large' (default 1 MB). */
  maxFileBytes?: number;
  /** Stop adding files past this many bytes in total (default 64 MB). */
  maxTotalBytes?: number;
  /** Stop after this many files (default 50 000). */
  maxFiles?: number;
  signal?: AbortSignal;
}

const READ_CONCURRENCY = 8;

export async function collectCorpus(roots: string[], excludeGlobs: string[] = [], signal?: AbortSignal,
  options: CollectOptions = {}): Promise<Corpus> {
  const collector = new Collector(excludeGlobs, { ...options, signal: signal ?? options.signal });
  for (const root of roots) await collector.walkRoot(path.resolve(root));
  return collector.result();
}

class Collector {
  private readonly entries: CorpusFile[] = [];
  private readonly skipped: Partial<Record<SkipReason, number>> = {};
  private readonly seen = new Set<string>();
  private totalBytes = 0;
  private readonly maxFileBytes: number;
  private readonly maxTotalBytes: number;
  private readonly maxFiles: number;
  private readonly extra;

  constructor(excludeGlobs: string[], private readonly options: CollectOptions) {
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * 1024 * 1024;
    this.maxFiles = options.maxFiles ?? 50_000;
    this.extra = excludeMatcher(excludeGlobs);
  }

  result(): Corpus {
    const summary: CorpusSummary = {
      files: this.entries.length,
      bytes: this.totalBytes,
      skipped: Object.fromEntries(Object.entries(this.skipped).filter(([, n]) => n! > 0)) as Record<string, number>,
    };
    return { files: this.entries.map((e) => e.path), entries: this.entries, summary };
  }

  async walkRoot(root: string): Promise<void> {
    const stack = new IgnoreStack(root, this.extra);
    await this.walkDir(root, '', stack);
  }

  private skip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /** Set by the first file that does not fit: from then on nothing more is opened or listed. */
  private capped = false;

  private full(): boolean {
    return this.capped || this.entries.length >= this.maxFiles || this.totalBytes >= this.maxTotalBytes;
  }

  private async walkDir(root: string, relDir: string, stack: IgnoreStack): Promise<void> {
    this.options.signal?.throwIfAborted();
    if (this.full()) return;
    let dirents: Dirent[];
    try {
      dirents = await readdir(path.join(root, relDir), { withFileTypes: true });
    } catch {
      this.skip('unreadable');
      return;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const gitignore = await stack.enter(relDir, this.options.signal);
    if (gitignore.refused) this.skip('unsafe .gitignore');
    try {
      // This directory's files first, then its subdirectories, each in name order.
      const files: string[] = [];
      const dirs: string[] = [];
      for (const d of dirents) {
        const rel = relDir ? `${relDir}/${d.name}` : d.name;
        if (d.isDirectory()) {
          const verdict = directoryVerdict(d.name, rel, stack);
          if (verdict) this.skip(verdict);
          else if (verdict === undefined) dirs.push(rel);
        } else if (d.isFile()) {
          if (d.name === '.gitignore') continue;
          const byName = fileNameVerdict(d.name, rel, stack);
          if (byName) this.skip(byName);
          else files.push(rel);
        }
        // symlinks and special files are left out: a link can point outside the workspace or loop
      }
      await this.walkFiles(root, files);
      for (const rel of dirs) await this.walkDir(root, rel, stack);
    } finally {
      if (gitignore.added) stack.leave();
    }
  }

  /** Inspect files a few at a time; results are added in the given order. */
  private async walkFiles(root: string, rels: string[]): Promise<void> {
    for (let i = 0; i < rels.length; i += READ_CONCURRENCY) {
      this.options.signal?.throwIfAborted();
      if (this.full()) {
        // The rest of this directory is counted, not read; walkDir lists no further directories.
        this.skipped['total size cap'] = (this.skipped['total size cap'] ?? 0) + rels.length - i;
        return;
      }
      const batch = rels.slice(i, i + READ_CONCURRENCY);
      const verdicts = await Promise.all(batch.map((rel) => this.inspect(path.join(root, rel))));
      for (let k = 0; k < batch.length; k++) {
        const v = verdicts[k];
        if ('reason' in v) { this.skip(v.reason); continue; }
        if (this.seen.has(v.hash)) { this.skip('duplicate'); continue; }
        if (this.full() || this.totalBytes + v.bytes > this.maxTotalBytes) {
          this.capped = true;
          this.skip('total size cap');
          continue;
        }
        this.seen.add(v.hash);
        this.totalBytes += v.bytes;
        this.entries.push({ path: path.join(root, batch[k]), root, relativePath: batch[k], bytes: v.bytes });
      }
    }
  }

  private async inspect(file: string): Promise<{ reason: SkipReason } | { hash: string; bytes: number }> {
    // Listed as a regular file, but it may have become a link, a FIFO or a larger file since.
    const read = await readRegularFile(file, this.maxFileBytes, this.options.signal);
    if ('refused' in read) return { reason: read.refused === 'too large' ? 'too large' : 'unreadable' };
    const reason = skipByContent(read.data);
    if (reason) return { reason };
    return { hash: createHash('sha1').update(read.data).digest('hex'), bytes: read.data.length };
  }
}

/** "412 files, 3.1 MB; skipped 37: 12 binary, 20 ignored, 5 too large" */
export function describeCorpus(summary: CorpusSummary): string {
  const skippedTotal = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const head = `${summary.files} file${summary.files === 1 ? '' : 's'}, ${formatBytes(summary.bytes)}`;
  if (skippedTotal === 0) return head;
  const parts = Object.entries(summary.skipped).sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} ${reason}`);
  return `${head}; skipped ${skippedTotal}: ${parts.join(', ')}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
