/**
 * config.ts: every Seedling setting (and the few VS Code settings Seedling honours) is read here and
 * nowhere else, so the names, defaults and types live in one place next to package.json's schema.
 * Reads are cheap (VS Code keeps settings in memory), so callers read `config.current` at the moment
 * they need a value; `onDidChange` tells long-lived parts (provider, status bar) to refresh.
 */
import { DEFAULT_MAX_TOKENS, DEFAULT_MIN_CONFIDENCE } from '../shared/completion/editorRequest';
import * as vscode from 'vscode';
import { DEFAULT_PRESET, PRESET_NAMES, type PresetName } from '../shared/presets';
import { threadSetting } from './threadSetting';

export type DeviceSetting = 'auto' | 'cpu' | 'cuda';

export interface SeedlingConfig {
  model: {
    preset: PresetName;
    /** A checkpoint to fine-tune instead of the bundled base model; '' = bundled base for the preset. */
    baseModelPath: string;
  };
  training: {
    maxMinutes: number;
    /** 0 = no step limit (the time budget decides). A step budget makes runs reproducible. */
    maxSteps: number;
    fromScratch: boolean;
    /** Globs excluded from the corpus on top of files.exclude, search.exclude and .gitignore. */
    exclude: string[];
  };
  /** 0 = let the engine pick; otherwise at most this machine's cores (threadSetting.ts). */
  threads: number;
  device: DeviceSetting;
  completion: {
    enabled: boolean;
    debounceMs: number;
    maxTokens: number;
    /** Language ids; "*" = every language. */
    languages: string[];
    timeoutMs: number;
    temperature: number;
    minConfidence: number;
  };
}

const DEVICES: readonly DeviceSetting[] = ['auto', 'cpu', 'cuda'];

/** Reads the whole configuration, clamping values a hand-edited settings.json might get wrong. */
export function readConfig(scope?: vscode.ConfigurationScope): SeedlingConfig {
  const c = vscode.workspace.getConfiguration('seedling', scope);
  return {
    model: {
      preset: oneOf(c.get<string>('model.preset'), PRESET_NAMES, DEFAULT_PRESET),
      baseModelPath: c.get<string>('model.baseModelPath', '').trim(),
    },
    training: {
      maxMinutes: num(c.get<unknown>('training.maxMinutes'), 10, 0.05, 24 * 60),
      maxSteps: Math.floor(num(c.get<unknown>('training.maxSteps'), 0, 0, 1e9)),
      fromScratch: c.get<boolean>('training.fromScratch', false),
      exclude: stringArray(c.get<unknown>('training.exclude')),
    },
    threads: threadSetting(c.get<unknown>('threads')),
    device: oneOf(c.get<string>('device'), DEVICES, 'auto'),
    completion: {
      enabled: c.get<boolean>('completion.enabled', true),
      debounceMs: num(c.get<unknown>('completion.debounceMs'), 50, 0, 2000),
      maxTokens: Math.floor(num(c.get<unknown>('completion.maxTokens'), DEFAULT_MAX_TOKENS, 1, 512)),
      languages: stringArray(c.get<unknown>('completion.languages'), ['*']),
      timeoutMs: num(c.get<unknown>('completion.timeoutMs'), 1000, 50, 60000),
      temperature: num(c.get<unknown>('completion.temperature'), 0, 0, 2),
      minConfidence: num(c.get<unknown>('completion.minConfidence'), DEFAULT_MIN_CONFIDENCE, 0, 1),
    },
  };
}

/**
 * The corpus honours the user's files.exclude and search.exclude (the globs VS Code itself hides),
 * plus Seedling's own list. Entries set to false (un-excluded) or to a `when` clause object are
 * skipped: a sibling condition cannot be evaluated without the file system, and erring towards
 * including a file is harmless here.
 */
export function readCorpusExcludes(folder: vscode.WorkspaceFolder, config: SeedlingConfig): string[] {
  const globs = new Set<string>(config.training.exclude);
  for (const section of ['files', 'search']) {
    const map = vscode.workspace.getConfiguration(section, folder.uri).get<Record<string, unknown>>('exclude') ?? {};
    for (const [glob, on] of Object.entries(map)) if (on === true) globs.add(glob);
  }
  return [...globs];
}

export interface ConfigChange {
  config: SeedlingConfig;
  affects(section: string): boolean; // e.g. affects('completion'), affects('model.preset')
}

export class ConfigService implements vscode.Disposable {
  private cached: SeedlingConfig = readConfig();
  private readonly emitter = new vscode.EventEmitter<ConfigChange>();
  private readonly subscription: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('seedling') && !e.affectsConfiguration('files.exclude') && !e.affectsConfiguration('search.exclude')) return;
      this.cached = readConfig();
      this.emitter.fire({ config: this.cached, affects: (s) => e.affectsConfiguration(`seedling.${s}`) });
    });
  }

  get current(): SeedlingConfig {
    return this.cached;
  }

  /** Flips completions on/off in the user's settings, so the choice survives restarts and shows in the UI. */
  async setCompletionsEnabled(enabled: boolean): Promise<void> {
    await vscode.workspace.getConfiguration('seedling').update('completion.enabled', enabled, vscode.ConfigurationTarget.Global);
    // If a workspace setting overrides the user setting, flip that one too or the toggle would look dead.
    const inspected = vscode.workspace.getConfiguration('seedling').inspect<boolean>('completion.enabled');
    if (inspected?.workspaceValue !== undefined) {
      await vscode.workspace.getConfiguration('seedling').update('completion.enabled', enabled, vscode.ConfigurationTarget.Workspace);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return (allowed as readonly string[]).includes(value ?? '') ? (value as T) : fallback;
}

function num(value: unknown, fallback: number, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(hi, Math.max(lo, value));
}

function stringArray(value: unknown, fallback: string[] = []): string[] {
  if (!Array.isArray(value)) return fallback;
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}
