/**
 * types.ts: what a corpus is: the files a model learns from and a summary of what was left out. Domain
 * types shared by the collector (collect.ts), the extension's training run, the CLI and the dashboard.
 */

/** What the collector picked and skipped. */
export interface CorpusSummary {
  files: number;
  bytes: number;
  skipped: Record<string, number>; // reason -> count: binary, ignored, too large, minified, generated, duplicate, secret file, secret-like content, ...
}

export interface CorpusFile { path: string; root: string; relativePath: string; bytes: number }

export interface Corpus {
  /** Absolute paths, in a stable order (root by root, directory entries sorted). */
  files: string[];
  entries: CorpusFile[];
  summary: CorpusSummary;
}
