/**
 * enablement.ts: whether completions are offered for a language (seedling.completion.languages).
 * "*" means every language; "!id" switches one off even under "*" (e.g. ["*", "!plaintext"]).
 * Pure: no 'vscode' import.
 */
export function isLanguageEnabled(languages: readonly string[], languageId: string): boolean {
  if (languages.includes(`!${languageId}`)) return false;
  return languages.includes('*') || languages.includes(languageId);
}

/** Documents that are not the user's code: output panels, the debug console, git inputs, settings UIs. */
const NON_CODE_SCHEMES = new Set(['output', 'debug', 'vscode-scm', 'git', 'comment', 'walkThroughSnippet', 'vscode-settings']);

export function isCompletableScheme(scheme: string): boolean {
  return !NON_CODE_SCHEMES.has(scheme);
}
