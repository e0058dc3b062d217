/**
 * crashNoticePolicy.ts: which engine crashes the user is told about (no 'vscode' import, so it is
 * unit-tested with a real crashing engine). A crash-looping engine crashes once per restart; telling
 * the user each time would be a notification per keystroke. So: the first crash of an episode
 * (restartPolicy.ts) is shown, later ones in the same episode only go to the log, and the crash that
 * makes Seedling stop restarting is shown once more, because what works has changed (nothing does
 * until the user restarts the engine).
 */
export type CrashNoticeKind = 'restarted' | 'gave-up' | 'log-only';

export function crashNoticeKind(info: { crashes: number; gaveUp: boolean }): CrashNoticeKind {
  if (info.gaveUp) return 'gave-up';
  return info.crashes <= 1 ? 'restarted' : 'log-only';
}
