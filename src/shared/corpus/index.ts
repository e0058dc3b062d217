/** The workspace corpus collector (node-only: no 'vscode' import, so the CLI uses it too). */
export { collectCorpus, describeCorpus, formatBytes, type CollectOptions } from './collect';
export type { Corpus, CorpusFile, CorpusSummary } from './types';
export { singleFileVerdict } from './entryVerdicts';
