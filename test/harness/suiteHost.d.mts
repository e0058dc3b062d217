// Types of suiteHost.mjs, for the unit test that imports it.
export type SuiteHost = { kind: 'electron'; executable: string } | { kind: 'electron-download'; version: string } | { kind: 'code-server' };
export function chooseSuiteHost(env: Record<string, string | undefined>, exists?: (path: string) => boolean): SuiteHost;
export function codeServerName(codeServerEntry: string): string;
export function desktopName(executable: string): string;
