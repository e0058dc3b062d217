/** The workspace corpus collector (node-only: no 'vscode' import, so the CLI uses it too). */
export { collectCorpus, describeCorpus, formatBytes, type CollectOptions, type Corpus, type CorpusFile } from './collect';
